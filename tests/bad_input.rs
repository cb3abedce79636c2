//! Bad inputs and faults that used to lose data, corrupt a run or succeed with a wrong result
//! (issue 13): each test names its case. Runs go through the `pdd` binary on a tiny preset.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{pdd, s};

/// The tiny preset of tests/pipeline.rs with 6 training steps and 2 evaluation paths.
fn tiny_preset() -> String {
    include_str!("fixtures/tiny_lorenz96.toml")
        .replace("steps = 12", "steps = 6")
        .replace("valid_every = 6", "valid_every = 3")
        .replace("samples = 4", "samples = 2")
        .replace("batch = 4", "batch = 2")
        .replace("sweep_lambdas = [0.0, 0.2]", "sweep_lambdas = [0.0]")
}

/// A directory holding `tiny.toml`, `d.h5` and `base/`, a finished 6-step run (checkpoints at
/// steps 3 and 6); built once per test process and never modified (tests copy `base/`).
fn fixture() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        std::fs::write(dir.join("tiny.toml"), tiny_preset()).unwrap();
        let (preset, data) = (s(&dir.join("tiny.toml")), s(&dir.join("d.h5")));
        let (ok, t) = pdd(&["data", "generate", "--preset", &preset, "--out", &data]);
        assert!(ok, "{t}");
        let (ok, t) = train(&dir, &dir.join("base"), &[]);
        assert!(ok, "{t}");
        dir
    })
}

/// `pdd train` of the fixture's preset and data into `out`, with extra arguments.
fn train(fixture: &Path, out: &Path, extra: &[&str]) -> (bool, String) {
    let (preset, data, out) = (s(&fixture.join("tiny.toml")), s(&fixture.join("d.h5")), s(out));
    let mut args =
        vec!["train", "--preset", &preset, "--data", &data, "--out", &out, "--device", "cpu"];
    args.extend_from_slice(extra);
    pdd(&args)
}

/// A copy of the fixture's finished run in a fresh directory.
fn base_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&fixture().join("base"), &run);
    (dir, run)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Case 1: a run directory held by a live process is refused (naming its PID) before anything
/// is written; a lock file left by a dead process is taken over.
#[test]
fn case01_locked_run_directory_is_refused() {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let mut lock = std::fs::File::create(run.join(".lock")).unwrap();
    lock.try_lock().unwrap();
    std::io::Write::write_all(&mut lock, std::process::id().to_string().as_bytes()).unwrap();
    let (ok, t) = train(fx, &run, &[]);
    assert!(!ok && t.contains(&format!("process {}", std::process::id())), "{t}");
    assert!(!run.join("config.toml").exists(), "nothing written into a locked directory");
    drop(lock); // the holder died: its lock file stays, its OS lock is gone
    std::fs::write(run.join(".lock"), "999999999").unwrap();
    let (ok, t) = train(fx, &run, &[]);
    assert!(ok, "a stale lock file is taken over: {t}");
    assert!(!run.join(".lock").exists(), "the lock is removed when training ends");
}

/// Case 1: two trainings started together into one directory never both succeed.
#[test]
fn case01_concurrent_trainings_do_not_both_succeed() {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let out = s(&dir.path().join("run"));
    let (preset, data) = (s(&fx.join("tiny.toml")), s(&fx.join("d.h5")));
    let args = [
        "train", "--preset", &preset, "--data", &data, "--out", &out, "--device", "cpu", "--steps",
        "30",
    ];
    let spawn = || Command::new(env!("CARGO_BIN_EXE_pdd")).args(args).output().unwrap();
    let (a, b) = std::thread::scope(|sc| {
        let a = sc.spawn(spawn);
        let b = sc.spawn(spawn);
        (a.join().unwrap(), b.join().unwrap())
    });
    let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(a.status.success() || b.status.success(), "{}\n{}", text(&a), text(&b));
    assert!(!(a.status.success() && b.status.success()), "both wrote the same run directory");
}

