//! The training loop (docs/reference.md §9.1): Adam, gradient accumulation, optional EMA,
//! validation loss, CSV log, atomic checkpoints, resume, NaN guard, progress and a per-step
//! callback.

use super::batches::{BatchPlan, TrajectorySet};
use super::checkpoint::{self, CheckpointState};
use super::config::TrainConfig;
use super::ema::Ema;
use super::log::{self, LogRow};
use super::objective::TrainObjective;
use super::run::RunDir;
use crate::error::{Error, Result};
use crate::progress::Progress;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsAccumulator, GradientsParams};
use burn::prelude::*;
use std::time::Instant;

/// Something that happened during training, passed to the caller's callback.
#[derive(Debug, Clone)]
pub enum TrainEvent {
    /// An optimiser step finished.
    Step(LogRow),
    /// Training resumed from the checkpoint of `step`.
    Resumed {
        /// Step of the checkpoint resumed from.
        step: usize,
        /// Newer checkpoints skipped as damaged, each as `step-N: reason`.
        skipped: Vec<String>,
    },
    /// A checkpoint was written.
    Checkpoint {
        /// Step of the checkpoint.
        step: usize,
        /// Its directory.
        path: std::path::PathBuf,
    },
}

/// How to run the loop (what is not part of the run's configuration).
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Compute device (without autodiff; the trainer adds it).
    pub device: Device,
    /// Continue from the latest checkpoint of the run, if any.
    pub resume: bool,
    /// Stop after this many steps in this call even if `train.steps` is not reached (the run
    /// can be resumed later); `None` runs to the end.
    pub stop_after: Option<usize>,
}

/// What a finished (or stopped) call of [`train`] reports.
#[derive(Debug, Clone)]
pub struct TrainSummary {
    /// Step reached.
    pub step: usize,
    /// Step the call started from (0, or the resumed checkpoint).
    pub started_from: usize,
    /// Median training loss over the first 10 % of this call's steps (at least one step). The
    /// median, not the mean: each step draws its own λ and paths, so single-step losses are
    /// heavy-tailed and one outlier would dominate a mean.
    pub first_loss: f64,
    /// Median training loss over the last 10 % of this call's steps; see `first_loss`.
    pub last_loss: f64,
    /// The last validation loss computed in this call (fixed validation noise, so it compares
    /// across calls and models trained with the same objective), `None` when none was computed.
    pub valid_loss: Option<f64>,
    /// Wall-clock seconds of this call.
    pub seconds: f64,
    /// Optimiser steps per second in this call.
    pub steps_per_second: f64,
}

