//! The GPU code path against the CPU one (issue 27; docs/scaling.md): burn's `wgpu` backend,
//! run on Mesa's lavapipe (a Vulkan device on the CPU), must give what `flex` gives, for
//! both systems at smoke size: a few training steps of the real trainer, the PDD path score
//! (autograd through the predictor), the SA-PDD score (noise head and spectral operator) and one
//! predictor and one corrector update of the reverse-λ sampler with each integrator.
//!
//! Every input, weight and noise draw is made on the host (or on `flex` with a fixed seed) and
//! copied to both devices, so the only difference left is float arithmetic: the two backends
//! sum in other orders and use other `exp`/`sqrt` kernels. The stated tolerances bound that
//! (relative L2 errors of f32 results; f32 rounding through a small network is ~1e-6); a backend
//! op that computes something else misses them by orders of magnitude.
//!
//! Built only with `--features wgpu`; `scripts/test.sh` (CI) installs lavapipe and runs it with
//! the whole suite.
#![cfg(feature = "wgpu")]

use burn::module::Module;
use burn::prelude::*;
use ndarray::{ArrayD, IxDyn};
use pdd::diffusion::{DiffusionConfig, ForwardProcess};
use pdd::nn::UNet;
use pdd::predictor::{
    Action, Builtin, ModelConfig, PddModel, Predictor, PredictorShape, PredictorSpec,
};
use pdd::presets::Preset;
use pdd::progress::NoProgress;
use pdd::sample::{
    Integrator, PathScore, PddScore, ReverseStep, SaPddScore, SamplerConfig, StepNoise,
};
use pdd::spectral::Grid;
use pdd::train::{
    BatchPlan, DataInfo, ModelInit, PddObjective, RunConfig, RunDir, TrainConfig, TrainEvent,
    TrainJob, TrainOptions, TrajectorySet, materialize, train,
};
use rand::SeedableRng;
use rand_distr::{Distribution as _, StandardNormal};
use std::path::Path;
use std::sync::Arc;

use crate::common::serial;

/// Relative L2 error allowed for one network evaluation or score (f32, other summation order).
const SCORE_TOL: f64 = 1e-4;
/// Relative error allowed for the training losses of the same steps.
const LOSS_TOL: f64 = 1e-4;
/// Relative L2 error allowed for the weight change of three Adam steps: Adam divides by
/// `√v + ε`, which amplifies rounding in gradients near zero, so this is looser.
const WEIGHT_TOL: f64 = 1e-2;

/// A system at smoke size: its quick preset's forward process on a small grid.
struct System {
    preset: &'static str,
    name: &'static str,
    grid: Grid,
    channels: usize,
    frames: usize,
}

fn systems() -> [System; 2] {
    [
        System {
            preset: "lorenz96-quick",
            name: "lorenz96",
            grid: Grid::line(32),
            channels: 2,
            frames: 8,
        },
        System {
            preset: "kolmogorov-quick",
            name: "kolmogorov",
            grid: Grid::plane(16, 16),
            channels: 1,
            frames: 6,
        },
    ]
}

/// The smoke U-Net: one down level with attention, every layer kind of the presets' networks.
fn model_config() -> ModelConfig {
    toml::from_str(
        "window = 3\ndim = 8\ndim_mults = [1, 2]\nattention_levels = [1]\nheads = 2\ndim_head = 4\n",
    )
    .unwrap()
}

fn wgpu() -> Device {
    Device::wgpu(Default::default())
}

impl System {
    fn process(&self) -> ForwardProcess {
        let p = Preset::load(self.preset).unwrap();
        DiffusionConfig::from_preset(&p).unwrap().process(&self.grid).unwrap()
    }

    /// `[B, C, F, Ny, Nx]` with Ny = 1 on a line.
    fn dims(&self, b: usize) -> [usize; 5] {
        let d = self.grid.dims();
        let (ny, nx) = if d.len() == 1 { (1, d[0]) } else { (d[0], d[1]) };
        [b, self.channels, self.frames, ny, nx]
    }