/// Case 2: a torn last line of `log.csv` (a write cut short by a full disk) does not block
/// `--resume`; the log is rewritten from the checkpoint's step.
#[test]
fn case02_torn_log_line_does_not_block_resume() {
    let (_dir, run) = base_copy();
    let mut log = std::fs::OpenOptions::new().append(true).open(run.join("log.csv")).unwrap();
    std::io::Write::write_all(&mut log, b"6,1.16666901e0,2.074").unwrap();
    drop(log);
    let (ok, t) = train(fixture(), &run, &["--resume", "--steps", "9"]);
    assert!(ok, "{t}");
    let rows = pdd::train::log::read(&run.join("log.csv")).unwrap();
    let steps: Vec<usize> = rows.iter().map(|r| r.step).collect();
    assert_eq!(steps, (1..=9).collect::<Vec<_>>());
}

/// Case 4: `--resume --steps N` below the checkpoint's step is refused and rewrites nothing.
#[test]
fn case04_resume_below_the_checkpoint_step_is_refused() {
    let (_dir, run) = base_copy();
    let config = std::fs::read(run.join("config.toml")).unwrap();
    let readme = std::fs::read(run.join("README.md")).unwrap();
    let (ok, t) = train(fixture(), &run, &["--resume", "--steps", "3"]);
    assert!(!ok && t.contains("step 6") && t.contains("--steps 6"), "{t}");
    assert_eq!(std::fs::read(run.join("config.toml")).unwrap(), config);
    assert_eq!(std::fs::read(run.join("README.md")).unwrap(), readme);
}

/// The first and last convolution weights of a run's latest checkpoint.
fn weights(run: &Path) -> Vec<f32> {
    let r = pdd::train::TrainedRun::load(run, &burn::prelude::Device::flex()).unwrap();
    pdd::backend::to_vec(r.model.backbone.init_conv.conv.weight.val())
        .into_iter()
        .chain(pdd::backend::to_vec(r.model.backbone.drift_head.conv.weight.val()))
        .collect()
}

/// Case 12: a truncated newest checkpoint is skipped with a message and training resumes from
/// the previous one, reaching the weights of an uninterrupted run.
#[test]
fn case12_truncated_newest_checkpoint_falls_back() {
    let (dir, run) = base_copy();
    let newest = run.join("checkpoints/step-0000006/model.bpk");
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, t) = train(fixture(), &run, &["--resume", "--steps", "9"]);
    assert!(ok, "{t}");
    assert!(t.contains("skipped damaged checkpoint step-0000006") && t.contains("step 3"), "{t}");
    let straight = dir.path().join("straight");
    let (ok, t) = train(fixture(), &straight, &["--steps", "9"]);
    assert!(ok, "{t}");
    assert_eq!(weights(&run), weights(&straight));
}

/// Case 12: the sampling commands load the newest intact checkpoint and say which they skipped.
#[test]
fn case12_sampling_skips_a_truncated_newest_checkpoint() {
    let (_dir, run) = base_copy();
    let newest = run.join("checkpoints/step-0000006/model.bpk");
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, t) = pdd(&["simulate", "--run", &s(&run), "--device", "cpu", "--samples", "1"]);
    assert!(ok, "{t}");
    assert!(t.contains("skipped damaged checkpoint step-0000006") && t.contains("step 3"), "{t}");
}

/// Case 12: a DDPM baseline run loads its newest intact checkpoint too.
#[test]
fn case12_baseline_skips_a_truncated_newest_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("ddpm");
    let (ok, t) = train(fixture(), &run, &["--model", "ddpm-sim"]);
    assert!(ok, "{t}");
    let newest = run.join("checkpoints/step-0000006/model.bpk");
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..bytes.len() / 2]).unwrap();
    let loaded = pdd::baseline::DdpmRun::load(&run, &burn::prelude::Device::flex()).unwrap();
    assert_eq!(loaded.step, 3);
    assert!(
        loaded.skipped.len() == 1 && loaded.skipped[0].starts_with("step-0000006"),
        "{:?}",
        loaded.skipped
    );
}

