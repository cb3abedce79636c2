//! DDPM baselines: schedule moments, the reverse chain with an exact (oracle) ε-predictor on
//! Gaussian data, training, causality of the conditional model, resume, and the run round trip
//! through `pdd train --model ddpm-sim|ddpm-gen`.

use crate::common::{self, F, L, pdd, s, serial};
use burn::prelude::*;
use ndarray::ArrayD;
use pdd::baseline::{
    DdpmConfig, DdpmGen, DdpmObjective, DdpmRun, DdpmSampler, DdpmSchedule, DdpmSim, Denoiser,
    ddpm_simulate,
};
use pdd::progress::NoProgress;
use pdd::spectral::Grid;
use pdd::train::{
    ModelKind, RunConfig, RunDir, TrainConfig, TrainJob, TrainObjective, TrainOptions, TrainedRun,
    TrajectorySet, checkpoint, train,
};

fn dev() -> Device {
    Device::flex()
}

fn host(x: Tensor<4>) -> Vec<f32> {
    pdd::backend::to_vec(x)
}

fn tensor<const D: usize>(a: ArrayD<f32>, shape: [usize; D]) -> Tensor<D> {
    Tensor::from_data(TensorData::new(a.into_raw_vec_and_offset().0, shape), &dev())
}

fn mean_var(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    (m, v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / (n - 1.0))
}

// ------------------------------------------------------------------------------------------
// schedule

/// `ᾱ_t` from the product formula equals the moments propagated through the Markov chain
/// `x_s = √(1 − β_s) x_{s−1} + √β_s z` step by step (an independent recursion).
#[test]
fn alpha_bar_is_the_markov_chain_marginal() {
    let s = DdpmSchedule::standard();
    let (mut mean, mut var) = (1.0f64, 0.0f64); // x_{−1} = 1 exactly
    for t in 0..s.steps() {
        mean *= (1.0 - s.beta(t)).sqrt();
        var = (1.0 - s.beta(t)) * var + s.beta(t);
        assert!((mean - s.alpha_bar(t).sqrt()).abs() < 1e-12, "t {t}");
        assert!((var - (1.0 - s.alpha_bar(t))).abs() < 1e-12, "t {t}");
    }
}

/// `q(x_t | x_0)` as drawn by `q_sample` has mean `√ᾱ_t x_0` and variance `1 − ᾱ_t`, within
/// 5 standard errors of `n = 16 384` draws per index.
#[test]
fn forward_marginal_moments_are_right() {
    let s = DdpmSchedule::standard();
    let ts = [0usize, 10, 100, 500, 999];
    let (per, m) = (32usize, 512usize);
    let t: Vec<usize> = ts.iter().flat_map(|&t| std::iter::repeat_n(t, per)).collect();
    let n_ex = t.len();
    let x0 = Tensor::<4>::full([n_ex, 1, 1, m], 1.5, &dev());
    let eps = tensor(pdd::diffusion::white_noise(&[n_ex, 1, 1, m], 17), [n_ex, 1, 1, m]);
    let xt = host(s.q_sample(x0, eps, &t).unwrap());
    for (i, &ti) in ts.iter().enumerate() {
        let (mu, var) = mean_var(&xt[i * per * m..(i + 1) * per * m]);
        let n = (per * m) as f64;
        let (want_mu, want_var) = (1.5 * s.alpha_bar(ti).sqrt(), 1.0 - s.alpha_bar(ti));
        println!("t {ti}: mean {mu:.5} (want {want_mu:.5}), var {var:.6} (want {want_var:.6})");
        assert!(
            (mu - want_mu).abs() < 5.0 * (want_var / n).sqrt() + 1e-6,
            "t {ti}: mean {mu} vs {want_mu}"
        );
        assert!(
            (var - want_var).abs() < 5.0 * want_var * (2.0 / n).sqrt() + 1e-9,
            "t {ti}: var {var} vs {want_var}"
        );
    }
    assert!(
        s.q_sample(
            Tensor::<4>::zeros([2, 1, 1, 4], &dev()),
            Tensor::zeros([2, 1, 1, 4], &dev()),
            &[0, 1000]
        )
        .is_err()
    );
    assert!(
        s.q_sample(
            Tensor::<4>::zeros([2, 1, 1, 4], &dev()),
            Tensor::zeros([2, 1, 1, 4], &dev()),
            &[0]
        )
        .is_err()
    );
}

// ------------------------------------------------------------------------------------------
// reverse chain with the exact ε-predictor of Gaussian data

