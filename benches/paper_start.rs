//! The paper presets proven to start (issue 15; figures recorded in README.md and
//! docs/scaling.md).
//!
//! ```text
//! cargo bench --bench paper_start                       # both presets: counts + 2 steps each
//! cargo bench --bench paper_start -- quick              # parameter counts only
//! cargo bench --bench paper_start -- lorenz96 --batch 50
//! cargo bench --bench paper_start -- kolmogorov --batch 2
//! ```
//!
//! For each of `lorenz96-paper` and `kolmogorov-paper` it builds the preset's model (the
//! `[model]` section on the data shape the `[data]` section generates), checks its parameter
//! count against `benches/peers/param_count.py` (the architecture counted independently, in pure
//! Python; `PDD_PYTHON` picks the interpreter, default `python3`), then runs 2 optimisation steps
//! of the real trainer (`pdd::train::train`, the preset's `[train]` settings: Adam, `grad_accum`
//! micro-batches) on random standardised paths of the paper's shape at batch `B` on the CPU,
//! reporting the step time and the process's peak resident memory (`VmHWM`). Each training
//! case runs in its own process so the peaks do not mix; the default batches are 5 and 10 for
//! Lorenz-96 and 1 and 2 for Kolmogorov (the paper's 40 does not fit a 24 GiB machine): the
//! difference of the two peaks gives the memory per path, extrapolated to the paper's batch.

use burn::module::Module;
use burn::prelude::*;
use pdd::diffusion::DiffusionConfig;
use pdd::nn::UNet;
use pdd::predictor::{Builtin, ModelConfig, PredictorShape, PredictorSpec};
use pdd::presets::Preset;
use pdd::progress::NoProgress;
use pdd::systems::DataConfig;
use pdd::train::{
    BatchPlan, ModelInit, PddObjective, RunConfig, RunDir, TrainConfig, TrainEvent, TrainJob,
    TrainOptions, TrajectorySet, train,
};
use std::sync::Arc;

const PRESETS: [(&str, &str, usize); 2] =
    [("lorenz96", "lorenz96-paper", 50), ("kolmogorov", "kolmogorov-paper", 2)];

/// The training cases of the default run: two small batches per preset, whose difference
/// gives the memory per path to extrapolate to the paper's batch (`lorenz96 --batch 50` runs
/// the paper's batch itself: about 10 GiB, and over 25 minutes on a loaded 2-core machine).
const CASES: [(&str, &str, &[usize]); 2] =
    [("lorenz96", "lorenz96-paper", &[5, 10]), ("kolmogorov", "kolmogorov-paper", &[1, 2])];

/// What the preset's `[data]` generates: channels, frames and the grid; and its model shape.
struct Paper {
    preset: Preset,
    shape: PredictorShape,
    frames: usize,
    model: ModelConfig,
}

fn paper(name: &str) -> Paper {
    let preset = Preset::load(name).expect("built-in preset");
    let sim = DataConfig::from_preset(&preset).unwrap().simulator().unwrap();
    let model: ModelConfig = preset.section("model").unwrap();
    let train: TrainConfig = preset.section("train").unwrap();
    let noise_head = train.objective == pdd::train::Objective::SaPdd;
    let shape =
        PredictorShape::new(sim.channels().len(), model.window, &sim.output_grid(), noise_head)
            .unwrap();
    Paper { preset, shape, frames: sim.frames(), model }
}

/// The independent count of `benches/peers/param_count.py` for `system` with `heads` heads.
fn formula(system: &str, heads: usize) -> usize {
    let python = std::env::var("PDD_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/param_count.py");
    let out = std::process::Command::new(&python)
        .args([script, system, "--heads", &heads.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} {script}: {e} (set PDD_PYTHON)"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    v["params"].as_u64().unwrap() as usize
}

/// pdd's parameter count of the preset's model, and the formula's; panics when they differ.
fn check_params(system: &str, name: &str) -> usize {
    let p = paper(name);
    let spec = Builtin::<UNet>::new(&p.model).unwrap();
    let ours = spec.init(&p.shape, &Device::flex()).unwrap().num_params();
    let theirs = formula(system, 1 + usize::from(p.shape.noise_head));
    println!("{name:<18} parameters: pdd {ours:>10}  formula {theirs:>10}");
    assert_eq!(ours, theirs, "{name}: parameter count differs from benches/peers/param_count.py");
    ours
}

/// `VmHWM` (peak resident set) of this process in GiB.
fn peak_gib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0 / 1024.0)
}