/// Case 3: `pdd eval` refuses an existing report without `--overwrite`.
#[test]
fn case03_eval_refuses_an_existing_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.md");
    std::fs::write(&report, "mine").unwrap();
    let base = s(&fixture().join("base"));
    let args = [
        "eval",
        "--run",
        &base,
        "--device",
        "cpu",
        "--steps",
        "2",
        "--no-generation",
        "--report",
        &s(&report),
    ];
    let (ok, t) = pdd(&args);
    assert!(!ok && t.contains("already exists"), "{t}");
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "mine");
    assert!(!dir.path().join("figures").exists());
}

/// Case 13: output paths are checked before any sampling; a refused eval leaves no `figures/`.
#[test]
fn case13_outputs_are_checked_before_sampling() {
    let dir = tempfile::tempdir().unwrap();
    let base = s(&fixture().join("base"));
    let missing = s(&dir.path().join("missing/x.h5"));
    let (ok, t) = pdd(&["simulate", "--run", &base, "--device", "cpu", "--out", &missing]);
    assert!(!ok && t.contains("does not exist") && !t.contains("simulated"), "{t}");
    let sr =
        ["super-resolve", "--run", &base, "--device", "cpu", "--steps", "2", "--out", &missing];
    let (ok, t) = pdd(&sr);
    assert!(!ok && t.contains("does not exist") && !t.contains("super-resolved"), "{t}");
    std::fs::create_dir_all(dir.path().join("r/r.md")).unwrap();
    let report = s(&dir.path().join("r/r.md"));
    let eval = [
        "eval",
        "--run",
        &base,
        "--device",
        "cpu",
        "--steps",
        "2",
        "--no-generation",
        "--report",
        &report,
    ];
    let (ok, t) = pdd(&eval);
    assert!(!ok && t.contains("is a directory"), "{t}");
    assert!(!dir.path().join("r/figures").exists(), "a failed eval leaves no figures/");
}

/// Case 7: `--steps 0` (and other zero counts) are refused instead of meaning 1.
#[test]
fn case07_zero_counts_are_refused() {
    let base = s(&fixture().join("base"));
    let dir = tempfile::tempdir().unwrap();
    let report = s(&dir.path().join("r.md"));
    for cmd in ["generate", "super-resolve", "eval"] {
        let mut args =
            vec![cmd, "--run", &base, "--device", "cpu", "--samples", "1", "--steps", "0"];
        if cmd == "eval" {
            args.extend(["--report", &report]);
        }
        let (ok, t) = pdd(&args);
        assert!(!ok && t.contains("--steps") && t.contains("at least 1"), "{cmd}: {t}");
    }
    let (ok, t) = pdd(&["generate", "--run", &base, "--device", "cpu", "--samples", "0"]);
    assert!(!ok && t.contains("--samples") && t.contains("at least 1"), "{t}");
}

/// Case 8: a predictor window that leaves no frame to predict is refused at training.
#[test]
fn case08_window_not_shorter_than_the_paths_is_refused() {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("wide.toml");
    std::fs::write(&preset, tiny_preset().replace("window = 3", "window = 12")).unwrap();
    let (out, data) = (dir.path().join("run"), s(&fx.join("d.h5")));
    let (ok, t) = pdd(&[
        "train",
        "--preset",
        &s(&preset),
        "--data",
        &data,
        "--out",
        &s(&out),
        "--device",
        "cpu",
    ]);
    assert!(!ok && t.contains("model.window") && t.contains("13 frames"), "{t}");
    assert!(!out.exists(), "nothing written");
}

