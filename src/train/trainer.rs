//! The training loop (docs/reference.md §9.1; data-parallel replicas: docs/scaling.md): Adam,
//! gradient accumulation, optional EMA, validation loss, CSV log, atomic checkpoints, resume, NaN
//! guard, progress and a per-step callback.

use super::batches::{BatchPlan, TrajectorySet};
use super::checkpoint::{self, CheckpointState};
use super::config::TrainConfig;
use super::ema::Ema;
use super::log::{self, LogRow};
use super::objective::TrainObjective;
use super::parallel::{MicroLoss, ParallelConfig, Replicas};
use super::run::RunDir;
use crate::error::{Error, Result};
use crate::progress::Progress;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsAccumulator};
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
    /// Compute device (without autodiff; the trainer adds it): the main device, the first of
    /// `parallel.devices`.
    pub device: Device,
    /// Data-parallel replicas (docs/scaling.md); [`ParallelConfig::single`] of `device` for
    /// ordinary training.
    pub parallel: ParallelConfig,
    /// Continue from the latest checkpoint of the run, if any.
    pub resume: bool,
    /// Stop after this many steps in this call even if `train.steps` is not reached (the run
    /// can be resumed later); `None` runs to the end.
    pub stop_after: Option<usize>,
}

impl TrainOptions {
    /// Ordinary training on `device` from scratch, to the end of the step budget.
    pub fn new(device: Device) -> Self {
        Self {
            parallel: ParallelConfig::single(device.clone()),
            device,
            resume: false,
            stop_after: None,
        }
    }

    /// Data-parallel training on `parallel`'s replicas (its first device becomes `device`).
    pub fn with_parallel(mut self, parallel: ParallelConfig) -> Self {
        self.device = parallel.main_device().clone();
        self.parallel = parallel;
        self
    }

    /// The same options resuming (`true`) or not.
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// The same options stopping after `steps` steps in this call (`None`: at the end).
    pub fn stop_after(mut self, steps: Option<usize>) -> Self {
        self.stop_after = steps;
        self
    }
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

/// What [`train`] trains: the run directory, its settings and its data.
pub struct TrainJob<'a, O> {
    /// The run directory (prepared, locked).
    pub run: &'a RunDir,
    /// The `[train]` settings.
    pub cfg: &'a TrainConfig,
    /// The architecture fingerprint written into checkpoints (a resume refuses others).
    pub architecture: &'a str,
    /// The model family and its loss.
    pub objective: &'a O,
    /// The micro-batch plan over `train_set`.
    pub plan: &'a BatchPlan,
    /// Standardised training paths `[N, C, F, *grid]`.
    pub train_set: &'a TrajectorySet,
    /// Standardised validation paths, if validation is on.
    pub valid_set: Option<&'a TrajectorySet>,
}

impl<'a, O> TrainJob<'a, O> {
    /// The job of training `objective` on `train_set` with `plan` into `run` under `cfg`
    /// (checkpoints fingerprinted `architecture`), without validation.
    pub fn new(
        run: &'a RunDir,
        cfg: &'a TrainConfig,
        architecture: &'a str,
        objective: &'a O,
        plan: &'a BatchPlan,
        train_set: &'a TrajectorySet,
    ) -> Self {
        Self { run, cfg, architecture, objective, plan, train_set, valid_set: None }
    }

    /// The same job validating on `valid_set` every `cfg.valid_every` steps.
    pub fn with_valid(mut self, valid_set: Option<&'a TrajectorySet>) -> Self {
        self.valid_set = valid_set;
        self
    }
}

/// The state carried from step to step.
struct State<M: Module> {
    model: M,
    optim: burn::optim::ModuleOptimizer,
    ema: Option<Ema<M>>,
    /// Step of the resumed checkpoint (0 when fresh).
    start: usize,
}

