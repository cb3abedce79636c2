//! Training from a preset and a dataset file: what `pdd train` and the notebooks call.

use super::batches::{BatchPlan, TrajectorySet};
use super::config::{Normalization, Objective, TrainConfig};
use super::objective::{ModelInit, PddObjective, TrainObjective};
use super::parallel::ParallelConfig;
use super::run::{DataInfo, ModelKind, RunConfig, RunDir};
use super::trainer::{TrainEvent, TrainJob, TrainOptions, TrainSummary, train};
use crate::diffusion::DiffusionConfig;
use crate::error::{Error, Result};
use crate::io::{Dataset, Split, Stats};
use crate::nn::UNet;
use crate::predictor::{
    Builtin, BuiltinVisitor, PddModel, Predictor, PredictorSpec, check_spec, record_spec,
    with_builtin,
};
use crate::presets::Preset;
use crate::progress::Progress;
use burn::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// Which model to train: PDD (default) or a DDPM baseline.
    pub model: ModelKind,
    /// Replace the preset's `[train] objective` (PDD runs only).
    pub objective: Option<Objective>,
    /// Continue from the run's last checkpoint.
    pub resume: bool,
    /// Replace a different run in `out`.
    pub overwrite: bool,
    /// Override of `train.batch_size`, the global micro-batch (split across the replicas of
    /// `parallel`; docs/scaling.md).
    pub batch: Option<usize>,
    /// Override of `train.grad_accum` (micro-batches per optimiser step).
    pub grad_accum: Option<usize>,
    /// Data-parallel replicas (docs/scaling.md); `None` trains on the device given to
    /// [`train_preset`] / [`train_predictor`] alone.
    pub parallel: Option<ParallelConfig>,
}

/// `data` as the run directory `out` should record it: relative to `out` (e.g.
/// `../../data.h5` in a study), so that a study directory can be moved as a whole; absolute
/// when either path cannot be resolved.
pub fn relative_to_run(out: &Path, data: &Path) -> String {
    let absolute = |p: &Path| std::fs::canonicalize(p).ok();
    let data_abs = absolute(data);
    // the run directory may not exist yet: resolve its parent
    let out_abs = absolute(out).or_else(|| {
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Some(absolute(parent)?.join(out.file_name()?))
    });
    let (Some(data_abs), Some(out_abs)) = (data_abs, out_abs) else {
        return data.display().to_string();
    };
    let common = data_abs.components().zip(out_abs.components()).take_while(|(a, b)| a == b);
    let n = common.count();
    let mut rel = PathBuf::new();
    for _ in out_abs.components().skip(n) {
        rel.push("..");
    }
    rel.extend(data_abs.components().skip(n));
    rel.display().to_string()
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
    let name = format!("the {} split of {}", split.name(), ds.path().display());
    TrajectorySet::named(ds.normalised_batch(&idx, Some(stats))?, ds.metadata().grid.clone(), &name)
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
    if let Some(b) = req.batch {
        train.batch_size = b;
    }
    if let Some(k) = req.grad_accum {
        train.grad_accum = k;
    }
    if let Some(objective) = req.objective {
        if req.model != ModelKind::Pdd {
            return Err(Error::config("model", "--objective / --sa-pdd apply to PDD runs only"));
        }
        train.objective = objective;
    }
    if req.model == ModelKind::DdpmGen {
        // the unconditional baseline models whole trajectories
        train.crop_frames = None;
    }
    train.validate()?;
    let model: crate::predictor::ModelConfig = req.preset.section("model")?;
    model.validate()?;
    if req.model != ModelKind::DdpmGen {
        check_window(model.window, meta.frames, train.crop_frames)?;
    }
    let stats = stats_for(ds, train.normalization)?;
    Ok(RunConfig {
        preset: req.preset.name.clone(),
        kind: req.model.name().into(),
        data: DataInfo {
            path: relative_to_run(&req.out, &req.data),
            absolute_path: std::fs::canonicalize(&req.data).ok().map(|p| p.display().to_string()),
            system: meta.system().name().to_string(),
            grid: meta.grid.dims().to_vec(),
            channels: meta.channels.len(),
            frames: meta.frames,
            frame_dt: meta.frame_dt,
            mean: stats.mean,
            std: stats.std,
        },
        diffusion: DiffusionConfig::from_preset(&req.preset)?,
        model,
        train,
        stages: stage_sections(&req.preset, req.model),
    })
}