/// Trains `objective` on `train` (standardised) into `run`, validating on `valid` if given.
///
/// Deterministic given `train.seed`: a run stopped (or killed) after a checkpoint and resumed
/// reaches the same weights as an uninterrupted run. A non-finite loss stops the run with an
/// error naming the step; the last checkpoint written before it stays intact.
#[allow(clippy::too_many_arguments)]
pub fn train<O: TrainObjective>(
    run: &RunDir,
    cfg: &TrainConfig,
    architecture: &str,
    objective: &O,
    plan: &BatchPlan,
    train_set: &TrajectorySet,
    valid_set: Option<&TrajectorySet>,
    options: &TrainOptions,
    progress: &dyn Progress,
    callback: &mut dyn FnMut(&TrainEvent),
) -> Result<TrainSummary> {
    cfg.validate()?;
    let inner = options.device.clone();
    let ad = inner.clone().autodiff();
    inner.seed(cfg.seed);
    ad.seed(cfg.seed);
    let mut model = objective.init_model(&ad)?;
    let mut optim = AdamConfig::new()
        .with_beta_1(cfg.beta1 as f32)
        .with_beta_2(cfg.beta2 as f32)
        .with_epsilon(cfg.eps as f32)
        .init();
    let mut start = 0;
    let mut ema: Option<Ema<O::Model>> = None;
    if options.resume
        && let Some(r) =
            checkpoint::restore_newest(&run.checkpoints(), &model, &optim, architecture)?
    {
        if r.state.step > cfg.steps {
            return Err(beyond_budget(r.state.step, cfg.steps));
        }
        model = r.model;
        optim = r.optim;
        start = r.state.step;
        if let Some(d) = cfg.ema_decay {
            let shadow = r.ema.unwrap_or_else(|| model.clone());
            ema = Some(Ema { shadow: shadow.no_grad(), decay: d });
        }
        log::truncate(&run.log_path(), start)?;
        callback(&TrainEvent::Resumed { step: start, skipped: r.skipped });
    }
    if start == 0 {
        if run.log_path().exists() {
            std::fs::remove_file(run.log_path()).map_err(|e| Error::io(run.log_path(), e))?;
        }
        ema = cfg.ema_decay.map(|d| Ema::new(&model, d));
    }
    let end = match options.stop_after {
        Some(n) => cfg.steps.min(start + n),
        None => cfg.steps,
    };
    progress.start("training", (end.saturating_sub(start)) as u64);
    let t0 = Instant::now();
    let mut pending: Vec<LogRow> = Vec::new();
    let mut losses: Vec<f64> = Vec::new();
    let mut last_valid: Option<f64> = None;
    let accum = cfg.grad_accum as u64;
    for step in start + 1..=end {
        let mut acc = GradientsAccumulator::<O::Model>::new();
        let (mut tot, mut drift, mut noise) = (0.0f64, 0.0f64, 0.0f64);
        for micro in 0..accum {
            let m = (step as u64 - 1) * accum + micro;
            let mut x0 = train_set.tensor(&plan.indices(m), &inner);
            if let Some(len) = cfg.crop_frames {
                let f = train_set.frames();
                x0 = x0.narrow(2, plan.crop_start(m, f, len), len.min(f));
            }
            let parts = objective.loss(&model, x0, m)?;
            let scaled = parts.total.clone().div_scalar(accum as f32);
            let grads = scaled.backward();
            acc.accumulate(&model, GradientsParams::from_grads(grads, &model));
            tot += parts.total.into_scalar::<f32>() as f64 / accum as f64;
            drift += parts.drift.into_scalar::<f32>() as f64 / accum as f64;
            noise += parts.noise.map_or(f64::NAN, |n| n.into_scalar::<f32>() as f64) / accum as f64;
        }
        if !tot.is_finite() {
            log::append(&run.log_path(), &pending)?;
            let last = checkpoint::latest(&run.checkpoints())
                .map_or("none".to_string(), |(s, _)| format!("step {s}"));
            return Err(Error::NonFinite {
                context: format!(
                    "training loss at step {step} (last good checkpoint: {last}; resume from it with a lower lr)"
                ),
            });
        }
        model = optim.step(cfg.lr, model, acc.grads());
        if let Some(e) = ema.as_mut() {
            e.update(&model);
        }
        losses.push(tot);
        let valid = if cfg.valid_every > 0 && step % cfg.valid_every == 0 {
            valid_set
                .map(|v| validation_loss(objective, &model, v, cfg, &inner))
                .transpose()?
                .unwrap_or(f64::NAN)
        } else {
            f64::NAN
        };
        if valid.is_finite() {
            last_valid = Some(valid);
        }
        let row =
            LogRow { step, loss: tot, drift, noise, valid, seconds: t0.elapsed().as_secs_f64() };
        callback(&TrainEvent::Step(row));
        if step % cfg.log_every == 0 || step == end || valid.is_finite() {
            pending.push(row);
        }
        progress.advance(1);
        if step % cfg.checkpoint_every == 0 || step == end {
            log::append(&run.log_path(), &pending)?;
            pending.clear();
            let state = CheckpointState {
                step,
                architecture: architecture.to_string(),
                loss: tot,
                pdd_version: env!("CARGO_PKG_VERSION").to_string(),
            };
            let path = checkpoint::save(
                &run.checkpoints(),
                &state,
                &model,
                &optim,
                ema.as_ref().map(|e| &e.shadow),
            )?;
            callback(&TrainEvent::Checkpoint { step, path });
        }
    }
    progress.finish();
    if end == cfg.steps {
        let final_model = ema.as_ref().map_or(&model, |e| &e.shadow);
        checkpoint::export_safetensors(final_model, &run.root().join("model.safetensors"))?;
    }
    let secs = t0.elapsed().as_secs_f64();
    let k = (losses.len() / 10).max(1);
    Ok(TrainSummary {
        step: end,
        started_from: start,
        first_loss: median(&losses[..k.min(losses.len())]),
        last_loss: median(&losses[losses.len().saturating_sub(k)..]),
        valid_loss: last_valid,
        seconds: secs,
        steps_per_second: (end - start) as f64 / secs.max(1e-9),
    })
}

/// The refusal to resume a run whose checkpoint `step` is beyond the step budget `steps`.
pub fn beyond_budget(step: usize, steps: usize) -> Error {
    Error::config(
        "train.steps",
        format!(
            "the run's checkpoint is at step {step}, beyond --steps {steps}; give --steps {step} or more to resume it"
        ),
    )
}

/// The median of `values` (the mean of the two middle ones for an even count); NaN when empty.
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// Mean loss over the first `valid_batches` batches of the validation set, with randomness
/// fixed per batch so values are comparable across steps. No gradients are kept.
fn validation_loss<O: TrainObjective>(
    objective: &O,
    model: &O::Model,
    valid: &TrajectorySet,
    cfg: &TrainConfig,
    device: &Device,
) -> Result<f64> {
    let model = model.valid();
    let b = cfg.batch_size.min(valid.len());
    let mut total = 0.0;
    for i in 0..cfg.valid_batches {
        let idx: Vec<usize> = (0..b).map(|k| (i * b + k) % valid.len()).collect();
        // micro-batch numbers far beyond any training step: fixed, disjoint randomness
        total +=
            objective.valid_loss(&model, valid.tensor(&idx, device), u64::MAX / 2 + i as u64)?;
    }
    Ok(total / cfg.valid_batches.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_even_and_empty_slices() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 100.0, 2.0]), 3.0); // one outlier does not move it
        assert_eq!(median(&[7.5]), 7.5);
        assert!(median(&[]).is_nan());
    }
}
