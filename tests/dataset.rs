//! Generation into HDF5: round trip, determinism, shards, h5py, bad files.

use crate::common::serial;
use pdd::Error;
use pdd::io::generate;
use pdd::io::{Dataset, Split, Stats, merge};
use pdd::presets::Preset;
use pdd::progress::NoProgress;
use pdd::systems::generate::simulate_batch;
use pdd::systems::{DataConfig, Shard};
use std::path::{Path, PathBuf};

const L96: &str = r#"
[data]
system = "lorenz96"
trajectories = 10
seed = 7
splits = { train = [0, 6], valid = [6, 8], test = [8, 10] }
[data.lorenz96]
k = 8
j = 4
spinup_steps = 200
frames = 5
steps_per_frame = 10
"#;

const KF: &str = r#"
[data]
system = "kolmogorov"
trajectories = 5
seed = 3
splits = { train = [0, 3], valid = [3, 4], test = [4, 5] }
[data.kolmogorov]
solver_grid = 16
output_grid = 8
burn_in = 0.05
frame_interval = 0.02
frames = 3
"#;

fn config(text: &str) -> DataConfig {
    DataConfig::from_preset(&Preset::parse("test", text).unwrap()).unwrap()
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

fn gen_file(cfg: &DataConfig, path: &Path, shard: Option<Shard>, threads: usize) {
    pool(threads).install(|| generate(cfg, "test", path, shard, false, &NoProgress)).unwrap();
}

#[test]
fn round_trip_with_attributes_splits_and_stats() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    for (text, shape) in [(L96, vec![10usize, 2, 5, 32]), (KF, vec![5, 1, 3, 8, 8])] {
        let cfg = config(text);
        let path = dir.path().join(format!("{:?}.h5", cfg.system));
        gen_file(&cfg, &path, None, 2);
        let d = Dataset::open(&path).unwrap();
        let m = d.metadata();
        assert_eq!(m.config, cfg);
        assert_eq!(m.preset, "test");
        assert_eq!(m.seed(), cfg.seed);
        assert_eq!(m.pdd_version, env!("CARGO_PKG_VERSION"));
        assert!(m.is_complete() && m.shard.is_none());
        let all = d.read_all().unwrap();
        assert_eq!(all.shape(), &shape[..]);
        // Same numbers as integrating in memory.
        let mem = simulate_batch(&cfg, 0..cfg.trajectories, &NoProgress).unwrap();
        assert_eq!(all, mem);
        // Splits.
        assert_eq!(m.splits.get(Split::Train), (0..cfg.splits.train[1]).collect::<Vec<_>>());
        assert_eq!(m.splits.get(Split::Test).len(), cfg.splits.test[1] - cfg.splits.test[0]);
        // Stats = mean / std (ddof 0) per channel over the training trajectories, in f64.
        let stats = m.stats().unwrap();
        let train = d.split_batch(Split::Train).unwrap();
        for c in 0..m.channels.len() {
            let ch = train.index_axis(ndarray::Axis(1), c);
            let n = ch.len() as f64;
            let mean = ch.iter().map(|&v| v as f64).sum::<f64>() / n;
            let var = ch.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
            assert!((stats.mean[c] - mean).abs() < 1e-12 * (1.0 + mean.abs()));
            assert!((stats.std[c] - var.sqrt()).abs() < 1e-12 * var.sqrt());
        }
        // Trajectory / batch / normalised batch.
        let t3 = d.trajectory(3).unwrap();
        assert_eq!(t3, all.index_axis(ndarray::Axis(0), 3));
        let b = d.batch(&[4, 1]).unwrap();
        assert_eq!(b.index_axis(ndarray::Axis(0), 0), all.index_axis(ndarray::Axis(0), 4));
        let nb = d.normalised_batch(&[0, 1, 2], None).unwrap();
        let c0 = nb.index_axis(ndarray::Axis(1), 0);
        let x = *all.iter().next().unwrap();
        let expect = (x as f64 - stats.mean[0]) / stats.std[0];
        assert!((c0.iter().next().copied().unwrap() as f64 - expect).abs() < 1e-5);
        let custom = Stats { mean: vec![1.0; m.channels.len()], std: vec![2.0; m.channels.len()] };
        let nb = d.normalised_batch(&[0], Some(&custom)).unwrap();
        let first = *nb.iter().next().unwrap();
        assert!((first - (all.iter().next().unwrap() - 1.0) / 2.0).abs() < 1e-6);
        assert!(matches!(d.trajectory(99), Err(Error::OutOfRange { .. })));
    }
}