/// For `x_0 ~ N(0, s_c²)` per channel the optimal predictor is
/// `ε̂ = √(1 − ᾱ_t) x_t / (ᾱ_t s_c² + 1 − ᾱ_t)`, linear in `x_t`, so every chain step maps the
/// variance exactly as `v ← (a + b k_t)² v + σ²`. The sampler's Monte-Carlo variance must match
/// that recursion within sampling error (5 standard errors of 32 768 draws), and the recursion
/// (the chain's fidelity) must end near `s_c²`: within 2 % for every full chain; strided
/// chains lose accuracy (exact values, s = 0.5 / 2: ancestral stride 10 +2.7 / −2.4 %, stride 20
/// (the quick presets) +4.7 / −4.7 %, stride 50 +6.8 / −11.6 %; "small" stride 10 −12.3 / −5.9 %; DDIM stride 10 −5.7 / −3.0 %).
#[test]
fn oracle_chain_reproduces_the_data_variance() {
    use pdd::baseline::ReverseStep::{Ancestral, AncestralSmall, Ddim};
    let schedule = DdpmSchedule::standard();
    let scales = [0.5f64, 2.0];
    let (n_ex, m) = (32usize, 1024usize);
    let cases = [
        (1usize, Ancestral, 0.02f64),
        (1, AncestralSmall, 0.02),
        (1, Ddim, 0.02),
        (10, Ancestral, 0.03),
        (20, Ancestral, 0.05),
        (50, Ancestral, 0.12),
        (10, AncestralSmall, 0.13),
        (10, Ddim, 0.06),
    ];
    for (stride, method, fidelity) in cases {
        let sampler = DdpmSampler { schedule: schedule.clone(), stride, method };
        let steps = sampler.steps().unwrap();
        let mut eps = |x: Tensor<4>, t: Tensor<1>| {
            let ti = pdd::backend::to_vec(t)[0] as usize;
            let ab = schedule.alpha_bar(ti);
            let k: Vec<f32> = scales
                .iter()
                .map(|s| ((1.0 - ab).sqrt() / (ab * s * s + 1.0 - ab)) as f32)
                .collect();
            x * Tensor::<1>::from_floats(k.as_slice(), &dev()).reshape([1, 2, 1, 1])
        };
        let out = host(sampler.sample([n_ex, 2, 1, m], &dev(), 5, &mut eps, &NoProgress).unwrap());
        for (c, s) in scales.iter().enumerate() {
            let v: Vec<f32> = (0..n_ex)
                .flat_map(|b| out[(b * 2 + c) * m..(b * 2 + c + 1) * m].to_vec())
                .collect();
            let (mu, var) = mean_var(&v);
            let exact = steps.iter().fold(1.0f64, |v, st| {
                let ab = schedule.alpha_bar(st.t);
                let k = (1.0 - ab).sqrt() / (ab * s * s + 1.0 - ab);
                (st.a + st.b * k).powi(2) * v + st.sigma * st.sigma
            });
            let n = v.len() as f64;
            println!(
                "stride {stride:>2} {method:?}: s² {:.3}: sample var {var:.4}, exact chain var {exact:.4} ({:+.2} %), mean {mu:+.4}",
                s * s,
                100.0 * (exact / (s * s) - 1.0)
            );
            assert!(
                (var - exact).abs() < 5.0 * exact * (2.0 / n).sqrt(),
                "sampler {var} vs recursion {exact}"
            );
            assert!(mu.abs() < 5.0 * (exact / n).sqrt(), "mean {mu}");
            assert!(
                (exact / (s * s) - 1.0).abs() < fidelity,
                "chain ends at {exact}, data {}",
                s * s
            );
        }
    }
}

#[test]
fn chains_are_reproducible_and_refuse_bad_settings() {
    let sampler =
        DdpmSampler { schedule: DdpmSchedule::standard(), stride: 100, method: Default::default() };
    let mut eps = |x: Tensor<4>, _t: Tensor<1>| x.mul_scalar(0.1);
    let a = host(sampler.sample([3, 1, 2, 4], &dev(), 9, &mut eps, &NoProgress).unwrap());
    let b = host(sampler.sample([3, 1, 2, 4], &dev(), 9, &mut eps, &NoProgress).unwrap());
    let c = host(sampler.sample([3, 1, 2, 4], &dev(), 10, &mut eps, &NoProgress).unwrap());
    assert_eq!(a, b);
    assert_ne!(a, c);
    // example 0 does not depend on the batch it is drawn in
    let one = host(sampler.sample([1, 1, 2, 4], &dev(), 9, &mut eps, &NoProgress).unwrap());
    assert_eq!(one, a[..8].to_vec());
    let bad = DdpmSampler { stride: 0, ..sampler.clone() };
    assert!(bad.steps().is_err());
    let mut wrong = |x: Tensor<4>, _t: Tensor<1>| x.narrow(1, 0, 1).repeat_dim(1, 2);
    assert!(sampler.sample([1, 1, 2, 4], &dev(), 9, &mut wrong, &NoProgress).is_err());
    let mut nan = |x: Tensor<4>, _t: Tensor<1>| x.mul_scalar(f32::NAN);
    let e = sampler.sample([1, 1, 2, 4], &dev(), 9, &mut nan, &NoProgress).unwrap_err().to_string();
    assert!(e.contains("non-finite"), "{e}");
}

