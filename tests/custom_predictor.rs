//! A predictor of one's own goes all the way: it trains, is reopened from disk, resumes, and
//! simulates, generates and super-resolves through the same `Evaluator` as the U-Net.

use crate::common;

use pdd::prelude::*;

/// One periodic convolution over the window for the drift, another for the noise head: a
/// linear, λ-independent predictor written with nothing but the prelude.
#[derive(Module, Debug)]
struct LinearWindow {
    drift: PeriodicConv,
    noise: Option<PeriodicConv>,
}

impl Backbone for LinearWindow {
    fn forward(&self, x: Tensor<4>, _t: Tensor<1>) -> Heads {
        let noise = self.noise.as_ref().map(|n| n.forward(x.clone()));
        Heads { drift: self.drift.forward(x), noise }
    }
}

/// Kernel size recorded as the spec's settings.
#[derive(Config, Debug)]
struct LinearConfig {
    #[config(default = 3)]
    kernel: usize,
}

fn spec(name: &str, kernel: usize) -> CustomPredictor<impl Predictor + Module + 'static> {
    CustomPredictor::new(name, move |s: &PredictorShape, d: &Device| {
        let conv = |k| {
            PeriodicConvConfig::new(s.in_channels(), s.channels)
                .with_spatial(s.spatial)
                .with_kernel_size(k)
                .init(d)
        };
        s.wrap(LinearWindow { drift: conv(kernel), noise: s.noise_head.then(|| conv(kernel)) })
    })
    .with_settings(&LinearConfig::new().with_kernel(kernel))
    .unwrap()
}

fn study(dir: &std::path::Path) -> Study {
    let preset = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny_lorenz96.toml");
    let options =
        StudyOptions { eval_samples: Some(2), lambda_steps: Some(3), ..Default::default() };
    Study::new(preset, dir, Device::flex()).unwrap().with_options(options)
}

fn checkpoint_mtime(dir: &std::path::Path, step: usize) -> std::time::SystemTime {
    let p = dir.join(format!("checkpoints/step-{step:07}/state.json"));
    std::fs::metadata(&p)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn custom_predictor_trains_reopens_resumes_and_evaluates() {
    let _guard = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let study = study(tmp.path());
    study.data(&NoProgress).unwrap();
    let linear = spec("linear", 3);

    let run = study.train_custom("linear", &linear, 3, &NoProgress).unwrap();
    assert_eq!(run.step, 3);
    let dir = run.dir.clone();
    let cfg = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(cfg.contains("backbone = \"linear\"") && cfg.contains("kernel = 3"), "{cfg}");

    // reopened with the same constructor; a different one (name or settings) is refused
    assert_eq!(TrainedRun::open(&dir, &linear, &Device::flex()).unwrap().step, 3);
    let e = TrainedRun::open(&dir, &spec("other", 3), &Device::flex()).err().unwrap().to_string();
    assert!(e.contains("trained with backbone `linear`") && e.contains("builds `other`"), "{e}");
    let e = study.train_custom("linear", &spec("linear", 5), 3, &NoProgress).err().unwrap();
    assert!(e.to_string().contains("kernel = 5"), "{e}");
    let e = Evaluator::new(&dir, None, &Device::flex()).err().unwrap().to_string();
    assert!(e.contains("`linear` is not built in"), "{e}");

    // resumed to a larger budget; a call within the budget only loads
    let run = study.train_custom("linear", &linear, 6, &NoProgress).unwrap();
    assert_eq!(run.step, 6);
    let before = checkpoint_mtime(&dir, 6);
    let run = study.train_custom("linear", &linear, 6, &NoProgress).unwrap();
    assert_eq!(checkpoint_mtime(&dir, 6), before, "a finished run is not retrained");

    // the paper's three tasks through the same evaluator as the U-Net
    let ev = study.evaluator_of(run).unwrap();
    let (truth, sim) = ev.simulate(0.0, false, 0).unwrap();
    assert_eq!(truth.shape(), sim.shape());
    assert_eq!(sim.shape()[..3], [2, 2, 12]);
    let generated = ev.generate(1, 0, &mut |_| {}).unwrap();
    assert_eq!(generated.shape()[1..], sim.shape()[1..]);
    let (low, high) = ev.super_resolve(0, &mut |_| {}).unwrap();
    assert_eq!(low.shape(), high.shape());
    for a in [&sim, &generated, &high] {
        assert!(a.iter().all(|v| v.is_finite()));
    }

    // and the report with the U-Net's tables and figures, in the custom run's directory
    let run = TrainedRun::open(&dir, &linear, &Device::flex()).unwrap();
    let results = study.evaluate_run(run, &NoProgress).unwrap();
    assert!(results.simulation.unwrap().l2.mean.is_finite());
    assert!(results.super_resolution.unwrap().spectral.mean.is_finite());
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("super-resolution"), "{report}");
    assert!(study.figure_of("linear", EvalFigure::SuperResolution).is_ok());
}

#[test]
fn a_custom_predictor_may_not_take_a_builtin_name() {
    let tmp = tempfile::tempdir().unwrap();
    let study = study(tmp.path());
    study.data(&NoProgress).unwrap();
    let e = study.train_custom("mine", &spec("unet", 3), 2, &NoProgress).err().unwrap();
    assert!(e.to_string().contains("other than unet and fno"), "{e}");
    let e = study.train_custom("run", &spec("x", 3), 2, &NoProgress).err().unwrap();
    assert!(e.to_string().contains("must be a plain name other than `run`"), "{e}");
}

/// A study directory moved elsewhere resumes its run and finds its data: the run records the
/// dataset relative to itself.
#[test]
fn a_moved_study_resumes_and_finds_its_data() {
    // in this binary, not beside tests that spawn `pdd` processes: a child forked while the
    // dataset is being written would inherit HDF5's file lock
    let _guard = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let preset = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tiny_lorenz96.toml"
    ));
    let options = |steps| StudyOptions {
        train_steps: Some(steps),
        eval_samples: Some(2),
        lambda_steps: Some(3),
        no_generation: true,
        ..Default::default()
    };
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let study = |dir: &std::path::Path, steps| {
        Study::new(preset.to_str().unwrap(), dir, Device::flex())
            .unwrap()
            .with_options(options(steps))
    };
    let first = study(&a, 3);
    first.data(&NoProgress).unwrap();
    assert_eq!(first.train(&NoProgress).unwrap().step, 3);
    std::fs::rename(&a, &b).unwrap();
    let moved = study(&b, 6);
    let config = pdd::train::RunDir::open(moved.run_dir()).unwrap().config().unwrap();
    assert_eq!(config.data.path, "../data.h5", "the data recorded relative to the run");
    assert_eq!(moved.train(&NoProgress).unwrap().step, 6, "resumed to 6 steps");
    let run = pdd::train::TrainedRun::load(&moved.run_dir(), &Device::flex()).unwrap();
    let ev = Evaluator::from_run(run, None, &Device::flex(), None).unwrap();
    assert_eq!(ev.test.len(), 4, "the moved dataset's test paths ([eval] samples = 4)");
}
