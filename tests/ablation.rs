//! The ablation studies (Figs. 10–16): variants differ from the preset only in their named
//! settings, bad ablation settings are refused with the fields named, variants resume instead
//! of retraining, and all four studies run end to end on a tiny Lorenz-96 preset.

use crate::common;

use pdd::ablation::{Ablation, AblationKind, AblationOptions, Variant};
use pdd::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny_lorenz96.toml");

/// Every leaf setting of a preset as `section.key… = value` (TOML text of the value).
fn leaves(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
    for (k, v) in table {
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::Table(t) => leaves(&path, t, out),
            v => {
                out.insert(path, v.to_string());
            }
        }
    }
}

fn settings(p: &Preset) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    leaves("", p.table(), &mut out);
    out
}

#[test]
fn variants_change_only_their_named_settings() {
    let base = Preset::load(TINY).unwrap();
    let before = settings(&base);
    for v in [Variant::window(1), Variant::no_laplacian(0.5), Variant::noise_free()] {
        let derived = v.derive(&base).unwrap();
        assert_eq!(derived.name, base.name, "variants share the preset's data");
        let after = settings(&derived);
        let mut changed: Vec<&String> =
            after.iter().filter(|(k, val)| before.get(*k) != Some(*val)).map(|(k, _)| k).collect();
        changed.extend(before.keys().filter(|k| !after.contains_key(*k)));
        let mut named: Vec<&String> = v.changes.iter().map(|(k, _)| k).collect();
        changed.sort();
        named.sort();
        assert_eq!(changed, named, "variant `{}`", v.name);
    }
    assert!(Variant::preset().derive(&base).unwrap() == base);
    assert_eq!(Variant::window(1).run_name(), Path::new("variants/window-1"));
    assert_eq!(Variant::preset().run_name(), Path::new("run"));
}

#[test]
fn no_damping_is_refused_naming_both_fields() {
    let base = Preset::load(TINY).unwrap();
    let v = Variant::new("alpha-0", [("diffusion.laplacian_factor", toml::Value::Float(0.0))]);
    let e = v.derive(&base).unwrap_err().to_string();
    assert!(
        e.contains("diffusion.laplacian_factor")
            && e.contains("diffusion.mass_factor")
            && e.contains("no damping"),
        "{e}"
    );
    let e = Variant::window(0).derive(&base).unwrap_err().to_string();
    assert!(e.contains("model.window"), "{e}");
    let e = Variant::new("x", [("model", toml::Value::Integer(1))]).derive(&base).unwrap_err();
    assert!(e.to_string().contains("section.key"), "{e}");
}

#[test]
#[should_panic(expected = "ablation.mass_factor")]
fn zero_mass_without_laplacian_is_refused() {
    let options = AblationOptions { mass_factor: 0.0, ..AblationOptions::default() };
    options.validate(32).unwrap();
}

#[test]
fn bad_windows_and_lambdas_are_refused() {
    let check = |o: AblationOptions, field: &str| {
        let e = o.validate(12).unwrap_err().to_string();
        assert!(e.contains(field), "{field}: {e}");
    };
    let d = || AblationOptions { windows: vec![1, 5], ..AblationOptions::default() };
    check(AblationOptions { windows: vec![1, 12], ..d() }, "ablation.windows");
    check(AblationOptions { windows: vec![0], ..d() }, "ablation.windows");
    check(AblationOptions { windows: vec![], ..d() }, "ablation.windows");
    check(AblationOptions { noise_lambdas: vec![1.0], ..d() }, "ablation.noise_lambdas");
    check(AblationOptions { lambdas: vec![-0.1], ..d() }, "ablation.lambdas");
    assert!(AblationOptions { windows: vec![1, 5], ..d() }.validate(12).is_ok());
    let e = AblationKind::parse("windows").unwrap_err().to_string();
    assert!(e.contains("coarse-graining"), "{e}");
}

/// The files under `dir` with their modification times.
fn files(dir: &Path) -> BTreeMap<String, std::time::SystemTime> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.to_string_lossy().into_owned(),
                    p.metadata().unwrap().modified().unwrap(),
                );
            }
        }
    }
    out
}

fn tiny_ablation(dir: &Path) -> Ablation {
    let options = StudyOptions {
        train_steps: Some(3),
        eval_samples: Some(2),
        lambda_steps: Some(3),
        ..Default::default()
    };
    let study = Study::new(TINY, dir, Device::flex()).unwrap().with_options(options);
    let options = AblationOptions {
        windows: vec![1, 3],
        lambdas: vec![0.0, 0.2],
        noise_lambdas: vec![0.2],
        mass_factor: 0.5,
        seed: 1,
    };
    Ablation::new(study, options).unwrap()
}