// ------------------------------------------------------------------------------------------
// tiny models

fn advection(n: usize, seed: u64) -> ArrayD<f32> {
    common::advection(n, seed, 1.0)
}

fn train_cfg(steps: usize, lr: f64) -> TrainConfig {
    toml::from_str(&format!("steps = {steps}\nbatch_size = 8\ngrad_accum = 1\nlr = {lr:e}\ncheckpoint_every = 2\nlog_every = 1\nseed = 4\n")).unwrap()
}

fn run_config(kind: ModelKind, train: TrainConfig) -> RunConfig {
    RunConfig {
        stages: common::ddpm_stage(DdpmConfig { stride: 100, ..DdpmConfig::default() }),
        ..common::run_config(kind.name(), &train)
    }
}

fn options(resume: bool, stop_after: Option<usize>) -> TrainOptions {
    TrainOptions::new(dev()).resume(resume).stop_after(stop_after)
}

/// Mean loss of `model` over micro-batches `0..8` of the data with their fixed randomness.
fn held_loss<M: Denoiser>(obj: &DdpmObjective<M>, model: &M, data: &TrajectorySet) -> f64 {
    (0..8u64)
        .map(|m| {
            let idx: Vec<usize> = (0..8).map(|k| (8 * m as usize + k) % data.len()).collect();
            obj.valid_loss(model, data.tensor(&idx, &dev()), 1_000_000 + m).unwrap()
        })
        .sum::<f64>()
        / 8.0
}

fn trained_loss_drops<M: Denoiser + 'static>(kind: ModelKind) -> (f64, f64) {
    let _rng = serial();
    let data = TrajectorySet::new(advection(64, 1), Grid::line(L)).unwrap();
    let tc = train_cfg(60, 3e-3);
    let cfg = run_config(kind, tc.clone());
    let obj = DdpmObjective::<M>::for_run(&cfg).unwrap();
    let plan = pdd::train::BatchPlan::new(data.len(), tc.batch_size, 1000, tc.seed).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::prepare(dir.path().join("run"), &cfg, false, false).unwrap();
    let s = train(
        &TrainJob::new(&run, &tc, &cfg.architecture(), &obj, &plan, &data),
        &options(false, None),
        &NoProgress,
        &mut |_| {},
    )
    .unwrap();
    let fresh = obj.init_model(&dev()).unwrap();
    let (_, ckpt) = checkpoint::latest(&run.checkpoints()).unwrap();
    let trained =
        checkpoint::load_weights(M::build(&cfg, &dev()).unwrap(), &ckpt.join("model.bpk")).unwrap();
    let (before, after) = (held_loss(&obj, &fresh, &data), held_loss(&obj, &trained, &data));
    println!(
        "{kind}: held-out-randomness ε-MSE {before:.4} → {after:.4} ({:.1} steps/s)",
        s.steps_per_second
    );
    let log = pdd::train::log::read(&run.log_path()).unwrap();
    assert!(log.iter().all(|r| r.drift == 0.0 && (r.noise - r.loss).abs() < 1e-12));
    (before, after)
}

#[test]
fn training_the_conditional_model_lowers_the_loss() {
    let (before, after) = trained_loss_drops::<DdpmSim>(ModelKind::DdpmSim);
    assert!(after < 0.5 * before && after < 0.5, "{before} → {after}");
}

#[test]
fn training_the_unconditional_model_lowers_the_loss() {
    let (before, after) = trained_loss_drops::<DdpmGen>(ModelKind::DdpmGen);
    assert!(after < 0.7 * before, "{before} → {after}");
}