    fn shape(&self, noise_head: bool) -> PredictorShape {
        PredictorShape::new(self.channels, model_config().window, &self.grid, noise_head).unwrap()
    }

    /// A predictor initialised on `flex` with a fixed seed, then moved to `device`: the same
    /// weights on every device. burn initialises parameters lazily, and moving a module whose
    /// parameters were never read only moves where they *will* be drawn (`Param::to_device` of
    /// an uninitialised parameter retargets its initialiser): they are materialised on `flex`
    /// first, or `wgpu` would draw its own random weights.
    fn predictor(&self, noise_head: bool, device: &Device) -> PddModel {
        let flex = Device::flex();
        flex.seed(17);
        let m = Builtin::<UNet>::new(&model_config()).unwrap().init(&self.shape(noise_head), &flex);
        materialize(m.unwrap(), &flex).to_device(device)
    }
}

/// Standard normal numbers from a seed, as a tensor of `dims` on `device`.
fn randn(dims: [usize; 5], seed: u64, scale: f32, device: &Device) -> Tensor<5> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n = dims.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|_| {
            let z: f32 = StandardNormal.sample(&mut rng);
            scale * z
        })
        .collect();
    Tensor::from_data(TensorData::new(v, dims), device)
}

/// `‖a − b‖ / ‖b‖` of two equally long results; fails on a non-finite entry.
fn rel(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    assert!(a.iter().chain(b).all(|v| v.is_finite()), "non-finite entries");
    let d: f64 = a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum();
    let n: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum();
    (d / n.max(1e-300)).sqrt()
}

fn host(t: Tensor<5>) -> Vec<f32> {
    pdd::backend::to_vec(t)
}

/// Checks `f` on `flex` against `f` on `wgpu` (relative L2 error ≤ `tol`); returns the error.
/// `flex`'s result must not be zero (the comparison would hold for anything small).
fn same(what: &str, tol: f64, f: impl Fn(&Device) -> Tensor<5>) -> f64 {
    let cpu = host(f(&Device::flex()));
    assert!(cpu.iter().any(|v| *v != 0.0), "{what}: flex's result is zero");
    let gpu = host(f(&wgpu()));
    let e = rel(&gpu, &cpu);
    eprintln!("{what}: relative L2 error {e:.2e}");
    assert!(e <= tol, "{what}: wgpu differs from flex by {e:.2e} (tolerance {tol:.0e})");
    e
}

#[test]
fn network_forward_and_path_scores_match_flex() {
    let _serial = serial();
    for s in systems() {
        let process = s.process();
        let x = |d: &Device| randn(s.dims(2), 3, 1.0, d);
        for t in [20, 500] {
            same(&format!("{} forward t={t}", s.name), SCORE_TOL, |d| {
                let tt = Tensor::<1>::full([2], t as f32, d);
                s.predictor(true, d).forward(x(d), tt).drift
            });
            same(&format!("{} PDD path score t={t}", s.name), SCORE_TOL, |d| {
                let score = PddScore::new(s.predictor(false, d), &process, Action::Scalar, d);
                score.unwrap().score(x(d), t).unwrap()
            });
            same(&format!("{} SA-PDD score t={t}", s.name), SCORE_TOL, |d| {
                let score = SaPddScore::new(s.predictor(true, d), &process, d).unwrap();
                score.score(x(d), t).unwrap()
            });
        }
    }
}

/// One predictor update from `t` to `next` and one corrector update at `next`, noise given.
fn reverse_step(
    score: &dyn PathScore,
    process: &ForwardProcess,
    cfg: &SamplerConfig,
    s: &System,
    d: &Device,
) -> Tensor<5> {
    let (t, next) = (200, 150);
    let mut step = ReverseStep::new(score, process, cfg, d).unwrap();
    let given = |seed| StepNoise::Given(Box::new(randn(s.dims(2), seed, 1.0, d)));
    let x = randn(s.dims(2), 4, 1.0, d);
    let x = step.predict(x, t, next, given(5)).unwrap();
    step.correct(x, next, given(6)).unwrap()
}