#[test]
fn same_seed_same_bytes_with_one_and_two_threads() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    for text in [L96, KF] {
        let cfg = config(text);
        let (a, b) = (dir.path().join("a.h5"), dir.path().join("b.h5"));
        gen_file(&cfg, &a, None, 1);
        gen_file(&cfg, &b, None, 2);
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{:?}", cfg.system);
        let mut other = cfg.clone();
        other.seed += 1;
        let c = dir.path().join("c.h5");
        gen_file(&other, &c, None, 2);
        let (da, dc) = (Dataset::open(&a).unwrap(), Dataset::open(&c).unwrap());
        assert_ne!(da.read_all().unwrap(), dc.read_all().unwrap(), "another seed, other data");
        for p in [a, b, c] {
            std::fs::remove_file(p).unwrap();
        }
    }
}

#[test]
fn merged_shards_equal_a_single_run() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(L96);
    let single = dir.path().join("single.h5");
    gen_file(&cfg, &single, None, 2);
    let shards: Vec<PathBuf> = (0..3).map(|i| dir.path().join(format!("s{i}.h5"))).collect();
    // Shards generated in any order, with different thread counts.
    for (i, p) in shards.iter().enumerate().rev() {
        gen_file(&cfg, p, Some(Shard { index: i, count: 3 }), 1 + i % 2);
        let d = Dataset::open(p).unwrap();
        assert_eq!(d.metadata().shard, Some(Shard { index: i, count: 3 }));
        assert!(d.metadata().stats().is_err(), "shards carry no statistics");
    }
    let merged = dir.path().join("merged.h5");
    let reversed: Vec<PathBuf> = shards.iter().rev().cloned().collect();
    merge(&merged, &reversed, false, &NoProgress).unwrap();
    let (s, m) = (Dataset::open(&single).unwrap(), Dataset::open(&merged).unwrap());
    assert_eq!(s.read_all().unwrap(), m.read_all().unwrap());
    assert_eq!(s.metadata(), m.metadata());
    assert_eq!(std::fs::read(&single).unwrap(), std::fs::read(&merged).unwrap(), "identical files");

    // Refusals: missing shard, overlap, another seed, existing output.
    let out = dir.path().join("bad.h5");
    let e = merge(&out, &shards[..2], false, &NoProgress).unwrap_err().to_string();
    assert!(e.contains("missing"), "{e}");
    let e = merge(
        &out,
        &[shards[0].clone(), shards[0].clone(), shards[1].clone(), shards[2].clone()],
        false,
        &NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("overlap"), "{e}");
    let e = merge(&out, &[shards[0].clone(), shards[2].clone()], false, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing"), "{e}");
    let mut other = cfg.clone();
    other.seed = 99;
    let foreign = dir.path().join("foreign-shard.h5");
    gen_file(&other, &foreign, Some(Shard { index: 1, count: 3 }), 1);
    let e = merge(&out, &[shards[0].clone(), foreign, shards[2].clone()], false, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(e.contains("another dataset"), "{e}");
    assert!(!out.exists(), "a refused merge writes nothing");
    assert!(matches!(merge(&merged, &shards, false, &NoProgress), Err(Error::Exists(_))));
    merge(&merged, &shards, true, &NoProgress).unwrap();
}

#[test]
fn existing_file_is_not_overwritten() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(L96);
    let p = dir.path().join("x.h5");
    std::fs::write(&p, b"precious").unwrap();
    let e = generate(&cfg, "test", &p, None, false, &NoProgress).unwrap_err();
    assert!(matches!(e, Error::Exists(_)), "{e}");
    assert_eq!(std::fs::read(&p).unwrap(), b"precious");
    generate(&cfg, "test", &p, None, true, &NoProgress).unwrap();
    assert!(Dataset::open(&p).is_ok());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary files left");
}

