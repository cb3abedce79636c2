//! Golden tests against an independent PyTorch restatement of the reference's computations
//! (`tests/golden/make_golden.py`, which regenerates the fixtures; CI only reads them).
//!
//! Both sides run the same small network (periodic 3-point/3×3 convolutions, a time shift and
//! SiLU, a drift and a noise head) with the same weights, on the same inputs and fixed noise, in
//! 1-D (32 points, 2 channels) and 2-D (40 × 40): the PDD and SA-PDD training losses, the PDD path
//! score (autograd of the action), one ETD1 predictor step, one Langevin corrector step and the
//! SA-PDD spectral score must agree to 1e-5 relative (‖pdd − torch‖∞ / ‖torch‖∞).

use burn::module::Param;
use burn::prelude::*;
use pdd::diffusion::{DeviceProcess, ForwardProcess};
use pdd::nn::{Heads, PeriodicConv, PeriodicConvConfig, Spatial};
use pdd::predictor::{
    Action, Backbone, PathAction, PredictorBuilder, SlidingWindow, pdd_loss, sa_pdd_loss,
};
use pdd::sample::{PathScore, PddScore, ReverseStep, SaPddScore, SamplerConfig, StepNoise};
use pdd::spectral::Grid;
use safetensors::SafeTensors;
use std::collections::HashMap;

const TOLERANCE: f64 = 1e-5;

/// The fixture's tensors by name: values and shape.
struct Fixture(HashMap<String, (Vec<f32>, Vec<usize>)>);