#[test]
fn one_reverse_step_of_each_sampler_matches_flex() {
    let _serial = serial();
    for s in systems() {
        let process = s.process();
        for integrator in [Integrator::Etd1, Integrator::GaussianSplit] {
            let cfg = SamplerConfig { integrator, corrector_steps: 1, ..Default::default() };
            let label = format!("{} {}", s.name, integrator.name());
            same(&format!("{label} PDD predictor + corrector"), SCORE_TOL, |d| {
                let score = PddScore::new(s.predictor(false, d), &process, Action::Scalar, d);
                reverse_step(&score.unwrap(), &process, &cfg, &s, d)
            });
            same(&format!("{label} SA-PDD predictor + corrector"), SCORE_TOL, |d| {
                let score = SaPddScore::new(s.predictor(true, d), &process, d).unwrap();
                reverse_step(&score, &process, &cfg, &s, d)
            });
        }
    }
}

/// The run configuration of three SA-PDD steps (both loss terms) of `s`.
fn run_config(s: &System) -> RunConfig {
    let train: TrainConfig = toml::from_str(
        "steps = 3\nbatch_size = 2\ngrad_accum = 2\nlr = 1e-3\ncheckpoint_every = 3\nlog_every = 1\nseed = 5\nobjective = \"sa-pdd\"\n",
    )
    .unwrap();
    let process = s.process();
    RunConfig {
        preset: s.preset.into(),
        kind: "pdd".into(),
        data: DataInfo {
            path: "synthetic".into(),
            absolute_path: None,
            system: s.name.into(),
            grid: s.grid.dims().to_vec(),
            channels: s.channels,
            frames: s.frames,
            frame_dt: 1.0,
            mean: vec![0.0; s.channels],
            std: vec![1.0; s.channels],
        },
        diffusion: process.config().clone(),
        model: model_config(),
        train,
        stages: Default::default(),
    }
}

/// Trains `rc` on `device` into `dir`: (the loss of every step, the final weights).
fn train_on(
    s: &System,
    rc: &RunConfig,
    data: &TrajectorySet,
    dir: &Path,
    device: &Device,
) -> (Vec<f64>, Vec<f32>) {
    let shape = rc.predictor_shape().unwrap();
    let spec = Builtin::<UNet>::new(&rc.model).unwrap();
    let init: ModelInit<_> = Arc::new(move |d: &Device| {
        let flex = Device::flex().autodiff();
        flex.seed(17);
        Ok(materialize(spec.init(&shape, &flex)?, &flex).fork(d))
    });
    let plan = BatchPlan::new(data.len(), rc.train.batch_size, s.process().steps(), rc.train.seed);
    let plan = plan.unwrap();
    let objective = PddObjective::new(s.process(), rc.train.clone(), plan, device, init).unwrap();
    let run = RunDir::prepare(dir, rc, false, false).unwrap();
    let job = TrainJob {
        run: &run,
        cfg: &rc.train,
        architecture: "wgpu-test",
        objective: &objective,
        plan: &plan,
        train_set: data,
        valid_set: None,
    };
    let mut losses = Vec::new();
    let mut on_event = |e: &TrainEvent| {
        if let TrainEvent::Step(row) = e {
            losses.push(row.loss);
        }
    };
    train(&job, &TrainOptions::new(device.clone()), &NoProgress, &mut on_event).unwrap();
    (losses, weights(&dir.join("model.safetensors")))
}

/// Every weight of a safetensors file, in name order, as one vector.
fn weights(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut named: Vec<_> = st.tensors();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named
        .iter()
        .flat_map(|(_, v)| {
            v.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        })
        .collect()
}