#[test]
fn failed_generation_leaves_no_file() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(L96);
    let mut l = cfg.lorenz96.clone().unwrap();
    l.dt = 0.5; // blows up
    cfg.lorenz96 = Some(l);
    let p = dir.path().join("x.h5");
    let e = generate(&cfg, "test", &p, None, false, &NoProgress).unwrap_err();
    assert!(matches!(e, Error::BlowUp { trajectory: 0, .. }), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left behind");
}

#[test]
fn bad_files_are_errors_not_panics() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.h5");
    gen_file(&config(KF), &good, None, 1);
    let bytes = std::fs::read(&good).unwrap();
    let reason = |p: &Path| match Dataset::open(p).and_then(|d| d.read_all()) {
        Err(Error::BadFile { reason, .. }) => reason,
        other => panic!("expected BadFile for {}, got {other:?}", p.display()),
    };
    // Missing.
    assert!(reason(&dir.path().join("nope.h5")).contains("no such file"));
    // Truncated.
    let t = dir.path().join("truncated.h5");
    std::fs::write(&t, &bytes[..bytes.len() / 2]).unwrap();
    reason(&t);
    // Corrupt: garbage over the second half (compressed chunks and/or metadata).
    let c = dir.path().join("corrupt.h5");
    let mut bad = bytes.clone();
    let n = bad.len();
    for (i, b) in bad[n / 2..].iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    std::fs::write(&c, &bad).unwrap();
    reason(&c);
    // Not HDF5 at all.
    let txt = dir.path().join("text.h5");
    std::fs::write(&txt, "hello").unwrap();
    assert!(reason(&txt).contains("HDF5"));
    // HDF5, but not ours.
    let foreign = dir.path().join("foreign.h5");
    {
        let f = hdf5::File::create(&foreign).unwrap();
        f.new_dataset::<f32>().shape([3]).create("x").unwrap();
    }
    assert!(reason(&foreign).contains("not a pdd dataset"));
}

#[test]
fn config_errors_name_fields() {
    let _serial = serial();
    let cases = [
        (L96.replace("k = 8", "k = 8\nbogus = 1"), "bogus"),
        (L96.replace("j = 4", "j = 0"), "data.lorenz96.j"),
        (
            L96.replace("steps_per_frame = 10", "steps_per_frame = 10\ndt = -1.0"),
            "data.lorenz96.dt",
        ),
        (L96.replace("trajectories = 10", "trajectories = 0"), "data.trajectories"),
        (L96.replace("train = [0, 6]", "train = [6, 0]"), "data.splits.train"),
        (KF.replace("output_grid = 8", "output_grid = 32"), "data.kolmogorov.output_grid"),
        (KF.replace("burn_in = 0.05", "burn_in = 0.0505"), "data.kolmogorov.burn_in"),
        (KF.replace("[data.kolmogorov]", "[data.lorenz96]\n[data.kolmogorov]"), "data.lorenz96"),
    ];
    for (text, field) in cases {
        let e = Preset::parse("t", &text)
            .and_then(|p| DataConfig::from_preset(&p))
            .unwrap_err()
            .to_string();
        assert!(e.contains(field), "expected `{field}` in: {e}");
    }
    let e = Preset::load("no-such-preset").unwrap_err().to_string();
    assert!(e.contains("unknown preset"), "{e}");
}

