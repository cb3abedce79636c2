//! The whole pipeline through the CLI on a tiny preset: data → train → simulate / generate /
//! super-resolve → eval, plus resume after SIGKILL and the refusals of the sampling commands.

use burn::prelude::*;
use std::path::Path;
use std::process::Command;

/// A tiny Lorenz-96 preset (8 × 4 points, 20 paths, 12 training steps); shared with
/// tests/bad_input.rs.
const PRESET: &str = include_str!("fixtures/tiny_lorenz96.toml");

fn pdd(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pdd")).args(args).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn weights(run: &Path) -> Vec<f32> {
    let r = pdd::train::TrainedRun::load(run, &Device::flex()).unwrap();
    pdd::backend::to_vec(r.model.backbone.init_conv.conv.weight.val())
        .into_iter()
        .chain(pdd::backend::to_vec(r.model.backbone.drift_head.conv.weight.val()))
        .collect()
}

#[test]
fn data_train_sample_eval_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let s = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(dir.path().join("tiny.toml"), PRESET).unwrap();
    let preset = s("tiny.toml");
    let (ok, t) = pdd(&["data", "generate", "--preset", &preset, "--out", &s("d.h5")]);
    assert!(ok, "{t}");
    let (ok, t) = pdd(&[
        "train",
        "--preset",
        &preset,
        "--data",
        &s("d.h5"),
        "--out",
        &s("run"),
        "--device",
        "cpu",
    ]);
    assert!(ok, "{t}");
    assert!(t.contains("step 12"), "{t}");
    for f in [
        "config.toml",
        "log.csv",
        "model.safetensors",
        "README.md",
        "checkpoints/step-0000012/model.bpk",
    ] {
        assert!(dir.path().join("run").join(f).exists(), "{f} missing");
    }
    // a second train into the same directory is refused without --resume / --overwrite
    let (ok, t) = pdd(&[
        "train",
        "--preset",
        &preset,
        "--data",
        &s("d.h5"),
        "--out",
        &s("run"),
        "--device",
        "cpu",
    ]);
    assert!(!ok && t.contains("--resume"), "{t}");

    let (ok, t) = pdd(&["simulate", "--run", &s("run"), "--device", "cpu", "--out", &s("sim.h5")]);
    assert!(ok, "{t}");
    let (x, attrs) = pdd::io::read_samples(&dir.path().join("sim.h5")).unwrap();
    assert_eq!(x.shape(), &[4, 2, 12, 32]);
    assert!(attrs.iter().any(|(k, v)| k == "task" && v == "simulate"));
    let (ok, t) = pdd(&[
        "generate",
        "--run",
        &s("run"),
        "--device",
        "cpu",
        "--samples",
        "2",
        "--steps",
        "5",
        "--out",
        &s("gen.h5"),
    ]);
    assert!(ok, "{t}");
    assert_eq!(
        pdd::io::read_samples(&dir.path().join("gen.h5")).unwrap().0.shape(),
        &[2, 2, 12, 32]
    );
    let (ok, t) = pdd(&[
        "super-resolve",
        "--run",
        &s("run"),
        "--device",
        "cpu",
        "--steps",
        "4",
        "--out",
        &s("sr.h5"),
    ]);
    assert!(ok, "{t}");
    assert!(t.contains("spectral error LR"), "{t}");
    let (ok, t) = pdd(&[
        "eval",
        "--run",
        &s("run"),
        "--device",
        "cpu",
        "--steps",
        "5",
        "--report",
        &s("report/r.md"),
    ]);
    assert!(ok, "{t}");
    let md = std::fs::read_to_string(dir.path().join("report/r.md")).unwrap();
    for needle in
        ["Table 1", "Table 2", "Table 3", "persistence", "0.503 ± 0.011", "fig7_l2_vs_lambda.svg"]
    {
        assert!(md.contains(needle), "`{needle}` missing:\n{md}");
    }
    for f in [
        "fig2_simulation.svg",
        "fig4_super_resolution_psd.svg",
        "fig7_spectral_vs_lambda.svg",
        "fig8_generation.svg",
    ] {
        let svg = std::fs::read_to_string(dir.path().join("report/figures").join(f)).unwrap();
        assert!(svg.starts_with("<svg") || svg.contains("<svg"), "{f}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report/r.json")).unwrap())
            .unwrap();
    assert!(json["simulation"]["l2"]["mean"].as_f64().unwrap().is_finite());

    // refusals: no checkpoint, λ out of range, existing output
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    let (ok, t) = pdd(&["simulate", "--run", &s("empty"), "--device", "cpu"]);
    assert!(!ok && t.contains("not a pdd run"), "{t}");
    let (ok, t) = pdd(&["simulate", "--run", &s("run"), "--device", "cpu", "--lambda", "1.5"]);
    assert!(!ok && t.contains("outside"), "{t}");
    let (ok, t) = pdd(&["simulate", "--run", &s("run"), "--device", "cpu", "--out", &s("sim.h5")]);
    assert!(!ok && t.contains("already exists"), "{t}");
}