#[test]
fn three_training_steps_match_flex() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    for s in systems() {
        let rc = run_config(&s);
        let [_, c, f, ny, nx] = s.dims(6);
        let dims: Vec<usize> = if ny == 1 { vec![6, c, f, nx] } else { vec![6, c, f, ny, nx] };
        let values = host(randn(s.dims(6), 9, 1.0, &Device::flex()));
        let data = TrajectorySet::new(
            ArrayD::from_shape_vec(IxDyn(&dims), values).unwrap(),
            s.grid.clone(),
        );
        let data = data.unwrap();
        let w0 = {
            let p = dir.path().join(format!("{}-init.safetensors", s.name));
            pdd::train::checkpoint::export_safetensors(&s.predictor(true, &Device::flex()), &p)
                .unwrap();
            weights(&p)
        };
        let (l_cpu, w_cpu) =
            train_on(&s, &rc, &data, &dir.path().join(format!("{}-flex", s.name)), &Device::flex());
        let (l_gpu, w_gpu) =
            train_on(&s, &rc, &data, &dir.path().join(format!("{}-wgpu", s.name)), &wgpu());
        assert_eq!(l_cpu.len(), 3);
        for (step, (a, b)) in l_gpu.iter().zip(&l_cpu).enumerate() {
            let e = (a - b).abs() / b.abs();
            eprintln!(
                "{} step {}: loss flex {b:.6} wgpu {a:.6} (relative {e:.1e})",
                s.name,
                step + 1
            );
            assert!(e <= LOSS_TOL, "{} step {}: loss {a} vs {b}", s.name, step + 1);
        }
        let moved_cpu: Vec<f32> = w_cpu.iter().zip(&w0).map(|(a, b)| a - b).collect();
        let moved_gpu: Vec<f32> = w_gpu.iter().zip(&w0).map(|(a, b)| a - b).collect();
        let e = rel(&moved_gpu, &moved_cpu);
        eprintln!("{}: weight change after 3 steps, relative L2 error {e:.2e}", s.name);
        assert!(e <= WEIGHT_TOL, "{}: weights moved differently ({e:.2e})", s.name);
    }
}

/// `--device auto` in a wgpu build: a machine whose only Vulkan device is a software one
/// (`scripts/test.sh` sets `VK_ICD_FILENAMES` to lavapipe's) keeps the CPU backend, while
/// `wgpu` named explicitly runs there (the tests above).
#[test]
fn auto_does_not_choose_a_software_vulkan_device() {
    let icd = std::env::var("VK_ICD_FILENAMES").unwrap_or_default();
    assert!(
        icd.contains("lvp_icd"),
        "run this test with VK_ICD_FILENAMES set to lavapipe's ICD (scripts/test.sh does), not `{icd}`"
    );
    let auto = pdd::backend::DeviceChoice::Auto.device().unwrap();
    assert_eq!(auto, Device::flex(), "auto chose {auto:?} on a lavapipe-only machine");
}

/// burn 0.22.1's wrong wgpu gradient (docs/scaling.md, "The parity test, run"), reduced to burn's
/// own ops: the input gradient of `(x · mean₁(x))` reshaped and transposed. It was found with
/// burn's GPU defaults (fusion and autotune); this pins what the plain `wgpu` build that pdd
/// tests computes for it. `FullAttention` avoids the pattern either way (it permutes first).
#[test]
fn burn_reshape_transpose_backward_matches_flex() {
    let _serial = serial();
    let grad = |device: &Device| {
        let ad = device.clone().autodiff();
        let x = randn([4, 16, 1, 16, 1], 5, 1.0, &ad).reshape([4, 16, 1, 16]).require_grad();
        let w = randn([4, 16, 16, 1, 1], 6, 1.0, &ad).reshape([4, 16, 16]);
        let y = (x.clone() * x.clone().mean_dim(1)).reshape([4, 16, 16]).swap_dims(1, 2);
        let g = (y * w).sum().backward();
        x.grad(&g).unwrap().reshape([4, 16, 1, 16, 1])
    };
    same("grad of (x·mean₁x).reshape.swap_dims", SCORE_TOL, grad);
}
