//! `pdd bench train-step|sampler-step`: seconds per training or sampler step of a preset's
//! network, with a breakdown of the step (docs/performance.md). Answers "why is my training
//! slow"; `cargo bench --bench train_step` and `--bench sampler_step` call the same code.

use crate::backend::DeviceChoice;
use crate::bench::{BenchCase, sampler_step, train_step};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `pdd bench train-step|sampler-step [--preset P] [--batch B] [--device D] [--steps N]
/// [--json FILE]`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which step to time.
    #[command(subcommand)]
    pub what: BenchWhat,
}

/// The steps `pdd bench` times.
#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// One optimiser step (PDD loss): forward, backward and Adam, each timed.
    TrainStep(BenchOptions),
    /// One sampler step's path score beside a forward pass (PDD and SA-PDD).
    SamplerStep(BenchOptions),
}

/// Options shared by both benchmarks.
#[derive(Debug, Args)]
pub struct BenchOptions {
    /// Preset name or TOML file: its [data] shapes, [model] and [train] settings.
    #[arg(long, default_value = "lorenz96-quick")]
    pub preset: String,
    /// Trajectories per micro-batch (default: the preset's `[train] batch_size`).
    #[arg(long, value_parser = super::positive)]
    pub batch: Option<usize>,
    /// Compute device: auto, cpu, wgpu, cuda.
    #[arg(long, default_value = "auto")]
    pub device: DeviceChoice,
    /// Timed steps (after one warm-up step).
    #[arg(long, default_value = "5", value_parser = super::positive)]
    pub steps: usize,
    /// Also write the timings as a JSON object to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Runs `pdd bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let (o, train) = match args.what {
        BenchWhat::TrainStep(o) => (o, true),
        BenchWhat::SamplerStep(o) => (o, false),
    };
    let case = BenchCase::from_preset(&o.preset, o.batch)?;
    let device = o.device.device()?;
    let json = if train {
        let r = train_step(&case, &device, o.steps)?;
        println!(
            "{} train step on {} (batch {} × accum {}, {} network inputs, {} steps): {:.3} s/step = forward {:.3} + backward {:.3} + optimiser {:.3}",
            r.preset,
            r.device,
            r.batch,
            r.accum,
            r.network_inputs,
            r.steps,
            r.seconds_per_step,
            r.forward,
            r.backward,
            r.optimiser
        );
        print!("{}", r.parts_table(""));
        serde_json::to_value(&r)?
    } else {
        let r = sampler_step(&case, &device, o.steps)?;
        println!(
            "{} sampler step on {} (batch {}, {} reps, {}): {:.4} s/step; forward {:.4}, PDD score {:.4} ({:.2}×), SA-PDD forward {:.4}, score {:.4} ({:.2}×)",
            r.preset,
            r.device,
            r.batch,
            r.steps,
            r.objective,
            r.seconds_per_step,
            r.forward,
            r.pdd_score,
            r.pdd_score / r.forward,
            r.sa_forward,
            r.sa_score,
            r.sa_score / r.sa_forward
        );
        serde_json::to_value(&r)?
    };
    if let Some(path) = &o.json {
        let text = serde_json::to_string_pretty(&json)? + "\n";
        crate::io::write_atomic(path, text.as_bytes(), true)?;
    }
    Ok(())
}
