//! The `pdd data` command line: generate, info, merge, and its errors.

use std::process::Command;

const PRESET: &str = r#"
[data]
system = "lorenz96"
trajectories = 6
seed = 1
splits = { train = [0, 4], valid = [4, 5], test = [5, 6] }
[data.lorenz96]
k = 8
j = 4
spinup_steps = 100
frames = 3
steps_per_frame = 10
"#;

fn pdd(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pdd")).args(args).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn generate_info_merge() {
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("tiny.toml");
    std::fs::write(&preset, PRESET).unwrap();
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let pr = preset.to_string_lossy().into_owned();

    let (ok, text) = pdd(&["data", "generate", "--preset", &pr, "--out", &p("full.h5")]);
    assert!(ok, "{text}");
    let (ok, text) = pdd(&["data", "info", &p("full.h5")]);
    assert!(ok, "{text}");
    for needle in [
        "system: lorenz96",
        "preset: tiny",
        "[6, 2, 3, 32]",
        "train 4",
        "stats[X]",
        "spinup_steps = 100",
    ] {
        assert!(text.contains(needle), "`{needle}` missing in:\n{text}");
    }
    // Existing output without --overwrite is refused and the file is untouched.
    let before = std::fs::read(p("full.h5")).unwrap();
    let (ok, text) =
        pdd(&["data", "generate", "--preset", &pr, "--out", &p("full.h5"), "--seed", "5"]);
    assert!(!ok && text.contains("already exists"), "{text}");
    assert_eq!(std::fs::read(p("full.h5")).unwrap(), before);

    for i in 0..2 {
        let shard = format!("{i}/2");
        let (ok, text) = pdd(&[
            "data",
            "generate",
            "--preset",
            &pr,
            "--out",
            &p(&format!("s{i}.h5")),
            "--shard",
            &shard,
        ]);
        assert!(ok, "{text}");
    }
    let (ok, text) = pdd(&["data", "info", &p("s1.h5")]);
    assert!(ok && text.contains("shard 1/2"), "{text}");
    let (ok, text) = pdd(&["data", "merge", &p("merged.h5"), &p("s1.h5"), &p("s0.h5")]);
    assert!(ok, "{text}");
    assert_eq!(
        std::fs::read(p("merged.h5")).unwrap(),
        before,
        "merge == single run, byte for byte"
    );

    // Overrides: --trajectories scales the splits (train [0, 4) of 6 → [0, 1) of 2).
    let (ok, text) = pdd(&[
        "data",
        "generate",
        "--preset",
        &pr,
        "--out",
        &p("small.h5"),
        "--trajectories",
        "2",
        "--seed",
        "9",
    ]);
    assert!(ok, "{text}");
    let (_, text) = pdd(&["data", "info", &p("small.h5")]);
    assert!(text.contains("seed: 9") && text.contains("[2, 2, 3, 32]"), "{text}");
    assert!(text.contains("train 1 [0..=0], valid 0, test 1 [1..=1]"), "{text}");
}

#[test]
fn errors_are_reported_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.h5").to_string_lossy().into_owned();
    let (ok, text) = pdd(&["data", "generate", "--preset", "no-such", "--out", &out]);
    assert!(!ok && text.contains("unknown preset `no-such`"), "{text}");
    let (ok, text) =
        pdd(&["data", "generate", "--preset", "lorenz96-quick", "--out", &out, "--shard", "2/2"]);
    assert!(!ok && text.contains("i/n"), "{text}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, PRESET.replace("j = 4", "j = 0")).unwrap();
    let (ok, text) = pdd(&["data", "generate", "--preset", &bad.to_string_lossy(), "--out", &out]);
    assert!(!ok && text.contains("data.lorenz96.j"), "{text}");
    let (ok, text) = pdd(&["data", "info", &dir.path().join("missing.h5").to_string_lossy()]);
    assert!(!ok && text.contains("no such file"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1, "only bad.toml");
}