#[test]
fn training_killed_with_sigkill_resumes_to_the_same_weights() {
    let dir = tempfile::tempdir().unwrap();
    let s = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(dir.path().join("tiny.toml"), PRESET.replace("steps = 12", "steps = 60"))
        .unwrap();
    let preset = s("tiny.toml");
    assert!(pdd(&["data", "generate", "--preset", &preset, "--out", &s("d.h5")]).0);
    let (ok, t) = pdd(&[
        "train",
        "--preset",
        &preset,
        "--data",
        &s("d.h5"),
        "--out",
        &s("a"),
        "--device",
        "cpu",
    ]);
    assert!(ok, "{t}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pdd"))
        .args([
            "train",
            "--preset",
            &preset,
            "--data",
            &s("d.h5"),
            "--out",
            &s("b"),
            "--device",
            "cpu",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ckpt = dir.path().join("b/checkpoints/step-0000009");
    let t0 = std::time::Instant::now();
    while !ckpt.exists() && t0.elapsed().as_secs() < 300 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(ckpt.exists(), "no checkpoint appeared");
    let killed_early = !status.success() && !dir.path().join("b/checkpoints/step-0000060").exists();
    let (ok, t) = pdd(&[
        "train",
        "--preset",
        &preset,
        "--data",
        &s("d.h5"),
        "--out",
        &s("b"),
        "--device",
        "cpu",
        "--resume",
    ]);
    assert!(ok, "{t}");
    assert!(dir.path().join("b/checkpoints/step-0000060").exists());
    assert_eq!(weights(&dir.path().join("a")), weights(&dir.path().join("b")));
    assert!(killed_early, "the run finished before it could be killed; the test proved nothing");
}

/// `pdd demo` runs data → train → eval into one directory and skips finished stages when rerun;
/// `pdd eval --baseline` puts trained DDPM baselines (simulation and generation) in the tables.
#[test]
fn demo_resumes_and_eval_takes_ddpm_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let s = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(dir.path().join("tiny.toml"), format!("{PRESET}\n[ddpm]\nstride = 100\n"))
        .unwrap();
    let preset = s("tiny.toml");
    let demo = [
        "demo",
        "--preset",
        &preset,
        "--out",
        &s("demo"),
        "--device",
        "cpu",
        "--lambda-steps",
        "5",
    ];
    let (ok, t) = pdd(&demo);
    assert!(ok, "{t}");
    let root = dir.path().join("demo/tiny");
    for f in [
        "data.h5",
        "run/config.toml",
        "run/checkpoints/step-0000012/model.bpk",
        "report.md",
        "report.json",
        "figures/fig8_generation.svg",
    ] {
        assert!(root.join(f).exists(), "{f} missing:\n{t}");
    }
    assert!(t.contains("demo finished") && t.contains("Table 3"), "{t}");
    let log = std::fs::read_to_string(root.join("run/log.csv")).unwrap();
    let (ok, t) = pdd(&demo);
    assert!(ok, "{t}");
    assert_eq!(
        std::fs::read_to_string(root.join("run/log.csv")).unwrap(),
        log,
        "a finished run is not retrained"
    );

    let data = root.join("data.h5").to_string_lossy().into_owned();
    for kind in ["ddpm-sim", "ddpm-gen"] {
        let (ok, t) = pdd(&[
            "train",
            "--model",
            kind,
            "--preset",
            &preset,
            "--data",
            &data,
            "--out",
            &s(kind),
            "--steps",
            "3",
            "--device",
            "cpu",
        ]);
        assert!(ok, "{kind}: {t}");
    }
    let run = root.join("run").to_string_lossy().into_owned();
    let (ok, t) = pdd(&[
        "eval",
        "--run",
        &run,
        "--device",
        "cpu",
        "--steps",
        "5",
        "--report",
        &s("r/r.md"),
        "--baseline",
        &s("ddpm-sim"),
        &s("ddpm-gen"),
    ]);
    assert!(ok, "{t}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r/r.json")).unwrap())
            .unwrap();
    assert_eq!(json["objective"], "pdd", "the preset's default objective, in its preset spelling");
    let all = json["baselines"].as_array().unwrap();
    assert_eq!(all.len(), 3, "the linear-Gaussian baseline, then the two given");
    // the linear-Gaussian baseline does all three tasks, with W1 beside each
    let lg = &all[0];
    assert_eq!(lg["name"], "linear-Gaussian");
    for key in ["sim_l2", "gen_spectral", "sr_spectral", "sr_input_spectral"] {
        assert!(lg[key]["mean"].as_f64().unwrap().is_finite(), "{key}: {lg}");
    }
    for task in ["simulation", "generation", "super_resolution"] {
        assert!(lg["w1"][task]["value"][0].as_f64().unwrap().is_finite(), "{task}: {lg}");
        assert!(json[task]["w1"]["value"][0].as_f64().unwrap().is_finite(), "{task}");
    }
    let b = &all[1..];
    assert_eq!(b[0]["name"], "DDPM-sim");
    assert!(
        b[0]["sim_l2"]["mean"].as_f64().unwrap().is_finite() && b[0]["gen_spectral"].is_null(),
        "{}",
        b[0]
    );
    assert_eq!(b[1]["name"], "DDPM-gen");
    assert!(
        b[1]["gen_spectral"]["mean"].as_f64().unwrap().is_finite() && b[1]["sim_l2"].is_null(),
        "{}",
        b[1]
    );
    let md = std::fs::read_to_string(dir.path().join("r/r.md")).unwrap();
    assert!(md.contains("DDPM-sim (ours)") && md.contains("DDPM-gen (ours)"), "{md}");
    assert!(md.contains("linear-Gaussian (ours)") && md.contains("pointwise W₁"), "{md}");
    // a PDD run is not a baseline
    let (ok, t) = pdd(&[
        "eval",
        "--run",
        &run,
        "--device",
        "cpu",
        "--report",
        &s("r2/r.md"),
        "--baseline",
        &run,
    ]);
    assert!(!ok && t.contains("baseline"), "{t}");
}