/// The preset's tables that training does not read (`[sample]`, `[eval]`, …), carried into the
/// run's configuration for the stages after training; `[ddpm]` only for a DDPM baseline run.
fn stage_sections(preset: &Preset, model: ModelKind) -> toml::Table {
    let skip_ddpm = (model == ModelKind::Pdd).then_some("ddpm");
    let training = ["data", "diffusion", "model", "train"].into_iter().chain(skip_ddpm);
    let training: Vec<&str> = training.collect();
    let tables =
        preset.table().iter().filter(|(k, v)| v.is_table() && !training.contains(&k.as_str()));
    tables.map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Refuses a predictor window that leaves no frame to predict: a window of `w` slices needs
/// paths of at least `w + 1` frames (`frames` per trajectory, or `crop` when training crops).
fn check_window(window: usize, frames: usize, crop: Option<usize>) -> Result<()> {
    let (have, what) = match crop {
        Some(c) if c < frames => (c, format!("train.crop_frames = {c}")),
        _ => (frames, format!("the dataset's trajectories have {frames} frames")),
    };
    if window >= have {
        return Err(Error::config(
            "model.window",
            format!("a window of {window} slices needs at least {} frames, but {what}", window + 1),
        ));
    }
    Ok(())
}

/// Trains the preset's PDD (or SA-PDD) model with its built-in backbone (`[model] backbone =
/// "unet" | "fno"`) on `req.data` into `req.out`; `req.model` must be PDD (the DDPM baselines
/// train through [`crate::baseline::train_ddpm`], both behind [`crate::study::train_preset`]).
pub fn train_builtin(
    req: &TrainRequest,
    device: &Device,
    progress: &dyn Progress,
    callback: &mut dyn FnMut(&TrainEvent),
) -> Result<TrainSummary> {
    let ds = Dataset::open(&req.data)?;
    let cfg = run_config(req, &ds)?;
    if req.model != ModelKind::Pdd {
        return Err(Error::config("model", format!("`{}` is not a PDD run", req.model)));
    }
    let fit = Fit { req, ds: &ds, cfg: &cfg, device, progress };
    with_builtin(&cfg.model, FitVisitor { fit: &fit, callback })
}

/// Trains an objective built by a stage above this one (the DDPM baselines) with the same
/// data, run directory, checkpoints, resume and log as PDD: `make` builds it from the run's
/// configuration and returns it with the number of diffusion indices its batches draw from.
pub fn train_objective<O: TrainObjective + Sync>(
    req: &TrainRequest,
    device: &Device,
    progress: &dyn Progress,
    callback: &mut dyn FnMut(&TrainEvent),
    make: impl FnOnce(&RunConfig) -> Result<(usize, O)>,
) -> Result<TrainSummary> {
    let ds = Dataset::open(&req.data)?;
    let cfg = run_config(req, &ds)?;
    let (steps, objective) = make(&cfg)?;
    Fit { req, ds: &ds, cfg: &cfg, device, progress }.run(steps, callback, |_| Ok(objective))
}

/// Trains the predictor `spec` builds (one of your own, see
/// [`CustomPredictor`](crate::predictor::CustomPredictor)) with the PDD / SA-PDD objective on
/// the preset's data, diffusion and `[train]` settings, into `req.out`. The run records the
/// spec's name and settings (`[model] backbone`, `[model.settings]`); reopen it with
/// [`TrainedRun::open`] and the same spec. `req.model` must be PDD.
pub fn train_predictor<S: PredictorSpec + Clone + Send + Sync + 'static>(
    req: &TrainRequest,
    spec: &S,
    device: &Device,
    progress: &dyn Progress,
    callback: &mut dyn FnMut(&TrainEvent),
) -> Result<TrainSummary> {
    if req.model != ModelKind::Pdd {
        return Err(Error::config("model", "a custom predictor trains with the PDD objectives"));
    }
    let ds = Dataset::open(&req.data)?;
    let mut cfg = run_config(req, &ds)?;
    record_spec(&mut cfg.model, spec)?;
    Fit { req, ds: &ds, cfg: &cfg, device, progress }.predictor(spec, callback)
}