/// Trains `job.objective` on `job.train_set` (standardised) into `job.run`, validating on
/// `job.valid_set` if given, on one device or data-parallel on `options.parallel`
/// (docs/scaling.md: the same weights as one device with the same global batch, up to float
/// summation order).
///
/// Deterministic given `train.seed`: a run stopped (or killed) after a checkpoint and resumed
/// reaches the same weights as an uninterrupted run. A non-finite loss stops the run with an
/// error naming the step; the last checkpoint written before it stays intact.
pub fn train<O: TrainObjective + Sync>(
    job: &TrainJob<'_, O>,
    options: &TrainOptions,
    progress: &dyn Progress,
    callback: &mut dyn FnMut(&TrainEvent),
) -> Result<TrainSummary> {
    let cfg = job.cfg;
    cfg.validate()?;
    if options.parallel.main_device() != &options.device {
        return Err(Error::config(
            "devices",
            "TrainOptions::device must be the first of parallel.devices (use TrainOptions::with_parallel)",
        ));
    }
    let replicas = Replicas::new(job.objective, &options.parallel, job.plan.batch)?;
    let mut state = restore_or_init(job, options, callback)?;
    let start = state.start;
    let end = options.stop_after.map_or(cfg.steps, |n| cfg.steps.min(start + n));
    progress.start("training", (end.saturating_sub(start)) as u64);
    let t0 = Instant::now();
    let mut pending: Vec<LogRow> = Vec::new();
    let mut losses: Vec<f64> = Vec::new();
    let mut last_valid: Option<f64> = None;
    for step in start + 1..=end {
        let loss = match step_once(job, &replicas, &mut state, step) {
            Ok(loss) => loss,
            Err(e) => {
                log::append(&job.run.log_path(), &pending)?;
                return Err(e);
            }
        };
        losses.push(loss.total);
        let valid = validate_at(job, &state.model, step, &options.device)?;
        last_valid = valid.or(last_valid);
        let row = LogRow {
            step,
            loss: loss.total,
            drift: loss.drift,
            noise: loss.noise,
            valid: valid.unwrap_or(f64::NAN),
            seconds: t0.elapsed().as_secs_f64(),
        };
        callback(&TrainEvent::Step(row));
        if step % cfg.log_every == 0 || step == end || valid.is_some() {
            pending.push(row);
        }
        progress.advance(1);
        if step % cfg.checkpoint_every == 0 || step == end {
            log::append(&job.run.log_path(), &pending)?;
            pending.clear();
            let path = save_checkpoint(job, &state, step, loss.total)?;
            callback(&TrainEvent::Checkpoint { step, path });
        }
    }
    progress.finish();
    if end == cfg.steps {
        let final_model = state.ema.as_ref().map_or(&state.model, |e| &e.shadow);
        checkpoint::export_safetensors(final_model, &job.run.root().join("model.safetensors"))?;
    }
    Ok(summary(start, end, &losses, last_valid, t0.elapsed().as_secs_f64()))
}

/// A fresh model and optimiser seeded by `train.seed`, replaced by the newest intact
/// checkpoint when `options.resume` (which truncates the log to it and reports
/// [`TrainEvent::Resumed`]); a fresh start removes an old log.
fn restore_or_init<O: TrainObjective>(
    job: &TrainJob<'_, O>,
    options: &TrainOptions,
    callback: &mut dyn FnMut(&TrainEvent),
) -> Result<State<O::Model>> {
    let (cfg, run) = (job.cfg, job.run);
    let inner = options.device.clone();
    let ad = inner.clone().autodiff();
    inner.seed(cfg.seed);
    ad.seed(cfg.seed);
    // rebuilt here: a constructor from another evcxr cell draws other autodiff ids
    let model = super::materialize(job.objective.init_model(&ad)?, &ad);
    let optim = AdamConfig::new()
        .with_beta_1(cfg.beta1 as f32)
        .with_beta_2(cfg.beta2 as f32)
        .with_epsilon(cfg.eps as f32)
        .init();
    if options.resume
        && let Some(r) =
            checkpoint::restore_newest(&run.checkpoints(), &model, &optim, job.architecture)?
    {
        if r.state.step > cfg.steps {
            return Err(beyond_budget(r.state.step, cfg.steps));
        }
        let start = r.state.step;
        let ema = cfg.ema_decay.map(|d| {
            let shadow = r.ema.unwrap_or_else(|| r.model.clone());
            Ema { shadow: shadow.no_grad(), decay: d }
        });
        log::truncate(&run.log_path(), start)?;
        callback(&TrainEvent::Resumed { step: start, skipped: r.skipped });
        return Ok(State { model: r.model, optim: r.optim, ema, start });
    }
    if run.log_path().exists() {
        std::fs::remove_file(run.log_path()).map_err(|e| Error::io(run.log_path(), e))?;
    }
    let ema = cfg.ema_decay.map(|d| Ema::new(&model, d));
    Ok(State { model, optim, ema, start: 0 })
}