/// Case 5: a misspelt section or a stray top-level key in a preset is refused.
#[test]
fn case05_unknown_preset_sections_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.toml");
    std::fs::write(&path, format!("{}\n[sampel]\nsnr = 0.5\n", tiny_preset())).unwrap();
    let (ok, t) = pdd(&["presets", &s(&path)]);
    assert!(!ok && t.contains("sampel") && t.contains("did you mean [sample]"), "{t}");
    std::fs::write(&path, format!("stride = 5\n{}", tiny_preset())).unwrap();
    let (ok, t) = pdd(&["presets", &s(&path)]);
    assert!(!ok && t.contains("`stride`"), "{t}");
}

/// Case 6: overlapping or out-of-range splits are refused before any data is written.
#[test]
fn case06_overlapping_or_out_of_range_splits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("split.toml");
    let out = s(&dir.path().join("d.h5"));
    let cases = [
        ("valid = [12, 16]", "valid = [10, 16]", "overlaps"),
        ("test = [16, 20]", "test = [16, 24]", "beyond"),
    ];
    for (from, to, needle) in cases {
        std::fs::write(&path, tiny_preset().replace(from, to)).unwrap();
        let (ok, t) = pdd(&["data", "generate", "--preset", &s(&path), "--out", &out]);
        assert!(!ok && t.contains(needle), "{to}: {t}");
        assert!(!dir.path().join("d.h5").exists());
    }
}

/// Case 9: `--trajectories N` scales the preset's splits instead of clipping them.
#[test]
fn case09_trajectories_scale_the_splits() {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let out = s(&dir.path().join("d.h5"));
    let preset = s(&fx.join("tiny.toml"));
    let (ok, t) =
        pdd(&["data", "generate", "--preset", &preset, "--out", &out, "--trajectories", "10"]);
    assert!(ok, "{t}");
    assert!(t.contains("train 6 [0..=5], valid 2 [6..=7], test 2 [8..=9]"), "{t}");
}

/// Case 10: an absurd `--trajectories` is refused before any work, and the temporary file of
/// a killed `data generate` is swept by the next one.
#[test]
fn case10_huge_trajectories_are_refused_and_stale_temporaries_swept() {
    let preset = s(&fixture().join("tiny.toml"));
    let dir = tempfile::tempdir().unwrap();
    let out = s(&dir.path().join("d.h5"));
    let stale = dir.path().join("d.h5.tmp.999999999-0");
    std::fs::write(&stale, "left by a killed run").unwrap();
    let (ok, t) = pdd(&[
        "data",
        "generate",
        "--preset",
        &preset,
        "--out",
        &out,
        "--trajectories",
        "1000000000000",
    ]);
    assert!(!ok && t.contains("data.trajectories") && t.contains("PiB"), "{t}");
    let (ok, t) =
        pdd(&["data", "generate", "--preset", &preset, "--out", &out, "--trajectories", "4"]);
    assert!(ok, "{t}");
    assert!(!stale.exists(), "the dead process's temporary file is swept");
}

/// Case 11: a moved (or copied) dataset resumes its run instead of being "a different run".
#[test]
fn case11_moved_dataset_resumes_its_run() {
    let (dir, run) = base_copy();
    let moved = dir.path().join("elsewhere.h5");
    std::fs::copy(fixture().join("d.h5"), &moved).unwrap();
    let preset = s(&fixture().join("tiny.toml"));
    let args =
        ["train", "--preset", &preset, "--data", &s(&moved), "--out", &s(&run), "--device", "cpu"];
    let (ok, t) = pdd(&[&args[..], &["--resume", "--steps", "9"]].concat());
    assert!(ok, "{t}");
    assert!(run.join("checkpoints/step-0000009").exists());
}

