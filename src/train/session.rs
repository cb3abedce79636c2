//! Training from a preset and a dataset file: what `pdd train` and the notebooks call.

use super::batches::{BatchPlan, TrajectorySet};
use super::config::{Normalization, Objective, TrainConfig};
use super::objective::PddObjective;
use super::run::{DataInfo, RunConfig, RunDir};
use super::trainer::{TrainEvent, TrainOptions, TrainSummary, train};
use crate::diffusion::DiffusionConfig;
use crate::error::{Error, Result};
use crate::io::{Dataset, Split, Stats};
use crate::predictor::PddModel;
use crate::presets::Preset;
use crate::progress::Progress;
use burn::prelude::*;
use std::path::{Path, PathBuf};

/// Everything `pdd train` needs besides the device.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    /// Preset with `[data]`, `[diffusion]`, `[model]` and `[train]` sections.
    pub preset: Preset,
    /// The HDF5 dataset to train on.
    pub data: PathBuf,
    /// Run directory.
    pub out: PathBuf,
    /// Override of `train.steps`.
    pub steps: Option<usize>,
    /// Train SA-PDD (two heads) instead of the preset's objective.
    pub sa_pdd: bool,
    /// Continue from the run's last checkpoint.
    pub resume: bool,
    /// Replace a different run in `out`.
    pub overwrite: bool,
}

/// The standardisation constants of `normalization` for a dataset.
pub fn stats_for(ds: &Dataset, normalization: Normalization) -> Result<Stats> {
    Ok(match normalization {
        Normalization::Dataset => ds.metadata().stats()?.clone(),
        Normalization::Reference => match ds.metadata().system() {
            crate::systems::SystemKind::Lorenz96 => Stats::reference_lorenz96(),
            crate::systems::SystemKind::Kolmogorov => Stats::reference_kolmogorov(),
        },
    })
}

/// Standardised trajectories of one split.
pub fn split_set(ds: &Dataset, split: Split, stats: &Stats) -> Result<TrajectorySet> {
    let idx: Vec<usize> = ds.metadata().splits.get(split).to_vec();
    if idx.is_empty() {
        return Err(Error::bad_file(ds.path(), format!("the {} split is empty", split.name())));
    }
    TrajectorySet::new(ds.normalised_batch(&idx, Some(stats))?, ds.metadata().grid.clone())
}

/// The resolved run configuration of `req` on dataset `ds`.
pub fn run_config(req: &TrainRequest, ds: &Dataset) -> Result<RunConfig> {
    let meta = ds.metadata();
    let want: crate::systems::DataConfig = crate::systems::DataConfig::from_preset(&req.preset)?;
    if want.system != meta.system() {
        return Err(Error::Other(format!(
            "{} holds {} data but preset `{}` is for {}",
            req.data.display(),
            meta.system().name(),
            req.preset.name,
            want.system.name()
        )));
    }
    let mut train: TrainConfig = req.preset.section("train")?;
    if let Some(s) = req.steps {
        train.steps = s;
    }
    if req.sa_pdd {
        train.objective = Objective::SaPdd;
    }
    train.validate()?;
    let stats = stats_for(ds, train.normalization)?;
    Ok(RunConfig {
        preset: req.preset.name.clone(),
        kind: "pdd".into(),
        data: DataInfo {
            path: std::fs::canonicalize(&req.data).unwrap_or(req.data.clone()).display().to_string(),
            system: meta.system().name().to_string(),
            grid: meta.grid.dims().to_vec(),
            channels: meta.channels.len(),
            frames: meta.frames,
            frame_dt: meta.frame_dt,
            mean: stats.mean,
            std: stats.std,
        },
        diffusion: DiffusionConfig::from_preset(&req.preset)?,
        model: req.preset.section("model")?,
        train,
        sample: optional_section(&req.preset, "sample")?,
        eval: optional_section(&req.preset, "eval")?,
    })
}

fn optional_section<T: serde::de::DeserializeOwned + Default>(preset: &Preset, key: &str) -> Result<T> {
    if preset.has_section(key) { preset.section(key) } else { Ok(T::default()) }
}