/// Trains the built-in predictor it is given (see [`with_builtin`]).
struct FitVisitor<'a, 'b> {
    fit: &'a Fit<'a>,
    callback: &'b mut dyn FnMut(&TrainEvent),
}

impl BuiltinVisitor for FitVisitor<'_, '_> {
    type Output = TrainSummary;
    fn visit<S: PredictorSpec + Clone + Send + Sync + 'static>(
        self,
        spec: S,
    ) -> Result<TrainSummary> {
        self.fit.predictor(&spec, self.callback)
    }
}

/// What every model family's training shares: data, run directory, trainer and summary.
struct Fit<'a> {
    req: &'a TrainRequest,
    ds: &'a Dataset,
    cfg: &'a RunConfig,
    device: &'a Device,
    progress: &'a dyn Progress,
}

impl Fit<'_> {
    /// Trains the predictor of `spec` (recorded in `cfg.model`) with the PDD objective.
    fn predictor<S: PredictorSpec + Clone + Send + Sync + 'static>(
        &self,
        spec: &S,
        callback: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainSummary> {
        let cfg = self.cfg;
        check_spec(&cfg.model, spec)?;
        let mut stats = None;
        let skip = super::gaussian_skip(cfg, || {
            let s = super::estimate_second_order(self.ds, cfg)?;
            stats = Some(s.clone());
            Ok(s)
        })?;
        let shape = cfg.predictor_shape()?.with_skip(skip);
        // fail on a model/grid mismatch before touching the run directory
        spec.init(&shape, self.device)?;
        let process = cfg.diffusion.process(&shape.grid)?;
        let (spec, device) = (spec.clone(), self.device);
        let init: ModelInit<S::Model> = Arc::new(move |d: &Device| spec.init(&shape, d));
        let summary = self.run(process.steps(), callback, |plan| {
            PddObjective::new(process, cfg.train.clone(), plan, device, init)
        })?;
        if let Some(s) = stats {
            // the skip's statistics travel with the run (a run copied without its data reopens)
            let path = self.req.out.join(super::SECOND_ORDER_FILE);
            crate::io::write_second_order(&path, &s, true)?;
        }
        Ok(summary)
    }

    /// Loads the splits, prepares the run directory and trains the objective `make` builds from
    /// the batch plan (`steps` diffusion indices).
    fn run<O: TrainObjective + Sync>(
        &self,
        steps: usize,
        callback: &mut dyn FnMut(&TrainEvent),
        make: impl FnOnce(BatchPlan) -> Result<O>,
    ) -> Result<TrainSummary> {
        let cfg = self.cfg;
        let stats = cfg.data.stats();
        let train_set = split_set(self.ds, Split::Train, &stats)?;
        let valid_set = if cfg.train.valid_every > 0 {
            Some(split_set(self.ds, Split::Valid, &stats)?)
        } else {
            None
        };
        let plan = BatchPlan::new(train_set.len(), cfg.train.batch_size, steps, cfg.train.seed)?;
        let objective = make(plan)?;
        if self.req.resume
            && let Some((step, _)) = super::checkpoint::latest(&self.req.out.join("checkpoints"))
            && step > cfg.train.steps
        {
            // refused before config.toml or README.md are rewritten with the smaller budget
            return Err(super::trainer::beyond_budget(step, cfg.train.steps));
        }
        if let Some(p) = &self.req.parallel {
            p.shards(cfg.train.batch_size)?; // refused before the run directory is touched
        }
        let run = RunDir::prepare(&self.req.out, cfg, self.req.resume, self.req.overwrite)?;
        let mut options = TrainOptions::new(self.device.clone()).resume(self.req.resume);
        if let Some(p) = &self.req.parallel {
            options = options.with_parallel(p.clone());
        }
        let arch = cfg.architecture();
        let job = TrainJob::new(&run, &cfg.train, &arch, &objective, &plan, &train_set)
            .with_valid(valid_set.as_ref());
        let summary = train(&job, &options, self.progress, callback)?;
        write_summary(&run, cfg, &summary)?;
        Ok(summary)
    }
}