/// ε̂ of the pair "window ending at f → slice f + 1" depends on frames `f − w + 1 … f` only;
/// a simulation never reads the test paths beyond the first window.
#[test]
fn conditional_model_is_causal() {
    let _rng = serial();
    let cfg = run_config(ModelKind::DdpmSim, train_cfg(1, 1e-3));
    dev().seed(3);
    let model = DdpmSim::build(&cfg, &dev()).unwrap();
    let x = tensor(advection(2, 5), [2, 1, F, 1, L]);
    let n = 2 * (F - 1);
    let x_t = tensor(pdd::diffusion::white_noise(&[n, 1, 1, L], 2), [n, 1, 1, L]);
    let t = Tensor::<1>::full([n], 300.0, &dev());
    let eps = |x: Tensor<5>| {
        let (cond, _) = model.examples(x).unwrap();
        host(model.eps(cond.as_ref(), x_t.clone(), t.clone()))
    };
    let base = eps(x.clone());
    let k = 3; // perturbed frame
    let bump = Tensor::<5>::zeros([2, 1, F, 1, L], &dev())
        .slice_assign([0..2, 0..1, k..k + 1, 0..1, 0..L], Tensor::ones([2, 1, 1, 1, L], &dev()));
    let moved = eps(x.clone() + bump);
    for b in 0..2 {
        for f in 0..F - 1 {
            let i = (b * (F - 1) + f) * L;
            let diff = (0..L).map(|j| (base[i + j] - moved[i + j]).abs()).fold(0.0f32, f32::max);
            let sees = f >= k && f < k + model.window;
            assert_eq!(diff > 1e-4, sees, "pair {f} (example {b}): change {diff}");
            if !sees {
                assert!(diff < 1e-6, "pair {f}: change {diff}");
            }
        }
    }
    // simulation: the first w frames are copied, later test frames are never read
    let sampler = DdpmConfig { stride: 250, ..DdpmConfig::default() }.sampler().unwrap();
    let a = ddpm_simulate(&model, &sampler, x.clone(), 3, 7, &NoProgress).unwrap();
    let later = Tensor::<5>::zeros([2, 1, F, 1, L], &dev())
        .slice_assign([0..2, 0..1, 2..F, 0..1, 0..L], Tensor::ones([2, 1, F - 2, 1, L], &dev()));
    let b = ddpm_simulate(&model, &sampler, x.clone() + later, 3, 7, &NoProgress).unwrap();
    assert_eq!(a.dims(), [2, 1, 2 + 3, 1, L]);
    assert_eq!(pdd::backend::to_vec(a.clone()), pdd::backend::to_vec(b));
    assert_eq!(
        pdd::backend::to_vec(a.clone().narrow(2, 0, 2)),
        pdd::backend::to_vec(x.clone().narrow(2, 0, 2))
    );
    let c = ddpm_simulate(&model, &sampler, x.clone(), 3, 8, &NoProgress).unwrap();
    assert_ne!(pdd::backend::to_vec(a), pdd::backend::to_vec(c));
    assert!(ddpm_simulate(&model, &sampler, x.narrow(2, 0, 1), 3, 7, &NoProgress).is_err());
}

#[test]
fn resumed_ddpm_run_reaches_the_same_weights() {
    let _rng = serial();
    let data = TrajectorySet::new(advection(24, 2), Grid::line(L)).unwrap();
    let tc = train_cfg(4, 1e-2);
    let cfg = run_config(ModelKind::DdpmGen, tc.clone());
    let obj = DdpmObjective::<DdpmGen>::for_run(&cfg).unwrap();
    let plan = pdd::train::BatchPlan::new(data.len(), tc.batch_size, 1000, tc.seed).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let go = |name: &str, resume: bool, stop: Option<usize>| {
        let run = RunDir::prepare(dir.path().join(name), &cfg, resume, false).unwrap();
        train(
            &TrainJob::new(&run, &tc, &cfg.architecture(), &obj, &plan, &data),
            &options(resume, stop),
            &NoProgress,
            &mut |_| {},
        )
        .unwrap();
    };
    go("a", false, None);
    go("b", false, Some(2));
    go("b", true, None);
    let w = |name: &str| {
        let m = checkpoint::load_weights(
            DdpmGen::build(&cfg, &dev()).unwrap(),
            &dir.path().join(name).join("checkpoints/step-0000004/model.bpk"),
        )
        .unwrap();
        pdd::backend::to_vec(m.net.init_conv.conv.weight.val())
    };
    assert_eq!(w("a"), w("b"));
}

// ------------------------------------------------------------------------------------------
// runs through the command line