/// Trains the preset's PDD (or SA-PDD) model on `req.data` into `req.out`.
pub fn train_preset(
    req: &TrainRequest,
    device: &Device,
    progress: &dyn Progress,
    callback: &mut dyn FnMut(&TrainEvent),
) -> Result<TrainSummary> {
    let ds = Dataset::open(&req.data)?;
    let cfg = run_config(req, &ds)?;
    let grid = cfg.data.grid()?;
    // fail on a model/grid mismatch before touching the run directory
    cfg.model.unet(cfg.data.channels, &grid, cfg.train.objective == Objective::SaPdd)?;
    let stats = Stats { mean: cfg.data.mean.clone(), std: cfg.data.std.clone() };
    let train_set = split_set(&ds, Split::Train, &stats)?;
    let valid_set = if cfg.train.valid_every > 0 { Some(split_set(&ds, Split::Valid, &stats)?) } else { None };
    let run = RunDir::prepare(&req.out, &cfg, req.resume, req.overwrite)?;
    let process = cfg.diffusion.process(&grid)?;
    let plan = BatchPlan::new(train_set.len(), cfg.train.batch_size, process.steps(), cfg.train.seed)?;
    let objective = PddObjective::new(process, cfg.model.clone(), cfg.data.channels, cfg.train.clone(), plan, device)?;
    let options = TrainOptions { device: device.clone(), resume: req.resume, stop_after: None };
    let summary = train(&run, &cfg.train, &cfg.architecture(), &objective, &plan, &train_set, valid_set.as_ref(), &options, progress, callback)?;
    write_summary(&run, &cfg, &summary)?;
    Ok(summary)
}

fn write_summary(run: &RunDir, cfg: &RunConfig, s: &TrainSummary) -> Result<()> {
    let text = format!(
        "# pdd run `{}`\n\n- preset: `{}` ({} objective)\n- data: `{}` ({} grid {:?}, {} channels, {} frames)\n\
         - steps: {} (this call: {} → {}, {:.1} s, {:.3} steps/s)\n- loss: {:.4} (first steps of this call) → {:.4} (last steps)\n\
         - files: `config.toml`, `log.csv`, `checkpoints/`, `model.safetensors`\n",
        run.root().display(),
        cfg.preset,
        match cfg.train.objective {
            Objective::Pdd => "PDD",
            Objective::SaPdd => "SA-PDD",
        },
        cfg.data.path,
        cfg.data.system,
        cfg.data.grid,
        cfg.data.channels,
        cfg.data.frames,
        cfg.train.steps,
        s.started_from,
        s.step,
        s.seconds,
        s.steps_per_second,
        s.first_loss,
        s.last_loss
    );
    super::atomic_write(&run.root().join("README.md"), text.as_bytes())
}

/// A trained run loaded for sampling.
pub struct TrainedRun {
    /// The run's configuration.
    pub config: RunConfig,
    /// The forward process.
    pub process: crate::diffusion::ForwardProcess,
    /// The predictor with the latest checkpoint's weights.
    pub model: PddModel,
    /// Step of the checkpoint.
    pub step: usize,
}

impl TrainedRun {
    /// Loads the latest checkpoint of the run in `dir` onto `device` (no autodiff).
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let run = RunDir::open(dir)?;
        let config = run.config()?;
        if config.kind != "pdd" {
            return Err(Error::Other(format!("{} is a `{}` run, not a PDD run", dir.display(), config.kind)));
        }
        let (step, ckpt) = run.latest_checkpoint()?;
        let state = super::checkpoint::read_state(&ckpt)?;
        if state.architecture != config.architecture() {
            return Err(Error::bad_file(&ckpt, "checkpoint architecture differs from config.toml"));
        }
        let grid = config.data.grid()?;
        let noise = config.train.objective == Objective::SaPdd;
        let fresh = config.model.init(config.data.channels, &grid, noise, device)?;
        let weights = if config.train.ema_decay.is_some() && ckpt.join("ema.bpk").exists() { "ema.bpk" } else { "model.bpk" };
        let model = super::checkpoint::load_weights(fresh, &ckpt.join(weights))?;
        let process = config.diffusion.process(&grid)?;
        Ok(Self { config, process, model, step })
    }

    /// Standardisation constants of the run.
    pub fn stats(&self) -> Stats {
        Stats { mean: self.config.data.mean.clone(), std: self.config.data.std.clone() }
    }
}