/// Two optimisation steps of preset `name` at batch `batch` on the CPU; prints one JSON line.
fn two_steps(name: &str, batch: usize) {
    let p = paper(name);
    let mut cfg: TrainConfig = p.preset.section("train").unwrap();
    (cfg.steps, cfg.batch_size, cfg.valid_every) = (2, batch, 0);
    cfg.checkpoint_every = 2;
    let grid = p.shape.grid.clone();
    let mut dims = vec![batch, p.shape.channels, p.frames];
    dims.extend_from_slice(grid.dims());
    let data = TrajectorySet::new(pdd::diffusion::white_noise(&dims, 1), grid.clone()).unwrap();
    let diffusion = DiffusionConfig::from_preset(&p.preset).unwrap();
    let process = diffusion.process(&grid).unwrap();
    let plan = BatchPlan::new(batch, batch, process.steps(), cfg.seed).unwrap();
    let spec = Builtin::<UNet>::new(&p.model).unwrap();
    let shape = p.shape.clone();
    let init: ModelInit<_> = Arc::new(move |d: &Device| spec.init(&shape, d));
    let objective = PddObjective::new(process, cfg.clone(), plan, &Device::flex(), init).unwrap();
    let dir = tempfile_dir(name);
    let rc = run_config(&p, &cfg, diffusion);
    let run = RunDir::prepare(&dir, &rc, false, true).unwrap();
    let arch = rc.architecture();
    let job = TrainJob::new(&run, &cfg, &arch, &objective, &plan, &data);
    let before = peak_gib();
    let mut at = Vec::new();
    let s = train(&job, &TrainOptions::new(Device::flex()), &NoProgress, &mut |e| {
        if let TrainEvent::Step(r) = e {
            at.push(r.seconds);
        }
    })
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{}",
        serde_json::json!({
            "preset": name, "batch": batch, "grad_accum": cfg.grad_accum,
            "step1_s": at[0], "step2_s": at[1] - at[0], "loss": s.last_loss,
            "peak_gib": peak_gib(), "peak_before_gib": before,
        })
    );
}

fn run_config(p: &Paper, cfg: &TrainConfig, diffusion: DiffusionConfig) -> RunConfig {
    RunConfig {
        preset: p.preset.name.clone(),
        kind: "pdd".into(),
        data: pdd::train::DataInfo {
            path: "random".into(),
            absolute_path: None,
            system: "random".into(),
            grid: p.shape.grid.dims().to_vec(),
            channels: p.shape.channels,
            frames: p.frames,
            frame_dt: 1.0,
            mean: vec![0.0; p.shape.channels],
            std: vec![1.0; p.shape.channels],
        },
        diffusion,
        model: p.model.clone(),
        train: cfg.clone(),
        stages: Default::default(),
    }
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("pdd-paper-start-{name}-{}", std::process::id()))
}

/// Runs this binary on one training case and returns its JSON line.
fn child(system: &str, batch: usize) -> serde_json::Value {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([system, "--batch", &batch.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{system}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default()).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let batch_arg = args
        .iter()
        .position(|a| a == "--batch")
        .map(|i| args[i + 1].parse::<usize>().expect("--batch N"));
    if let Some((_, name, default)) =
        PRESETS.iter().find(|(s, _, _)| args.first().map(String::as_str) == Some(s))
    {
        two_steps(name, batch_arg.unwrap_or(*default));
        return;
    }
    for (system, name, _) in PRESETS {
        check_params(system, name);
    }
    if args.first().map(String::as_str) == Some("quick") {
        return;
    }
    println!(
        "\n{:<18} {:>6} {:>6} {:>10} {:>10} {:>10}",
        "preset", "batch", "accum", "step 1 s", "step 2 s", "peak GiB"
    );
    for (system, name, batches) in CASES {
        let mut peaks = Vec::new();
        for &b in batches {
            let v = child(system, b);
            let peak = v["peak_gib"].as_f64().unwrap();
            println!(
                "{name:<18} {b:>6} {:>6} {:>10.1} {:>10.1} {peak:>10.2}",
                v["grad_accum"],
                v["step1_s"].as_f64().unwrap(),
                v["step2_s"].as_f64().unwrap()
            );
            peaks.push((b as f64, peak));
        }
        let paper_batch = paper(name).preset.section::<TrainConfig>("train").unwrap().batch_size;
        if let [(b1, p1), (b2, p2)] = peaks[..] {
            let per_path = (p2 - p1) / (b2 - b1);
            println!(
                "{:<18} {per_path:.3} GiB per path (batch {b1} → {b2}); paper batch {paper_batch}: ≈ {:.1} GiB estimated",
                "",
                p2 + per_path * (paper_batch as f64 - b2)
            );
        }
    }
    println!(
        "(CPU backend `flex`; peak = VmHWM of the training process; step 1 includes the first allocations)"
    );
}