impl Fixture {
    fn load(name: &str) -> Self {
        let path = format!("{}/tests/golden/{name}.safetensors", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let map = st
            .tensors()
            .into_iter()
            .map(|(k, v)| {
                let vals = v
                    .data()
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                (k, (vals, v.shape().to_vec()))
            })
            .collect();
        Self(map)
    }

    fn values(&self, name: &str) -> &[f32] {
        &self.0[name].0
    }

    fn tensor<const D: usize>(&self, name: &str, device: &Device) -> Tensor<D> {
        let (v, shape) = &self.0[name];
        Tensor::<1>::from_floats(v.as_slice(), device)
            .reshape(<[usize; D]>::try_from(shape.as_slice()).unwrap())
    }

    /// `[B, C, F, Ny, Nx]` shape of the paths.
    fn path_dims(&self) -> [usize; 5] {
        <[usize; 5]>::try_from(self.0["x"].1.as_slice()).unwrap()
    }
}

/// The shared small network of `make_golden.py` (`Net`).
#[derive(Module, Debug)]
struct Golden {
    conv_in: PeriodicConv,
    t_w: Param<Tensor<1>>,
    t_b: Param<Tensor<1>>,
    drift: PeriodicConv,
    noise: PeriodicConv,
}

fn conv(fx: &Fixture, w: &str, b: &str, spatial: Spatial, device: &Device) -> PeriodicConv {
    let weight: Tensor<4> = fx.tensor(w, device);
    let [c_out, c_in, _, _] = weight.dims();
    let mut conv = PeriodicConvConfig::new(c_in, c_out).with_spatial(spatial).init(device);
    conv.conv.weight = Param::from_tensor(weight);
    conv.conv.bias = Some(Param::from_tensor(fx.tensor(b, device)));
    conv
}

impl Backbone for Golden {
    fn forward(&self, x: Tensor<4>, t: Tensor<1>) -> Heads {
        let n = x.dims()[0];
        let h = self.conv_in.forward(x);
        let hid = h.dims()[1];
        let shift = t.div_scalar(1000.0).reshape([n, 1]) * self.t_w.val().reshape([1, hid])
            + self.t_b.val().reshape([1, hid]);
        let h = burn::tensor::activation::silu(h + shift.reshape([n, hid, 1, 1]));
        Heads { drift: self.drift.forward(h.clone()), noise: Some(self.noise.forward(h)) }
    }
}

struct Case {
    fx: Fixture,
    process: ForwardProcess,
    predictor: SlidingWindow<Golden>,
    snr: f64,
    t: usize,
    device: Device,
}

fn case(name: &str) -> Case {
    let device = Device::flex();
    let fx = Fixture::load(name);
    let [_, c, _, ny, nx] = fx.path_dims();
    let (spatial, grid) = if ny == 1 {
        (Spatial::Line, Grid::line(nx))
    } else {
        (Spatial::Plane, Grid::plane(ny, nx))
    };
    let params = fx.values("params").to_vec();
    let process =
        ForwardProcess::builder().grid(grid).alpha(params[0] as f64).steps(1000).build().unwrap();
    let net = Golden {
        conv_in: conv(&fx, "w_in", "b_in", spatial, &device),
        t_w: Param::from_tensor(fx.tensor("t_w", &device)),
        t_b: Param::from_tensor(fx.tensor("t_b", &device)),
        drift: conv(&fx, "w_drift", "b_drift", spatial, &device),
        noise: conv(&fx, "w_noise", "b_noise", spatial, &device),
    };
    let predictor = PredictorBuilder::new().window(5).channels(c).build(net).unwrap();
    Case { fx, process, predictor, snr: params[1] as f64, t: params[2] as usize, device }
}

/// `‖ours − theirs‖∞ / ‖theirs‖∞`.
fn relative(ours: Tensor<5>, theirs: &[f32]) -> f64 {
    let ours = pdd::backend::to_vec(ours);
    assert_eq!(ours.len(), theirs.len());
    let scale = theirs.iter().fold(0.0f64, |m, &v| m.max(v.abs() as f64));
    let err =
        ours.iter().zip(theirs).fold(0.0f64, |m, (&a, &b)| m.max((a as f64 - b as f64).abs()));
    err / scale
}

fn check(what: &str, name: &str, ours: Tensor<5>, theirs: &[f32]) {
    let rel = relative(ours, theirs);
    assert!(rel <= TOLERANCE, "{name} {what}: relative error {rel:.2e} > {TOLERANCE:e}");
    eprintln!("{name} {what}: relative error {rel:.2e}");
}

fn check_scalar(what: &str, name: &str, ours: Tensor<1>, theirs: f32) {
    let ours = ours.into_scalar::<f32>() as f64;
    let rel = (ours - theirs as f64).abs() / (theirs as f64).abs();
    assert!(rel <= TOLERANCE, "{name} {what}: {ours} vs torch {theirs} (relative {rel:.2e})");
    eprintln!("{name} {what}: {ours} vs torch {theirs} (relative {rel:.2e})");
}

fn losses_match(name: &str) {
    let c = case(name);
    let t: Vec<usize> = c.fx.values("t_loss").iter().map(|&v| v as usize).collect();
    let dp = DeviceProcess::new(&c.process, &c.device).unwrap();
    let xt = dp
        .q_sample_given_noise(c.fx.tensor("x0", &c.device), &t, c.fx.tensor("eps", &c.device))
        .unwrap();
    check("q-sample", name, xt.clone(), c.fx.values("x_t"));
    let scale = PathAction::new(Action::Scalar, &c.process, &c.device).unwrap().scale(&t).unwrap();
    let tf: Vec<f32> = t.iter().map(|&i| i as f32).collect();
    let tf = Tensor::<1>::from_floats(tf.as_slice(), &c.device);
    let pdd = pdd_loss(&c.predictor, xt.clone(), tf.clone(), &scale, None).total;
    check_scalar("PDD loss", name, pdd, c.fx.values("pdd_loss")[0]);
    let eps = c.fx.tensor("eps", &c.device);
    let sa = sa_pdd_loss(&c.predictor, xt, tf, &scale, eps, [0.1, 1.0], None).total;
    check_scalar("SA-PDD loss", name, sa, c.fx.values("sa_pdd_loss")[0]);
}

fn sampler_updates_match(name: &str) {
    let c = case(name);
    let score = PddScore::new(c.predictor.clone(), &c.process, Action::Scalar, &c.device).unwrap();
    let x: Tensor<5> = c.fx.tensor("x", &c.device);
    check("PDD path score", name, score.score(x.clone(), c.t).unwrap(), c.fx.values("score"));
    let cfg = SamplerConfig { snr: c.snr, ..SamplerConfig::default() };
    let mut step = ReverseStep::new(&score, &c.process, &cfg, &c.device).unwrap();
    let xi = StepNoise::Given(Box::new(c.fx.tensor("xi", &c.device)));
    let stepped = step.predict(x.clone(), c.t, c.t - 1, xi).unwrap();
    check("ETD1 predictor step", name, stepped.clone(), c.fx.values("step"));
    // the corrector from torch's own step output, so only this update is compared
    let from: Tensor<5> = c.fx.tensor("step", &c.device);
    let corrected =
        step.correct(from, c.t, StepNoise::Given(Box::new(c.fx.tensor("xi2", &c.device)))).unwrap();
    check("Langevin corrector step", name, corrected, c.fx.values("corrector"));
    let short = StepNoise::Given(Box::new(Tensor::zeros([1, 1, 3, 1, 1], &c.device)));
    let err = step.correct(x.clone(), c.t, short).unwrap_err().to_string();
    assert!(err.contains("StepNoise::Given"), "{err}");
    let sa = SaPddScore::new(c.predictor.clone(), &c.process, &c.device).unwrap();
    check("SA-PDD spectral score", name, sa.score(x, c.t).unwrap(), c.fx.values("sa_score"));
}

#[test]
fn losses_match_torch_in_1d() {
    losses_match("line");
}

#[test]
fn losses_match_torch_in_2d() {
    losses_match("plane");
}

#[test]
fn score_and_sampler_updates_match_torch_in_1d() {
    sampler_updates_match("line");
}

#[test]
fn score_and_sampler_updates_match_torch_in_2d() {
    sampler_updates_match("plane");
}