#[test]
fn embedded_presets_are_valid_and_match_the_reference_counts() {
    let _serial = serial();
    for (name, n, train, test) in [
        ("lorenz96-paper", 4000, [0, 3000], [3100, 3200]),
        ("kolmogorov-paper", 7000, [0, 6000], [6100, 6200]),
    ] {
        let cfg = DataConfig::from_preset(&Preset::named(name).unwrap()).unwrap();
        assert_eq!(
            (cfg.trajectories, cfg.splits.train, cfg.splits.test),
            (n, train, test),
            "{name}"
        );
    }
    for name in ["lorenz96-quick", "kolmogorov-quick"] {
        let cfg = DataConfig::from_preset(&Preset::named(name).unwrap()).unwrap();
        let test = cfg.splits.test[1] - cfg.splits.test[0];
        assert!(test >= 16 && cfg.splits.test[1] <= cfg.trajectories, "{name}: test split {test}");
    }
    let kf = DataConfig::from_preset(&Preset::named("kolmogorov-paper").unwrap())
        .unwrap()
        .kolmogorov_config();
    assert_eq!((kf.solver_grid, kf.output_grid, kf.frames, kf.dt), (256, 40, 40, 1e-3));
    // the paper presets reproduce the reference's data: bicubic downsampling, per-point X
    assert_eq!(kf.downsample, pdd::systems::DownsampleMethod::Bicubic);
    let l96 = DataConfig::from_preset(&Preset::named("lorenz96-paper").unwrap())
        .unwrap()
        .lorenz96_config();
    assert_eq!(l96.init, pdd::systems::L96Init::PerPoint);
}

/// h5py reads the same numbers and attributes (skipped with a notice if h5py is missing).
#[test]
fn h5py_reads_the_same_numbers() {
    let _serial = serial();
    let ok = std::process::Command::new("python3").args(["-c", "import h5py, numpy"]).status();
    if !ok.is_ok_and(|s| s.success()) {
        eprintln!("NOTICE: python3 with h5py and numpy not available; h5py check skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.h5");
    let cfg = config(KF);
    gen_file(&cfg, &p, None, 2);
    let d = Dataset::open(&p).unwrap();
    let all = d.read_all().unwrap();
    let script = r#"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
t = f["trajectories"]
print(list(t.shape), t.dtype, t.chunks, t.compression)
print(repr(float(np.asarray(t, dtype=np.float64).sum())), repr(float(t[3, 0, 2, 5, 1])))
print(f.attrs["system"], f.attrs["preset"], int(f.attrs["seed"]), f.attrs["format"], "%g" % f.attrs["frame_dt"])
print(int(f["params"].attrs["solver_grid"]), float(f["params"].attrs["dt"]), f["params"].attrs["downsample"])
print([int(i) for i in f["splits/train"][:]], repr(float(f["stats/mean"][0])), repr(float(f["stats/std"][0])))
"#;
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "[5, 1, 3, 8, 8] float32 (1, 1, 3, 8, 8) gzip");
    let sum: f64 = all.iter().map(|&v| v as f64).sum();
    let v = all[[3, 0, 2, 5, 1]] as f64;
    let nums: Vec<f64> = lines[1].split(' ').map(|s| s.parse().unwrap()).collect();
    assert!((nums[0] - sum).abs() <= 1e-9 * sum.abs().max(1.0), "{} vs {sum}", nums[0]);
    assert_eq!(nums[1], v);
    assert_eq!(lines[2], "kolmogorov test 3 pdd-dataset 0.02");
    assert_eq!(lines[3], "16 0.001 spectral");
    let stats = d.metadata().stats().unwrap();
    let (splits, rest) = lines[4].split_once("] ").unwrap();
    assert_eq!(splits, "[0, 1, 2");
    let ms: Vec<f64> = rest.split(' ').map(|s| s.parse().unwrap()).collect();
    assert_eq!(ms, vec![stats.mean[0], stats.std[0]]);
}