/// One optimiser step: `grad_accum` micro-batches, each split across the replicas, their
/// gradients summed (weighted by shard size, scaled by `1/grad_accum`), then Adam and the EMA.
/// A non-finite loss is an error naming the step and the last good checkpoint.
fn step_once<O: TrainObjective + Sync>(
    job: &TrainJob<'_, O>,
    replicas: &Replicas<'_, O>,
    state: &mut State<O::Model>,
    step: usize,
) -> Result<MicroLoss> {
    let cfg = job.cfg;
    let accum = cfg.grad_accum as u64;
    let mut acc = GradientsAccumulator::<O::Model>::new();
    let mut loss = MicroLoss::default();
    for micro in 0..accum {
        let m = (step as u64 - 1) * accum + micro;
        let part = replicas.micro_batch(&state.model, job.train_set, job.plan, cfg, m, &mut acc)?;
        loss.total += part.total;
        loss.drift += part.drift;
        loss.noise += part.noise;
    }
    if !loss.total.is_finite() {
        let last = checkpoint::latest(&job.run.checkpoints())
            .map_or("none".to_string(), |(s, _)| format!("step {s}"));
        return Err(Error::NonFinite {
            context: format!(
                "training loss at step {step} (last good checkpoint: {last}; resume from it with a lower lr)"
            ),
        });
    }
    state.model = state.optim.step(cfg.lr, state.model.clone(), acc.grads());
    if let Some(e) = state.ema.as_mut() {
        e.update(&state.model);
    }
    Ok(loss)
}

/// The validation loss when `step` is a validation step and there is a validation set.
fn validate_at<O: TrainObjective>(
    job: &TrainJob<'_, O>,
    model: &O::Model,
    step: usize,
    device: &Device,
) -> Result<Option<f64>> {
    let cfg = job.cfg;
    if cfg.valid_every == 0 || !step.is_multiple_of(cfg.valid_every) {
        return Ok(None);
    }
    let Some(v) = job.valid_set else { return Ok(None) };
    Ok(Some(validation_loss(job.objective, model, v, cfg, device)?).filter(|l: &f64| l.is_finite()))
}

/// Writes the checkpoint of `step` (model, optimiser, EMA copy, `loss`).
fn save_checkpoint<O: TrainObjective>(
    job: &TrainJob<'_, O>,
    state: &State<O::Model>,
    step: usize,
    loss: f64,
) -> Result<std::path::PathBuf> {
    let cs = CheckpointState {
        step,
        architecture: job.architecture.to_string(),
        loss,
        pdd_version: env!("CARGO_PKG_VERSION").to_string(),
        sha256: Default::default(), // filled by checkpoint::save
    };
    checkpoint::save(
        &job.run.checkpoints(),
        &cs,
        &state.model,
        &state.optim,
        state.ema.as_ref().map(|e| &e.shadow),
    )
}

/// The summary of a call that ran steps `start + 1 ..= end` with step losses `losses`.
fn summary(
    start: usize,
    end: usize,
    losses: &[f64],
    valid: Option<f64>,
    secs: f64,
) -> TrainSummary {
    let k = (losses.len() / 10).max(1);
    TrainSummary {
        step: end,
        started_from: start,
        first_loss: median(&losses[..k.min(losses.len())]),
        last_loss: median(&losses[losses.len().saturating_sub(k)..]),
        valid_loss: valid,
        seconds: secs,
        steps_per_second: (end - start) as f64 / secs.max(1e-9),
    }
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