const PRESET: &str = r#"
[data]
system = "lorenz96"
trajectories = 8
seed = 1
splits = { train = [0, 4], valid = [4, 6], test = [6, 8] }
[data.lorenz96]
k = 8
j = 4
spinup_steps = 200
frames = 6
steps_per_frame = 20

[diffusion]
laplacian_factor = 0.1
mass_factor = 0.0
noise_amplitude_squared = 2.0
steps = 100

[model]
window = 2
dim = 8
dim_mults = [1, 2]
attention_levels = [1]
heads = 2
dim_head = 4

[train]
steps = 2
batch_size = 2
checkpoint_every = 1
crop_frames = 4
seed = 3

[ddpm]
stride = 250
"#;

#[test]
fn ddpm_runs_train_load_and_sample_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("tiny.toml");
    std::fs::write(&preset, PRESET).unwrap();
    let data = dir.path().join("d.h5");
    let (ok, text) = pdd(&["data", "generate", "--preset", &s(&preset), "--out", &s(&data)]);
    assert!(ok, "{text}");
    let train = |model: &str, out: &str| {
        pdd(&[
            "train",
            "--preset",
            &s(&preset),
            "--data",
            &s(&data),
            "--out",
            &s(&dir.path().join(out)),
            "--model",
            model,
            "--device",
            "cpu",
        ])
    };
    for (model, out) in [("ddpm-sim", "sim"), ("ddpm-gen", "gen"), ("pdd", "pdd")] {
        let (ok, text) = train(model, out);
        assert!(ok && text.contains(&format!("trained {model} tiny")), "{text}");
    }
    let (ok, text) = train("ddpm-x", "x");
    assert!(!ok && text.contains("ddpm-x"), "{text}");
    let (ok, text) = pdd(&[
        "train",
        "--preset",
        &s(&preset),
        "--data",
        &s(&data),
        "--out",
        &s(&dir.path().join("y")),
        "--model",
        "ddpm-sim",
        "--sa-pdd",
    ]);
    assert!(!ok && text.contains("--sa-pdd"), "{text}");

    let cfg_text = std::fs::read_to_string(dir.path().join("gen/config.toml")).unwrap();
    assert!(
        cfg_text.contains("kind = \"ddpm-gen\"")
            && cfg_text.contains("[ddpm]")
            && cfg_text.contains("stride = 250"),
        "{cfg_text}"
    );
    assert!(
        !std::fs::read_to_string(dir.path().join("pdd/config.toml")).unwrap().contains("[ddpm]")
    );

    let _rng = serial(); // loading initialises a model first
    let sim = DdpmRun::load(&dir.path().join("sim"), &dev()).unwrap();
    let generator = DdpmRun::load(&dir.path().join("gen"), &dev()).unwrap();
    assert_eq!((sim.step, sim.ddpm.stride, sim.sampler.steps().unwrap().len()), (2, 250, 4));
    assert_eq!(generator.config.train.crop_frames, None, "whole trajectories for ddpm-gen");
    let (c, f, ny, nx) = (2, 6, 1, 32);
    let x0 = tensor(pdd::diffusion::white_noise(&[3, c, f, ny, nx], 1), [3, c, f, ny, nx]);
    assert_eq!(sim.simulate(x0.clone(), 4, 1, &NoProgress).unwrap().dims(), [3, c, 2 + 4, ny, nx]);
    assert_eq!(generator.generate(2, 1, &dev(), &NoProgress).unwrap().dims(), [2, c, f, ny, nx]);
    assert!(
        sim.generate(2, 1, &dev(), &NoProgress)
            .unwrap_err()
            .to_string()
            .contains("--model ddpm-gen")
    );
    assert!(
        generator
            .simulate(x0, 4, 1, &NoProgress)
            .unwrap_err()
            .to_string()
            .contains("--model ddpm-sim")
    );

    let e = DdpmRun::load(&dir.path().join("pdd"), &dev()).unwrap_err().to_string();
    assert!(e.contains("`pdd` run"), "{e}");
    let e = TrainedRun::load(&dir.path().join("sim"), &dev()).err().unwrap().to_string();
    assert!(e.contains("`ddpm-sim` run"), "{e}");
    std::fs::remove_dir_all(dir.path().join("sim/checkpoints")).unwrap();
    std::fs::create_dir(dir.path().join("sim/checkpoints")).unwrap();
    let e = DdpmRun::load(&dir.path().join("sim"), &dev()).unwrap_err().to_string();
    assert!(e.contains("no checkpoint"), "{e}");
}
