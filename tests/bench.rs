//! `pdd bench train-step|sampler-step`: the interface other tools call (flags, JSON keys) and
//! the breakdown adding up to the step.

use std::process::Command;

fn pdd(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pdd")).args(args).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn run_json(what: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("t.json");
    let args = [
        "bench",
        what,
        "--preset",
        "lorenz96-quick",
        "--batch",
        "1",
        "--device",
        "cpu",
        "--steps",
        "1",
        "--json",
    ];
    let (ok, text) = pdd(&[&args[..], &[json.to_str().unwrap()]].concat());
    assert!(ok, "{text}");
    assert!(text.contains("s/step"), "{text}");
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

#[test]
fn train_step_json_has_the_interface_keys_and_adds_up() {
    let v = run_json("train-step");
    assert_eq!(v["preset"], "lorenz96-quick");
    assert_eq!((v["batch"].as_u64(), v["steps"].as_u64()), (Some(1), Some(1)));
    assert!(v["device"].as_str().unwrap().to_lowercase().contains("flex"), "{v}");
    let part = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {v}"));
    let total = part("seconds_per_step");
    assert!(total > 0.0);
    let sum = part("forward") + part("backward") + part("optimiser");
    assert!((sum - total).abs() <= 1e-9 * total.max(1.0), "{sum} vs {total}");
    // one network input per frame: 1 trajectory × the preset's 32 frames
    assert_eq!(v["network_inputs"].as_u64(), Some(32));
}

#[test]
fn sampler_step_json_has_the_interface_keys() {
    let v = run_json("sampler-step");
    for k in ["preset", "device", "batch", "steps", "seconds_per_step", "forward", "pdd_score"] {
        assert!(!v[k].is_null(), "{k} missing: {v}");
    }
    // lorenz96-quick trains SA-PDD, so its sampler step is the noise head's score
    assert_eq!(v["objective"], "sa-pdd");
    assert_eq!(v["seconds_per_step"], v["sa_score"]);
}

#[test]
fn bad_bench_input_is_refused_clearly() {
    let (ok, text) = pdd(&["bench", "train-step", "--batch", "0"]);
    assert!(!ok && text.contains("at least 1"), "{text}");
    let (ok, text) = pdd(&["bench", "train-step", "--preset", "no-such-preset"]);
    assert!(!ok && text.contains("no-such-preset"), "{text}");
}