fn write_summary(run: &RunDir, cfg: &RunConfig, s: &TrainSummary) -> Result<()> {
    let text = format!(
        "# pdd run `{}`\n\n- preset: `{}` ({})\n- data: `{}` ({} grid {:?}, {} channels, {} frames)\n\
         - steps: {} (this call: {} → {}, {:.1} s, {:.3} steps/s)\n- loss: {:.4} (median of the first 10 % of this call's steps) → {:.4} (of the last 10 %){}\n\
         - files: `config.toml`, `log.csv`, `checkpoints/`, `model.safetensors`\n",
        run.root().display(),
        cfg.preset,
        match (cfg.kind.as_str(), cfg.train.objective) {
            ("pdd", objective) => format!("{} objective", objective.label()),
            (kind, _) => format!("{kind} DDPM baseline"),
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
        s.last_loss,
        s.valid_loss.map_or(String::new(), |v| format!("; validation loss {v:.4}")),
    );
    crate::io::write_atomic(&run.root().join("README.md"), text.as_bytes(), true)
}

/// A trained run loaded for sampling: any predictor `P` (the U-Net by default).
pub struct TrainedRun<P = PddModel> {
    /// The run directory.
    pub dir: PathBuf,
    /// The run's configuration.
    pub config: RunConfig,
    /// The forward process.
    pub process: crate::diffusion::ForwardProcess,
    /// The predictor with the latest checkpoint's weights.
    pub model: P,
    /// Step of the checkpoint.
    pub step: usize,
    /// Newer checkpoints skipped as damaged, each as `step-N: reason` (empty normally).
    pub skipped: Vec<String>,
}

impl TrainedRun<PddModel> {
    /// Loads the newest intact checkpoint of the U-Net run in `dir` onto `device` (no
    /// autodiff); a damaged newer one is skipped and named in [`skipped`](Self::skipped).
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let (_, config) = open_run(dir, &[ModelKind::Pdd])?;
        Self::open(dir, &Builtin::<UNet>::new(&config.model)?, device)
    }
}

impl TrainedRun<Box<dyn Predictor>> {
    /// Loads the run in `dir` whatever built-in backbone it has, the predictor boxed.
    pub fn load_any(dir: &Path, device: &Device) -> Result<Self> {
        let (_, config) = open_run(dir, &[ModelKind::Pdd])?;
        with_builtin(&config.model, Boxed { dir, device })
    }
}

/// Loads the built-in predictor's run it is given, boxed (see [`with_builtin`]).
struct Boxed<'a> {
    dir: &'a Path,
    device: &'a Device,
}

impl BuiltinVisitor for Boxed<'_> {
    type Output = TrainedRun<Box<dyn Predictor>>;
    fn visit<S: PredictorSpec + Clone + Send + Sync + 'static>(
        self,
        spec: S,
    ) -> Result<Self::Output> {
        let run = TrainedRun::open(self.dir, &spec, self.device)?;
        Ok(run.map(|m| Box::new(m) as Box<dyn Predictor>))
    }
}

impl<P: Predictor + burn::module::Module> TrainedRun<P> {
    /// Loads the newest intact checkpoint of the PDD run in `dir`, building the predictor with
    /// `spec` — which must be the spec that trained it (same backbone name and settings; else a
    /// [`Error::Config`] naming both). Damaged newer checkpoints are skipped as in
    /// [`TrainedRun::load`].
    pub fn open<S: PredictorSpec<Model = P>>(
        dir: &Path,
        spec: &S,
        device: &Device,
    ) -> Result<Self> {
        let (run, config) = open_run(dir, &[ModelKind::Pdd])?;
        check_spec(&config.model, spec)?;
        let skip = super::gaussian_skip(&config, || super::run_second_order(dir, &config))?;
        let fresh = spec.init(&config.predictor_shape()?.with_skip(skip), device)?;
        let (step, model, skipped) = newest_intact(&run, &config, |weights| {
            super::checkpoint::load_weights(fresh.clone(), weights)
        })?;
        let process = config.diffusion.process(&config.data.grid()?)?;
        Ok(Self { dir: dir.to_path_buf(), config, process, model, step, skipped })
    }
}

