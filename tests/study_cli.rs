//! The library's `Study` (what the notebooks and `pdd demo` call) and the command line
//! (`pdd data generate` + `pdd train`) are one path: at smoke size on Kolmogorov flow (2-D, with
//! frame crops) and Lorenz-96 they write the same dataset and bit-identical weights (issue 26,
//! item 14: the README's numbers must be what either route prints).

use crate::common;

use pdd::prelude::*;
use pdd::train::checkpoint::sha256_file;
use std::path::Path;

/// A smoke-sized variant of an embedded quick preset (`changes`: dotted key → value).
fn smoke(name: &str, changes: &[(&str, toml::Value)]) -> Preset {
    changes
        .iter()
        .fold(Preset::named(name).unwrap(), |p, (k, v)| p.with_value(k, v.clone()).unwrap())
}

fn same_weights_both_ways(preset: Preset) {
    let _guard = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let (lib, cli) = (tmp.path().join("lib"), tmp.path().join("cli"));
    let study = Study::from_preset(preset.clone(), &lib, Device::flex());
    study.data(&NoProgress).unwrap();
    study.train(&NoProgress).unwrap();

    std::fs::create_dir_all(&cli).unwrap();
    let toml = cli.join("preset.toml");
    std::fs::write(&toml, preset.to_toml()).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let data = cli.join("data.h5");
    let (ok, out) = common::pdd(&["data", "generate", "--preset", &s(&toml), "--out", &s(&data)]);
    assert!(ok, "{out}");
    let run = cli.join("run");
    let (ok, out) = common::pdd(&[
        "train",
        "--preset",
        &s(&toml),
        "--data",
        &s(&data),
        "--out",
        &s(&run),
        "--device",
        "cpu",
    ]);
    assert!(ok, "{out}");

    let (a, b) = (Dataset::open(lib.join("data.h5")).unwrap(), Dataset::open(&data).unwrap());
    assert_eq!(a.len(), b.len());
    for i in 0..a.len() {
        assert_eq!(a.trajectory(i).unwrap(), b.trajectory(i).unwrap(), "trajectory {i}");
    }
    assert_eq!(
        sha256_file(&lib.join("run/model.safetensors")).unwrap(),
        sha256_file(&run.join("model.safetensors")).unwrap(),
        "the Study and the CLI trained different weights"
    );
}

#[test]
fn kolmogorov_study_and_cli_train_the_same_weights() {
    let v = |x: i64| toml::Value::Integer(x);
    let f = |x: f64| toml::Value::Float(x);
    let splits: toml::Value =
        toml::from_str::<toml::Table>("s = { train = [0, 3], valid = [3, 4], test = [4, 5] }")
            .unwrap()["s"]
            .clone();
    same_weights_both_ways(smoke(
        "kolmogorov-quick",
        &[
            ("data.trajectories", v(5)),
            ("data.splits", splits),
            ("data.kolmogorov.solver_grid", v(32)),
            ("data.kolmogorov.output_grid", v(16)),
            ("data.kolmogorov.burn_in", f(0.5)),
            ("data.kolmogorov.frames", v(10)),
            ("model.dim", v(8)),
            ("model.dim_mults", toml::Value::Array(vec![v(1), v(2)])),
            ("model.attention_levels", toml::Value::Array(vec![v(1)])),
            ("train.steps", v(3)),
            ("train.checkpoint_every", v(3)),
            ("train.valid_every", v(3)),
        ],
    ));
}

#[test]
fn lorenz96_study_and_cli_train_the_same_weights() {
    let preset = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny_lorenz96.toml");
    same_weights_both_ways(Preset::load(preset).unwrap());
}