#[test]
fn a_gaussian_skip_run_trains_from_zero_heads_and_reopens_from_its_own_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let s = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let preset = PRESET.replacen("[model]\n", "[model]\nskip = \"gaussian\"\n", 1);
    assert_ne!(preset, PRESET, "the fixture has a [model] section");
    std::fs::write(dir.path().join("skip.toml"), preset).unwrap();
    let (ok, t) = pdd(&["data", "generate", "--preset", &s("skip.toml"), "--out", &s("d.h5")]);
    assert!(ok, "{t}");
    let args = ["--data", &s("d.h5"), "--out", &s("run"), "--device", "cpu", "--steps", "2"];
    let (ok, t) = pdd(&[&["train", "--preset", &s("skip.toml")][..], &args].concat());
    assert!(ok, "{t}");
    assert!(dir.path().join("run/second_order.h5").is_file(), "the statistics travel with the run");
    // the heads started at zero and trained: the drift head is no longer zero
    let r = pdd::train::TrainedRun::load(&dir.path().join("run"), &Device::flex()).unwrap();
    assert!(r.model.skip.is_some());
    let head = pdd::backend::to_vec(r.model.backbone.drift_head.conv.weight.val());
    assert!(head.iter().any(|v| *v != 0.0) && head.iter().all(|v| v.abs() < 0.1), "{head:?}");
    // without its dataset the run reopens from second_order.h5
    std::fs::rename(dir.path().join("d.h5"), dir.path().join("moved.h5")).unwrap();
    assert!(pdd::train::TrainedRun::load(&dir.path().join("run"), &Device::flex()).is_ok());
}