impl<P> TrainedRun<P> {
    /// Standardisation constants of the run.
    pub fn stats(&self) -> Stats {
        self.config.data.stats()
    }

    /// The same run with its predictor replaced by `f(predictor)`.
    pub fn map<Q>(self, f: impl FnOnce(P) -> Q) -> TrainedRun<Q> {
        let Self { dir, config, process, model, step, skipped } = self;
        TrainedRun { dir, config, process, model: f(model), step, skipped }
    }
}

/// Opens the run in `dir` for loading: its configuration (refusing a run whose kind is not in
/// `kinds`), the latest checkpoint's step, and the weights file to load (the EMA copy when the
/// run keeps one). Fails if the run has no checkpoint or the checkpoint is from another
/// architecture.
pub fn open_checkpoint(dir: &Path, kinds: &[ModelKind]) -> Result<(RunConfig, usize, PathBuf)> {
    let (run, config) = open_run(dir, kinds)?;
    let (step, ckpt) = run.latest_checkpoint()?;
    Ok((config.clone(), step, checkpoint_weights(&config, &ckpt)?))
}

/// Opens the run in `dir` and reads its configuration, refusing a run whose kind is not in
/// `kinds`.
pub fn open_run(dir: &Path, kinds: &[ModelKind]) -> Result<(RunDir, RunConfig)> {
    let run = RunDir::open(dir)?;
    let config = run.config()?;
    check_kind(dir, &config, kinds)?;
    Ok((run, config))
}

/// Loads the newest intact checkpoint of `run` (configured as `config`) with `load`, given the
/// weights file to read (the EMA copy when the run keeps one). A checkpoint whose `state.json`
/// or weights cannot be read is skipped and named (`step-N: reason`) in the returned list; one
/// of another architecture is an error, and so is a run without an intact checkpoint. Returns
/// the step, the loaded value and the skipped checkpoints.
pub fn newest_intact<T>(
    run: &RunDir,
    config: &RunConfig,
    mut load: impl FnMut(&Path) -> Result<T>,
) -> Result<(usize, T, Vec<String>)> {
    run.latest_checkpoint()?; // "the run has no checkpoint yet"
    let mut skipped = Vec::new();
    for (step, ckpt) in super::checkpoint::list(&run.checkpoints()).into_iter().rev() {
        let name = super::checkpoint::checkpoint_name(step);
        match checkpoint_weights(config, &ckpt).and_then(|weights| load(&weights)) {
            Ok(value) => return Ok((step, value, skipped)),
            Err(e @ Error::Config { .. }) => return Err(e),
            Err(e) => skipped.push(format!("{name}: {e}")),
        }
    }
    Err(Error::bad_file(run.root(), format!("no intact checkpoint ({})", skipped.join("; "))))
}

/// Refuses the run in `dir` (configuration `config`) unless its kind is one of `kinds`.
fn check_kind(dir: &Path, config: &RunConfig, kinds: &[ModelKind]) -> Result<()> {
    let kind = config.model_kind()?;
    if !kinds.contains(&kind) {
        let want: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        return Err(Error::Other(format!(
            "{} is a `{kind}` run, not a {} run",
            dir.display(),
            want.join(" or ")
        )));
    }
    Ok(())
}

/// The weights file to load from checkpoint directory `ckpt` of a run configured as `config`
/// (the EMA copy when the run keeps one). A checkpoint of another architecture is an
/// [`Error::Config`]; an unreadable `state.json` is another error.
fn checkpoint_weights(config: &RunConfig, ckpt: &Path) -> Result<PathBuf> {
    let state = super::checkpoint::read_state(ckpt)?;
    if state.architecture != config.architecture() {
        let reason =
            format!("{}: checkpoint architecture differs from config.toml", ckpt.display());
        return Err(Error::config("model", reason));
    }
    let weights = if config.train.ema_decay.is_some() && ckpt.join("ema.bpk").exists() {
        "ema.bpk"
    } else {
        "model.bpk"
    };
    Ok(ckpt.join(weights))
}