/// Also: `noise_amplitude_squared = 0` (no noise: the loss divides by σ²_λ = 0) is refused.
#[test]
fn zero_noise_amplitude_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("quiet.toml");
    let quiet = tiny_preset()
        .replace("laplacian_factor = 0.1", "laplacian_factor = 0.1\nnoise_amplitude_squared = 0");
    std::fs::write(&preset, quiet).unwrap();
    let (out, data) = (dir.path().join("run"), s(&fixture().join("d.h5")));
    let (ok, t) = pdd(&[
        "train",
        "--preset",
        &s(&preset),
        "--data",
        &data,
        "--out",
        &s(&out),
        "--device",
        "cpu",
    ]);
    assert!(!ok && t.contains("noise_amplitude_squared"), "{t}");
}

/// Also: `eval --no-generation` shows the skipped task as "–", not "NaN ± 0.000".
#[test]
fn skipped_generation_is_not_reported_as_nan() {
    let dir = tempfile::tempdir().unwrap();
    let report = s(&dir.path().join("r.md"));
    let base = s(&fixture().join("base"));
    let eval = [
        "eval",
        "--run",
        &base,
        "--device",
        "cpu",
        "--steps",
        "2",
        "--no-generation",
        "--report",
        &report,
    ];
    let (ok, t) = pdd(&eval);
    assert!(ok, "{t}");
    assert!(!t.contains("NaN ±"), "{t}");
}

/// Also: identical runs export byte-identical `model.safetensors`, readable by others (0644).
#[test]
fn safetensors_export_is_reproducible_and_world_readable() {
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("again");
    let (ok, t) = train(fixture(), &again, &[]);
    assert!(ok, "{t}");
    let (a, b) = (fixture().join("base/model.safetensors"), again.join("model.safetensors"));
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "exports differ");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&b).unwrap().permissions().mode() & 0o777, 0o644);
    }
}

/// Also: a wrong-typed preset value is named with its section and key.
#[test]
fn wrong_type_names_section_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("typed.toml");
    std::fs::write(&preset, tiny_preset().replace("batch_size = 4", "batch_size = \"four\""))
        .unwrap();
    let (out, data) = (dir.path().join("run"), s(&fixture().join("d.h5")));
    let (ok, t) = pdd(&[
        "train",
        "--preset",
        &s(&preset),
        "--data",
        &data,
        "--out",
        &s(&out),
        "--device",
        "cpu",
    ]);
    assert!(!ok && t.contains("train.batch_size"), "{t}");
}

/// Also: an OS error is printed once, not once per link of the error chain.
#[test]
fn os_errors_are_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dir.toml");
    std::fs::create_dir_all(&path).unwrap();
    let (ok, t) = pdd(&["presets", &s(&path)]);
    assert!(!ok && t.matches("os error").count() == 1, "{t}");
}

// ---- issue 26: nothing silently wrong, second pass (each test names its item) ----

/// `pdd train` of the tiny preset with `from` replaced by `to`, into a fresh directory.
fn train_edited(edits: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("edited.toml");
    let mut text = tiny_preset();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    std::fs::write(&preset, text).unwrap();
    let (out, data) = (dir.path().join("run"), s(&fixture().join("d.h5")));
    let args = ["train", "--preset", &s(&preset), "--data", &data, "--out", &s(&out)];
    let r = pdd(&[&args[..], &["--device", "cpu"]].concat());
    assert!(!out.join("checkpoints").exists() || r.0, "a refused run trains nothing");
    r
}

/// Item 1: settings with which training "succeeds" without training are refused by name.
#[test]
fn issue26_01_settings_that_cannot_train_are_refused() {
    for (edit, field) in [
        (("lr = 1e-3", "lr = 1e-3\neps = inf"), "train.eps"),
        (("lr = 1e-3", "lr = 1e-3\neps = 1e3"), "train.eps"),
        (("lr = 1e-3", "lr = 1e-3\ndrift_weight = inf"), "train.drift_weight"),
        (
            ("lr = 1e-3", "lr = 1e-3\nobjective = \"sa-pdd\"\ndrift_weight = 0\nnoise_weight = 0"),
            "train.drift_weight",
        ),
        (("lr = 1e-3", "lr = nan"), "train.lr"),
    ] {
        let (ok, t) = train_edited(&[edit]);
        assert!(!ok && t.contains(&format!("`{field}`")), "{}: {t}", edit.1);
    }
}

