//! `pdd train`: train a predictor from a preset and a dataset into a run directory.

use crate::backend::DeviceChoice;
use crate::presets::Preset;
use crate::train::{ModelKind, Objective, ParallelConfig, Reduce, TrainEvent, TrainRequest};
use clap::Args;
use std::path::PathBuf;

/// `pdd train --preset NAME --data FILE.h5 --out RUN_DIR [...]`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Preset name or TOML file (`[data]`, `[diffusion]`, `[model]`, `[train]` and, for the
    /// DDPM baselines, `[ddpm]` sections).
    #[arg(long)]
    pub preset: String,
    /// Dataset file (from `pdd data generate`).
    #[arg(long)]
    pub data: PathBuf,
    /// Run directory (created; holds config.toml, log.csv, checkpoints/, model.safetensors).
    #[arg(long)]
    pub out: PathBuf,
    /// Model to train: pdd (the predictor), ddpm-sim (conditional DDPM baseline for
    /// simulation) or ddpm-gen (unconditional DDPM baseline for whole trajectories); the DDPM
    /// baselines use the same [model] U-Net and [train] settings, and the [ddpm] section.
    #[arg(long, default_value = "pdd")]
    pub model: ModelKind,
    /// Override the preset's number of optimiser steps.
    #[arg(long, value_parser = super::positive)]
    pub steps: Option<usize>,
    /// Compute device: auto, cpu, wgpu, cuda.
    #[arg(long, default_value = "auto")]
    pub device: DeviceChoice,
    /// Continue from the run's last checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Training objective, replacing the preset's `[train] objective`: pdd (the paper's) or
    /// sa-pdd (drift + noise heads, docs/reference.md §4.2; what the quick presets train).
    #[arg(long)]
    pub objective: Option<Objective>,
    /// Shorthand for `--objective sa-pdd`.
    #[arg(long, conflicts_with = "objective")]
    pub sa_pdd: bool,
    /// Replace a different run in --out (deletes its checkpoints: refused with --resume).
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,
    /// Data-parallel replicas (docs/scaling.md): a count N (N CPU replicas, or CUDA devices
    /// 0..N, by --device) or a list such as `cuda:0,cuda:1`. Each micro-batch is split into N
    /// contiguous shards (sizes differ by at most one when N does not divide it) whose
    /// gradients are averaged weighted by size, so the weights match one device with the same
    /// batch up to float summation order.
    #[arg(long, default_value = "1")]
    pub devices: String,
    /// How replicas combine gradients: main (sum on the first device; every backend) or
    /// collective (burn's all-reduce; CUDA only in burn 0.22.1).
    #[arg(long, default_value = "main")]
    pub reduce: Reduce,
    /// Override the preset's global micro-batch (`[train] batch_size`), split across
    /// --devices; with --grad-accum K an optimiser step sees K·B paths.
    #[arg(long, value_parser = super::positive)]
    pub batch: Option<usize>,
    /// Override the preset's micro-batches per optimiser step (`[train] grad_accum`); halve
    /// --batch and double --grad-accum to keep the paper's step on a smaller device.
    #[arg(long, value_parser = super::positive)]
    pub grad_accum: Option<usize>,
}

/// Runs `pdd train`.
pub fn run(a: TrainArgs) -> anyhow::Result<()> {
    let parallel = ParallelConfig::parse(&a.devices, a.device, a.reduce)?;
    let device = parallel.main_device().clone();
    let req = TrainRequest {
        preset: Preset::load(&a.preset)?,
        data: a.data,
        out: a.out.clone(),
        steps: a.steps,
        model: a.model,
        objective: if a.sa_pdd { Some(Objective::SaPdd) } else { a.objective },
        resume: a.resume,
        overwrite: a.overwrite,
        batch: a.batch,
        grad_accum: a.grad_accum,
        parallel: (parallel.replicas() > 1).then_some(parallel),
    };
    let bar = crate::progress::terminal_bar();
    let mut last_print = std::time::Instant::now();
    let mut cb = |e: &TrainEvent| match e {
        TrainEvent::Step(r) => {
            bar.set_message(format!("loss {:.4}", r.loss));
            if last_print.elapsed().as_secs() >= 30 {
                bar.println(format!("step {:>6}  loss {:.5}", r.step, r.loss));
                last_print = std::time::Instant::now();
            }
        }
        TrainEvent::Checkpoint { step, .. } => {
            bar.println(format!("step {step:>6}  checkpoint written"))
        }
        // printed even when stderr is not a terminal (bar.println would drop them)
        TrainEvent::Resumed { step, skipped } => bar.suspend(|| {
            for s in skipped {
                eprintln!("skipped damaged checkpoint {s}");
            }
            eprintln!("resuming from the checkpoint of step {step}");
        }),
    };
    let s = crate::study::train_preset(&req, &device, &bar, &mut cb)?;
    bar.finish_and_clear();
    println!(
        "trained {} {} → step {} in {:.1} s ({:.3} steps/s); loss {:.4} → {:.4} (medians of the first and last 10 % of steps){}; run in {}",
        req.model,
        req.preset.name,
        s.step,
        s.seconds,
        s.steps_per_second,
        s.first_loss,
        s.last_loss,
        s.valid_loss.map_or(String::new(), |v| format!(", validation {v:.4}")),
        a.out.display()
    );
    Ok(())
}
