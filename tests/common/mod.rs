//! Fixtures shared by the training tests: a synthetic advection data set and a run
//! configuration for it (tiny U-Net, window 2).

use ndarray::{ArrayD, IxDyn};
use pdd::diffusion::ForwardProcess;
use pdd::spectral::Grid;
use pdd::train::{DataInfo, RunConfig, TrainConfig};

/// The suite runs its tests one at a time (`RUST_TEST_THREADS=1`, `.cargo/config.toml`), which
/// is what keeps it deterministic. This lock is held by the tests that needed one when each file
/// was a binary of its own (not by every test that seeds: `linear_gaussian`'s do not), for:
/// * burn keeps one random generator per device, which `Device::seed` resets: tests that seed
///   and draw (weight initialisation, noise) would replay or interleave each other's streams;
/// * HDF5 opens files without close-on-exec, so a child process spawned by one test inherits
///   the locked descriptor of a file another test is writing, whose next open fails (errno 11).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs the `pdd` binary with `args`: (success, stdout + stderr).
pub fn pdd(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pdd")).args(args).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A path as a command-line argument.
pub fn s(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Grid points.
pub const L: usize = 16;
/// Frames per path.
pub const F: usize = 8;

/// Advection by one grid point per frame, `x_{f+1}(j) = x_f(j − 1)`, of `n` random smooth
/// fields (wavenumbers 1–3, coefficients `amplitude · U(−1, 1)`): `[n, 1, F, L]`.
pub fn advection(n: usize, seed: u64, amplitude: f32) -> ArrayD<f32> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut a = ArrayD::<f32>::zeros(IxDyn(&[n, 1, F, L]));
    for b in 0..n {
        let coef: Vec<(f32, f32)> =
            (1..=3).map(|_| (rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0))).collect();
        for f in 0..F {
            for j in 0..L {
                let x = std::f32::consts::TAU * (j as f32 - f as f32) / L as f32;
                a[[b, 0, f, j]] = amplitude
                    * coef
                        .iter()
                        .enumerate()
                        .map(|(k, (c, s))| {
                            c * ((k + 1) as f32 * x).cos() + s * ((k + 1) as f32 * x).sin()
                        })
                        .sum::<f32>();
            }
        }
    }
    a
}

/// The forward process of the fixtures (α = 0.1, β² = 2, 100 indices).
pub fn process() -> ForwardProcess {
    ForwardProcess::builder().grid(Grid::line(L)).alpha(0.1).beta2(2.0).steps(100).build().unwrap()
}

/// A run configuration of model family `kind` for the advection data (no `[ddpm]` section).
pub fn run_config(kind: &str, train_cfg: &TrainConfig) -> RunConfig {
    RunConfig {
        preset: "test".into(),
        kind: kind.into(),
        data: DataInfo {
            path: "synthetic".into(),
            absolute_path: None,
            system: "advection".into(),
            grid: vec![L],
            channels: 1,
            frames: F,
            frame_dt: 1.0,
            mean: vec![0.0],
            std: vec![1.0],
        },
        diffusion: process().config().clone(),
        model: toml::from_str("window = 2\ndim = 8\ndim_mults = [1, 2]\nattention_levels = [1]\nheads = 2\ndim_head = 4\n").unwrap(),
        train: train_cfg.clone(),
        stages: Default::default(),
    }
}

/// A run's stage sections holding just `[ddpm] = d`.
pub fn ddpm_stage(d: pdd::baseline::DdpmConfig) -> toml::Table {
    let mut t = toml::Table::new();
    t.insert("ddpm".into(), toml::Value::try_from(d).unwrap());
    t
}