/// Item 2: a validation loss over zero batches is refused, not reported as 0.
#[test]
fn issue26_02_zero_validation_batches_are_refused() {
    let (ok, t) = train_edited(&[("valid_batches = 1", "valid_batches = 0")]);
    assert!(!ok && t.contains("`train.valid_batches`"), "{t}");
}

/// The fixture's finished run with `line` added to its `config.toml` `[sample]` section.
fn run_with_sample_setting(line: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, run) = base_copy();
    let cfg = run.join("config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("[sample]\n"), "{text}");
    std::fs::write(&cfg, text.replace("[sample]\n", &format!("[sample]\n{line}\n"))).unwrap();
    (dir, run)
}

/// Item 3: an empty reverse schedule (final index at or above the start) is refused by name
/// instead of returning the input or pure noise with a plausible score.
#[test]
fn issue26_03_an_empty_reverse_schedule_is_refused() {
    let (_dir, run) = run_with_sample_setting("final_index = 5000");
    for cmd in ["super-resolve", "generate"] {
        let (ok, t) = pdd(&[cmd, "--run", &s(&run), "--device", "cpu", "--samples", "1"]);
        assert!(!ok && t.contains("`sample.final_index`"), "{cmd}: {t}");
        assert!(!t.contains("SR") && !t.contains("generated"), "{cmd}: {t}");
    }
}

/// Item 3: `diffusion.steps = 1` (λ = 0.2 rounds to index 0) leaves super-resolution no step.
#[test]
fn issue26_03_one_diffusion_step_leaves_no_super_resolution() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let edit = ("laplacian_factor = 0.1", "laplacian_factor = 0.1\nsteps = 1");
    let preset = dir.path().join("one.toml");
    std::fs::write(&preset, tiny_preset().replace(edit.0, edit.1)).unwrap();
    let data = s(&fixture().join("d.h5"));
    let args = ["train", "--preset", &s(&preset), "--data", &data, "--out", &s(&run)];
    let (ok, t) = pdd(&[&args[..], &["--device", "cpu", "--steps", "1"]].concat());
    assert!(ok, "{t}");
    let (ok, t) = pdd(&["super-resolve", "--run", &s(&run), "--device", "cpu", "--samples", "1"]);
    assert!(!ok && t.contains("`sample.final_index`") && t.contains("diffusion.steps = 1"), "{t}");
}

/// Item 4: a dataset whose `/splits/test` was edited to cover training trajectories is refused
/// on open, naming the split.
#[test]
fn issue26_04_edited_splits_are_refused_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.h5");
    std::fs::copy(fixture().join("d.h5"), &data).unwrap();
    {
        let f = hdf5::File::open_rw(&data).unwrap();
        f.unlink("splits/test").unwrap();
        let test: Vec<u64> = (0..4).collect(); // training trajectories
        f.new_dataset_builder().with_data(&test).create("splits/test").unwrap();
    }
    let Err(e) = pdd::io::Dataset::open(&data) else { panic!("an edited split is refused") };
    let e = e.to_string();
    assert!(e.contains("/splits/test") && e.contains("edited"), "{e}");
    let (ok, t) = pdd(&["data", "info", &s(&data)]);
    assert!(!ok && t.contains("/splits/test"), "{t}");
}