#[test]
fn tiny_studies_run_end_to_end_and_variants_resume() {
    let _guard = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let ab = tiny_ablation(tmp.path());
    let reports = ab.run_all(&NoProgress).unwrap();
    assert_eq!(reports.len(), 4);
    for r in &reports {
        let md = ab.out_dir().join(format!("{}.md", r.study.name()));
        let text = std::fs::read_to_string(&md).unwrap();
        assert!(text.contains(r.study.figures()), "{text}");
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(md.with_extension("json")).unwrap()).unwrap();
        assert_eq!(json["rows"].as_array().unwrap().len(), r.rows.len());
        assert!(!r.figures.is_empty() && !r.notes.is_empty());
        for f in &r.figures {
            assert!(ab.out_dir().join(f).exists(), "{f}");
        }
    }
    // the window study reused the preset's run for window 3 and trained window 1 beside it
    let window = &reports[1];
    let runs: Vec<&str> = window.rows.iter().map(|r| r.run.as_str()).collect();
    assert!(runs.contains(&"run") && runs.contains(&"variants/window-1"), "{runs:?}");
    // α = 0: every mode damped alike (no hierarchy); the preset's α spreads them
    let lap = &reports[2];
    let spread = "spread at λ = 1 (decades)";
    assert_eq!(lap.value("α = 0, γ = 0.5, λ = 0.2", spread), Some(0.0));
    assert!(lap.value("α = 0.1, γ = 0, λ = 0.2", spread).unwrap() > 0.5);
    // every simulation number is finite
    for r in &reports[..3] {
        assert!(r.rows.iter().all(|row| row.values.iter().all(|v| v.is_finite())), "{r:?}");
    }

    // a second run trains nothing: same steps, same checkpoint files, untouched
    let runs_before = files(&tmp.path().join("variants"));
    let preset_before = files(&tmp.path().join("run"));
    let study = ab.train(&Variant::window(1), &NoProgress).unwrap();
    assert_eq!(TrainedRun::load_any(&study.run_dir(), &Device::flex()).unwrap().step, 3);
    ab.run(AblationKind::Laplacian, &NoProgress).unwrap();
    assert_eq!(files(&tmp.path().join("variants")), runs_before);
    assert_eq!(files(&tmp.path().join("run")), preset_before);
}

#[test]
fn cli_refuses_an_unknown_study() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, text) =
        common::pdd(&["ablate", "--study", "windows", "--out", &common::s(tmp.path())]);
    assert!(
        !ok && text.contains("unknown study `windows`") && text.contains("laplacian"),
        "{text}"
    );
}

#[test]
fn noise_free_forward_process_is_the_coarse_graining() {
    use pdd::diffusion::{DeviceProcess, ForwardProcess};
    let build = |noise: bool| {
        ForwardProcess::builder()
            .grid(Grid::line(16))
            .alpha(0.1)
            .steps(100)
            .forward_noise(noise)
            .build()
            .unwrap()
    };
    let (quiet, noisy) = (build(false), build(true));
    let x0 = pdd::diffusion::white_noise(&[2, 1, 3, 16], 9);
    let t = [10, 99];
    let (u, eps) = quiet.q_sample_with_noise(&x0.view(), &t, 4).unwrap();
    assert!(eps.iter().all(|&e| e == 0.0));
    let c = quiet.coarse_grain(&x0.view(), &t).unwrap();
    assert!(u.iter().zip(c.iter()).all(|(a, b)| (a - b).abs() < 1e-6));
    let n = noisy.q_sample(&x0.view(), &t, 4).unwrap();
    assert!(n.iter().zip(c.iter()).any(|(a, b)| (a - b).abs() > 1e-2), "the preset's adds noise");
    // β² still weights the loss: σ²_λ is the noisy process's
    assert_eq!(quiet.sigma2_table(), noisy.sigma2_table());
    // the device path (training's q-sample) agrees
    let device = Device::flex();
    let dp = DeviceProcess::new(&quiet, &device).unwrap();
    let x = Tensor::<5>::from_data(
        TensorData::new(x0.iter().copied().collect(), [2, 1, 3, 1, 16]),
        &device,
    );
    let (ud, ed) = dp.q_sample_seeded(x.clone(), &t, 4).unwrap();
    assert_eq!(ed.abs().sum().into_scalar::<f32>(), 0.0);
    let diff = (ud - dp.coarse_grain(x, &t).unwrap()).abs().max().into_scalar::<f32>();
    assert!(diff < 1e-6, "{diff}");
    let e = ForwardProcess::builder().grid(Grid::line(8)).alpha(0.0).build().unwrap_err();
    assert!(e.to_string().contains("no damping"), "{e}");
}