/// Item 5: a checkpoint file changed after it was written (29 kB zeroed in the middle of
/// `model.bpk`) fails its content hash and is skipped like any damaged checkpoint.
#[test]
fn issue26_05_a_zeroed_block_fails_the_checkpoint_hash() {
    let (_dir, run) = base_copy();
    let newest = run.join("checkpoints/step-0000006/model.bpk");
    let mut bytes = std::fs::read(&newest).unwrap();
    let (mid, n) = (bytes.len() / 2, (29 * 1024).min(bytes.len() / 4));
    bytes[mid - n / 2..mid + n / 2].fill(0);
    std::fs::write(&newest, &bytes).unwrap();
    let (ok, t) = pdd(&["simulate", "--run", &s(&run), "--device", "cpu", "--samples", "1"]);
    assert!(ok, "{t}");
    assert!(t.contains("skipped damaged checkpoint step-0000006") && t.contains("hash"), "{t}");
    assert!(t.contains("step 3"), "{t}");
    let (ok, t) = train(fixture(), &run, &["--resume", "--steps", "9"]);
    assert!(ok && t.contains("skipped damaged checkpoint step-0000006"), "{t}");
}

/// `pdd eval` of the fixture's run (2 reverse steps, no generation) with extra arguments.
fn eval_tiny(report: &Path, extra: &[&str]) -> (bool, String) {
    let base = s(&fixture().join("base"));
    let args = ["eval", "--run", &base, "--device", "cpu", "--steps", "2", "--report"];
    pdd(&[&args[..], &[&s(report)], extra].concat())
}

/// Items 6 and 15: `--report r.json` is refused (the JSON would overwrite it); a report skipping
/// generation links no generation figure (stale ones are removed); one seed prints no spread.
#[test]
fn issue26_06_15_report_paths_figures_and_spreads() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, t) = eval_tiny(&dir.path().join("r.json"), &["--no-generation"]);
    assert!(!ok && t.contains("--report"), "{t}");
    assert!(!dir.path().join("r.json").exists());
    let figures = dir.path().join("figures");
    std::fs::create_dir_all(&figures).unwrap();
    let stale = figures.join("fig8_generation.svg");
    std::fs::write(&stale, "<svg/>").unwrap();
    let report = dir.path().join("r.md");
    let (ok, t) = eval_tiny(&report, &["--no-generation", "--overwrite"]);
    assert!(ok, "{t}");
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.contains("fig2_simulation.svg") && !md.contains("fig8_generation"), "{md}");
    assert!(!stale.exists(), "a stale figure of a skipped task is removed");
    assert!(!md.contains("± 0.000"), "one seed has no spread: {md}");
}

/// Item 7: `--resume --overwrite` is refused instead of deleting the checkpoints.
#[test]
fn issue26_07_resume_and_overwrite_conflict() {
    let (_dir, run) = base_copy();
    let (ok, t) = train(fixture(), &run, &["--resume", "--overwrite", "--steps", "9"]);
    assert!(!ok && t.contains("--overwrite") && t.contains("--resume"), "{t}");
    assert!(run.join("checkpoints/step-0000006").exists(), "the checkpoints are kept");
}

/// Item 9: a second report in the same folder does not silently replace the first's figures.
#[test]
fn issue26_09_a_second_report_does_not_take_the_firsts_figures() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, t) = eval_tiny(&dir.path().join("a.md"), &["--no-generation"]);
    assert!(ok, "{t}");
    let fig = dir.path().join("figures/fig2_simulation.svg");
    let before = std::fs::read(&fig).unwrap();
    let (ok, t) = eval_tiny(&dir.path().join("b.md"), &["--no-generation", "--seeds", "2"]);
    assert!(!ok && t.contains("fig2_simulation.svg") && t.contains("--overwrite"), "{t}");
    assert_eq!(std::fs::read(&fig).unwrap(), before);
    assert!(!dir.path().join("b.md").exists());
}

/// Item 11: a closed stdout (`pdd … | head -1`) is a quiet exit, not a panic (status 101).
#[test]
fn issue26_11_broken_pipe_is_a_quiet_exit() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // the reader is gone before pdd writes: every write fails with EPIPE
    let out = Command::new(env!("CARGO_BIN_EXE_pdd"))
        .args(["diffusion", "table", "--preset", "kolmogorov-quick"])
        .stdout(writer)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

/// Items 10 and 12: sizes that reach the allocator are refused by name before any work.
#[test]
fn issue26_10_12_huge_sizes_are_refused_by_name() {
    let (ok, t) = train_edited(&[("dim = 8", "dim = 100000")]);
    assert!(!ok && t.contains("`model.dim`") && t.contains("memory"), "{t}");
    let (ok, t) =
        train_edited(&[("laplacian_factor = 0.1", "laplacian_factor = 0.1\nsteps = 1000000000")]);
    assert!(!ok && t.contains("`diffusion.steps`") && t.contains("memory"), "{t}");
    let dir = tempfile::tempdir().unwrap();
    let (ok, t) = train(fixture(), &dir.path().join("r"), &["--devices", "1000000000000"]);
    assert!(!ok && t.contains("`devices`"), "{t}");
    let base = s(&fixture().join("base"));
    let huge = u64::MAX.to_string();
    let (ok, t) = pdd(&["generate", "--run", &base, "--device", "cpu", "--samples", &huge]);
    assert!(!ok && t.contains("samples"), "{t}");
}

/// Item 13: errors name what is wrong: β² = 1e308, a negative `--lambda`, a dataset without
/// statistics, a NaN in the test split.
#[test]
fn issue26_13_errors_blame_the_right_thing() {
    let edit =
        ("laplacian_factor = 0.1", "laplacian_factor = 0.1\nnoise_amplitude_squared = 1e308");
    let (ok, t) = train_edited(&[edit]);
    assert!(!ok && t.contains("`diffusion.noise_amplitude_squared`"), "{t}");
    assert!(!t.contains("learning rate"), "{t}");
    let base = s(&fixture().join("base"));
    let sr = ["super-resolve", "--run", &base, "--device", "cpu", "--lambda", "-0.1"];
    let (ok, t) = pdd(&sr);
    assert!(!ok && !t.contains("unexpected argument") && t.contains("[0, 1]"), "{t}");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.h5");
    std::fs::copy(fixture().join("d.h5"), &data).unwrap();
    {
        let f = hdf5::File::open_rw(&data).unwrap();
        let test = f.dataset("splits/test").unwrap().read_raw::<u64>().unwrap()[0] as usize;
        let traj = f.dataset("trajectories").unwrap();
        let mut all = traj.read_dyn::<f32>().unwrap();
        all.index_axis_mut(ndarray::Axis(0), test).fill(f32::NAN);
        traj.write(&all).unwrap();
        f.unlink("stats").unwrap();
    }
    let e = open_unlocked(&data).metadata().stats().unwrap_err().to_string();
    assert!(!e.contains("shard") && e.contains("/stats"), "{e}");
    let ds = open_unlocked(&data);
    let stats = pdd::io::Stats { mean: vec![0.0; 2], std: vec![1.0; 2] };
    let e = pdd::train::split_set(&ds, pdd::io::Split::Test, &stats).err().unwrap().to_string();
    assert!(e.contains("test split") && !e.contains("training"), "{e}");
}

/// Opens `path`, waiting while another process holds its HDF5 file lock: a `pdd` child that a
/// concurrent test spawned while this test had the file open inherits the descriptor (HDF5 does
/// not open with close-on-exec) and with it the lock, until that child exits.
fn open_unlocked(path: &std::path::Path) -> pdd::io::Dataset {
    for _ in 0..100 {
        match pdd::io::Dataset::open(path) {
            Err(e) if e.to_string().contains("unable to lock file") => {
                std::thread::sleep(std::time::Duration::from_millis(100))
            }
            r => return r.unwrap(),
        }
    }
    pdd::io::Dataset::open(path).unwrap()
}
