//! One system end to end in one directory — data → training → evaluation — as `pdd demo` runs
//! it and as the tutorial notebooks call it step by step.
//!
//! A [`Study`] names a preset and a directory; each stage writes its result there and is skipped
//! or resumed when the result is already present, so an interrupted demo continues where it
//! stopped:
//!
//! | stage | method | writes |
//! |---|---|---|
//! | data | [`Study::data`] | `DIR/data.h5` (the preset's `[data]`, trajectories overridable) |
//! | training | [`Study::train`] | `DIR/run/` (config, log, checkpoints; resumed if present) |
//! | evaluation | [`Study::evaluate`] | `DIR/report.md`, `report.json`, `figures/*.svg` |
//!
//! ```no_run
//! use pdd::prelude::*;
//! let study = Study::new("lorenz96-quick", "demo/lorenz96", Device::flex()).unwrap();
//! let results = study.run_all(&NoProgress).unwrap();
//! println!("{}", results.markdown());
//! ```

use crate::diffusion::DiffusionConfig;
use crate::error::{Error, Result};
use crate::eval::{EvalConfig, EvalFigure, EvalResults, EvalTasks, Evaluator, evaluate};
use crate::io::Dataset;
use crate::io::generate;
use crate::plot::{
    Figure, LadderOptions, Series, field_heatmap, hovmoller, ladder_figure, loss_curve,
};
use crate::predictor::{Predictor, PredictorShape, PredictorSpec, check_spec, record_spec};
use crate::presets::Preset;
use crate::progress::Progress;
use crate::systems::DataConfig;
use crate::train::{
    LogRow, ModelKind, RunConfig, RunDir, TrainEvent, TrainRequest, TrainSummary, TrainedRun,
    run_config, train_builtin, train_predictor,
};
use burn::prelude::*;
use ndarray::Axis;
use std::path::{Path, PathBuf};

/// Size overrides of a [`Study`]: `None` keeps the preset's value.
#[derive(Debug, Clone, Default)]
pub struct StudyOptions {
    /// Trajectories to generate (`[data] trajectories`).
    pub trajectories: Option<usize>,
    /// Training steps (`[train] steps`).
    pub train_steps: Option<usize>,
    /// Test paths evaluated (`[eval] samples`; also caps `generation_samples`).
    pub eval_samples: Option<usize>,
    /// Reverse-λ steps of generation and super-resolution (sets `[sample] stride`).
    pub lambda_steps: Option<usize>,
    /// Skip unconditional generation (the slowest evaluation task).
    pub no_generation: bool,
}

/// A preset studied end to end in a directory (see the module docs).
#[derive(Debug, Clone)]
pub struct Study {
    /// The preset (`[data]`, `[diffusion]`, `[model]`, `[train]`, `[sample]`, `[eval]`).
    pub preset: Preset,
    /// The directory holding every stage's output.
    pub dir: PathBuf,
    /// Device of training and sampling.
    pub device: Device,
    /// Size overrides.
    pub options: StudyOptions,
    /// The training run's directory under `dir` (`run` unless [`with_run_dir`](Self::with_run_dir)).
    run_name: PathBuf,
}

impl Study {
    /// A study of the preset `preset` (a name or a TOML file) in `dir` on `device`.
    pub fn new(preset: &str, dir: impl AsRef<Path>, device: Device) -> Result<Self> {
        Ok(Self::from_preset(Preset::load(preset)?, dir, device))
    }

    /// A study of `preset` (already loaded, e.g. a variant from
    /// [`Preset::with_value`]) in `dir` on `device`.
    pub fn from_preset(preset: Preset, dir: impl AsRef<Path>, device: Device) -> Self {
        Self {
            preset,
            dir: dir.as_ref().to_path_buf(),
            device,
            options: StudyOptions::default(),
            run_name: PathBuf::from("run"),
        }
    }

    /// The same study training into and evaluating `DIR/<name>` instead of `DIR/run` (`name`
    /// relative, e.g. `variants/window-1`): variants of a preset share `DIR/data.h5`.
    pub fn with_run_dir(mut self, name: impl AsRef<Path>) -> Self {
        self.run_name = name.as_ref().to_path_buf();
        self
    }

    /// The same study with size overrides.
    pub fn with_options(mut self, options: StudyOptions) -> Self {
        self.options = options;
        self
    }

    /// `DIR/data.h5`.
    pub fn data_path(&self) -> PathBuf {
        self.dir.join("data.h5")
    }

    /// `DIR/run` (or the directory of [`with_run_dir`](Self::with_run_dir)).
    pub fn run_dir(&self) -> PathBuf {
        self.dir.join(&self.run_name)
    }

    /// `DIR/report.md` (with `report.json` and `figures/` beside it).
    pub fn report_path(&self) -> PathBuf {
        self.dir.join("report.md")
    }

    /// The preset's `[data]` section with the trajectory override applied.
    pub fn data_config(&self) -> Result<DataConfig> {
        let mut c: DataConfig = self.preset.section("data")?;
        if let Some(n) = self.options.trajectories {
            c = c.with_trajectories(n);
        }
        c.validate()?;
        Ok(c)
    }

    /// Generates `DIR/data.h5`, or opens it if a complete file of the same preset and the same
    /// whole `[data]` configuration is there already (a file whose recorded configuration
    /// differs in any setting is refused, naming the settings: remove it or use another
    /// directory).
    pub fn data(&self, progress: &dyn Progress) -> Result<Dataset> {
        let config = self.data_config()?;
        let path = self.data_path();
        if path.exists() {
            let ds = Dataset::open(&path)?;
            let m = ds.metadata();
            let mut changed = config_differences(&m.config, &config);
            if ds.len() != config.trajectories {
                changed.push(format!(
                    "it holds {} of {} trajectories",
                    ds.len(),
                    config.trajectories
                ));
            }
            if m.preset != self.preset.name || !changed.is_empty() {
                return Err(Error::Other(format!(
                    "{} holds data of `{}` that differs from what this study's preset `{}` asks \
                     for ({}): refusing to reuse it; remove it or choose another directory",
                    path.display(),
                    m.preset,
                    self.preset.name,
                    if changed.is_empty() { "preset name".into() } else { changed.join(", ") },
                )));
            }
            return Ok(ds);
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        generate(&config, &self.preset.name, &path, None, false, progress)?;
        Dataset::open(&path)
    }

    /// What a backbone of this study is built for (channels, window, spatial layout, grid,
    /// noise head), from the preset and `DIR/data.h5` (call [`data`](Self::data) first).
    pub fn predictor_shape(&self) -> Result<PredictorShape> {
        let ds = Dataset::open(self.data_path())?;
        let cfg = run_config(&self.request(self.run_dir(), None), &ds)?;
        let skip =
            crate::train::gaussian_skip(&cfg, || crate::train::estimate_second_order(&ds, &cfg))?;
        Ok(cfg.predictor_shape()?.with_skip(skip))
    }

    /// The training request of a run in `out` with `steps` (the study's override if `None`):
    /// resumed when `out` holds a run already.
    fn request(&self, out: PathBuf, steps: Option<usize>) -> TrainRequest {
        TrainRequest {
            preset: self.preset.clone(),
            data: self.data_path(),
            resume: out.join("config.toml").exists(),
            out,
            steps: steps.or(self.options.train_steps),
            model: ModelKind::Pdd,
            objective: None,
            overwrite: false,
            batch: None,
            grad_accum: None,
            parallel: None,
        }
    }

    /// Trains the preset's PDD model (its built-in backbone) on `DIR/data.h5` into `DIR/run` —
    /// resuming the run there if one exists; a run whose last checkpoint already reached the
    /// step budget is only loaded — and returns its last checkpoint.
    pub fn train(&self, progress: &dyn Progress) -> Result<TrainedRun<Box<dyn Predictor>>> {
        self.train_observed(progress, &mut |_| {})
    }

    /// As [`train`](Self::train), with `callback` seeing every training step (live loss curves).
    pub fn train_observed(
        &self,
        progress: &dyn Progress,
        callback: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainedRun<Box<dyn Predictor>>> {
        let run = self.run_dir();
        let req = self.request(run.clone(), None);
        if self.needs_training(&req, &self.want(&req)?)? {
            train_preset(&req, &self.device, progress, callback)?;
        }
        TrainedRun::load_any(&run, &self.device)
    }

    /// The resolved configuration of `req` on `DIR/data.h5`.
    fn want(&self, req: &TrainRequest) -> Result<RunConfig> {
        run_config(req, &Dataset::open(self.data_path())?)
    }

    /// Whether `req.out` lacks a run of `want` that reached its step budget; a run there whose
    /// configuration differs from `want` is an error (it must not be reused silently).
    fn needs_training(&self, req: &TrainRequest, want: &RunConfig) -> Result<bool> {
        if !req.out.join("config.toml").exists() {
            return Ok(true);
        }
        let have = RunDir::open(&req.out)?.config()?;
        if let Some(part) = have.difference(want) {
            return Err(Error::Other(format!(
                "{} holds a run whose {part} differs from preset `{}`; delete that directory (or give the \
                 Study another one) to train afresh",
                req.out.display(),
                self.preset.name
            )));
        }
        let done = crate::train::checkpoint::latest(&req.out.join("checkpoints")).map(|(s, _)| s);
        Ok(done.is_none_or(|s| s < want.train.steps))
    }

    /// Trains a predictor of your own (see
    /// [`CustomPredictor`](crate::predictor::CustomPredictor)) with the preset's objective, data,
    /// diffusion and `[train]` settings for `steps` steps into `DIR/<name>`, and returns its last
    /// checkpoint: the same [`TrainedRun`] as the U-Net's, for [`evaluate_run`](Self::evaluate_run).
    /// A run of the same spec in `DIR/<name>` is resumed (or only loaded when it reached `steps`);
    /// one of another spec is refused. The preset's SA-PDD objective needs a noise head
    /// (`shape.noise_head`).
    pub fn train_custom<S: PredictorSpec + Clone + Send + Sync + 'static>(
        &self,
        name: &str,
        spec: &S,
        steps: usize,
        progress: &dyn Progress,
    ) -> Result<TrainedRun<S::Model>> {
        if name.is_empty() || name == "run" || name == "figures" || name.contains(['/', '\\', '.'])
        {
            return Err(Error::config(
                "custom run name",
                format!("`{name}` must be a plain name other than `run` and `figures`"),
            ));
        }
        let out = self.dir.join(name);
        if out.join("config.toml").exists() {
            check_spec(&RunDir::open(&out)?.config()?.model, spec)?;
        }
        let req = self.request(out.clone(), Some(steps));
        let mut want = self.want(&req)?;
        record_spec(&mut want.model, spec)?;
        if self.needs_training(&req, &want)? {
            train_predictor(&req, spec, &self.device, progress, &mut |_| {})?;
        }
        TrainedRun::open(&out, spec, &self.device)
    }

    /// The evaluator of `run` (any predictor) with the study's overrides (test paths, λ steps).
    pub fn evaluator_of<P: Predictor + Module + 'static>(
        &self,
        run: TrainedRun<P>,
    ) -> Result<Evaluator> {
        let eval = self.eval_overrides(run.config.stage("eval")?);
        self.with_lambda_steps(Evaluator::from_run(run, None, &self.device, Some(eval))?)
    }

    /// The evaluator of the preset's trained run `DIR/run`, with the study's overrides.
    pub fn evaluator(&self) -> Result<Evaluator> {
        let run = self.run_dir();
        let (_, config) = crate::train::open_run(&run, &[ModelKind::Pdd])?;
        let eval = self.eval_overrides(config.stage("eval")?);
        self.with_lambda_steps(Evaluator::new_with(&run, None, &self.device, Some(eval))?)
    }

    /// `eval` with the study's test-path override.
    fn eval_overrides(&self, mut eval: EvalConfig) -> EvalConfig {
        if let Some(n) = self.options.eval_samples {
            eval.samples = n;
            eval.generation_samples = Some(eval.generation_samples.map_or(n, |g| g.min(n)));
            eval.batch = eval.batch.min(n).max(1);
        }
        eval
    }

    /// `ev` with the study's reverse-λ step override.
    fn with_lambda_steps(&self, mut ev: Evaluator) -> Result<Evaluator> {
        if let Some(k) = self.options.lambda_steps {
            let start = ev.run.process.steps() - 1;
            ev.sampler.set_steps(start, k);
        }
        Ok(ev)
    }

    /// Evaluates the preset's run (Tables 1–3, λ sweep, figures) and writes `DIR/report.md`,
    /// `DIR/report.json` and `DIR/figures/`.
    pub fn evaluate(&self, progress: &dyn Progress) -> Result<EvalResults> {
        self.write_evaluation(self.evaluator()?, &self.dir, progress)
    }

    /// Evaluates `run` (any predictor, e.g. from [`train_custom`](Self::train_custom)) like the
    /// preset's run, writing `report.md`, `report.json` and `figures/` into its directory.
    pub fn evaluate_run<P: Predictor + Module + 'static>(
        &self,
        run: TrainedRun<P>,
        progress: &dyn Progress,
    ) -> Result<EvalResults> {
        let dir = run.dir.clone();
        self.write_evaluation(self.evaluator_of(run)?, &dir, progress)
    }

    fn write_evaluation(
        &self,
        ev: Evaluator,
        dir: &Path,
        progress: &dyn Progress,
    ) -> Result<EvalResults> {
        let tasks = EvalTasks { generation: !self.options.no_generation, ..Default::default() };
        let r = evaluate(&ev, &[], tasks, &dir.join("figures"), progress)?;
        r.write(&dir.join("report.md"))?;
        Ok(r)
    }

    /// Data assimilation with the preset's trained run (docs/assimilation.md): observes its test
    /// paths (the study's `eval_samples` override applies) with `cfg.obs`, samples the guided
    /// posterior ensemble and scores it beside interpolation of the same observations.
    pub fn assimilate(
        &self,
        cfg: &crate::assimilate::AssimilateConfig,
        callback: &mut dyn FnMut(&crate::sample::SamplerEvent),
    ) -> Result<crate::assimilate::Assimilation> {
        crate::assimilate::assimilate(&self.evaluator()?, cfg, callback)
    }

    /// Every stage in order: [`data`](Self::data), [`train`](Self::train),
    /// [`evaluate`](Self::evaluate).
    pub fn run_all(&self, progress: &dyn Progress) -> Result<EvalResults> {
        self.data(progress)?;
        self.train(progress)?;
        self.evaluate(progress)
    }
}

/// Figures of a study, for notebooks (each reads what the stages wrote).
impl Study {
    /// The first test trajectory of `DIR/data.h5` (physical units): a Hovmöller diagram of
    /// channel 0 for 1-D systems, its first frame for 2-D ones.
    pub fn data_figure(&self) -> Result<Figure> {
        let ds = Dataset::open(self.data_path())?;
        let i = ds.metadata().config.splits.test[0].min(ds.len().saturating_sub(1));
        let x = ds.trajectory(i)?;
        let dt = ds.metadata().frame_dt;
        let title = format!(
            "{} — test trajectory {i}, channel {}",
            self.preset.name,
            ds.metadata().channels[0]
        );
        match x.ndim() {
            3 => hovmoller(
                x.index_axis(Axis(0), 0)
                    .into_dimensionality()
                    .map_err(|e| Error::Other(e.to_string()))?,
                dt,
                &title,
            ),
            _ => field_heatmap(
                x.index_axis(Axis(0), 0)
                    .index_axis(Axis(0), 0)
                    .into_dimensionality()
                    .map_err(|e| Error::Other(e.to_string()))?,
                &title,
            ),
        }
    }

    /// The λ ladder (the forward process at λ = 0, 0.1, 0.2, 0.5, 1) of the first test
    /// trajectory, channel `channel`.
    pub fn ladder_figure(&self, channel: usize) -> Result<Figure> {
        let ds = Dataset::open(self.data_path())?;
        let process = DiffusionConfig::from_preset(&self.preset)?.process(&ds.metadata().grid)?;
        let i = ds.metadata().config.splits.test[0].min(ds.len().saturating_sub(1));
        let mut x = ds.trajectory(i)?.insert_axis(Axis(0));
        ds.metadata().stats()?.normalise(&mut x)?;
        let options =
            LadderOptions { frame_dt: ds.metadata().frame_dt, ..LadderOptions::default() };
        ladder_figure(&process, &x.index_axis(Axis(0), 0), channel, &options)
    }

    /// Training and validation loss of `DIR/run/log.csv` against the step.
    pub fn loss_figure(&self) -> Result<Figure> {
        let run = self.run_name.to_string_lossy();
        self.loss_curves(&[&run], |r| r.loss, true, "training loss")
    }

    /// The PDD action term (the `drift` column of `log.csv`: the loss both objectives share) of
    /// the runs `DIR/<name>` (`run` is the preset's U-Net, others come from
    /// [`train_custom`](Self::train_custom)) in one figure, so SA-PDD and PDD runs compare.
    pub fn loss_figure_of(&self, names: &[&str]) -> Result<Figure> {
        self.loss_curves(names, |r| r.drift, false, "PDD action term of the training loss")
    }

    fn loss_curves(
        &self,
        names: &[&str],
        column: fn(&LogRow) -> f64,
        validation: bool,
        title: &str,
    ) -> Result<Figure> {
        let mut series = Vec::new();
        for name in names {
            let rows = crate::train::log::read(&self.dir.join(name).join("log.csv"))?;
            let (mut train, mut valid) = (
                Series::new(format!("{name}: training"), vec![], vec![]),
                Series::new(format!("{name}: validation"), vec![], vec![]),
            );
            for row in &rows {
                train.x.push(row.step as f64);
                train.y.push(column(row));
                if validation && row.valid.is_finite() {
                    valid.x.push(row.step as f64);
                    valid.y.push(row.valid);
                }
            }
            series.extend([train, valid].into_iter().filter(|s| !s.x.is_empty()));
        }
        loss_curve(&series, &format!("{}: {title}", self.preset.name))
    }

    /// A figure of the preset's run's evaluation (`DIR/figures/`), e.g.
    /// `study.figure(EvalFigure::SuperResolution)`.
    pub fn figure(&self, figure: EvalFigure) -> Result<Figure> {
        Figure::open(self.dir.join("figures").join(figure.file_name()))
    }

    /// A figure of the evaluation of the custom run `DIR/<name>` ([`evaluate_run`](Self::evaluate_run)).
    pub fn figure_of(&self, name: &str, figure: EvalFigure) -> Result<Figure> {
        Figure::open(self.dir.join(name).join("figures").join(figure.file_name()))
    }
}

/// Trains what `req.model` names on the preset: the PDD model with its built-in backbone
/// ([`train_builtin`]) or a DDPM baseline ([`crate::baseline::train_ddpm`]), after checking the
/// preset's `[sample]` and `[eval]` sections, which the run records for the stages after
/// training.
pub fn train_preset(
    req: &TrainRequest,
    device: &Device,
    progress: &dyn Progress,
    callback: &mut dyn FnMut(&TrainEvent),
) -> Result<TrainSummary> {
    if req.preset.has_section("sample") {
        req.preset.section::<crate::sample::SamplerConfig>("sample")?.validate()?;
    }
    if req.preset.has_section("eval") {
        req.preset.section::<crate::eval::EvalConfig>("eval")?.validate()?;
    }
    match req.model {
        ModelKind::Pdd => train_builtin(req, device, progress, callback),
        ModelKind::DdpmSim | ModelKind::DdpmGen => {
            crate::baseline::train_ddpm(req, device, progress, callback)
        }
    }
}

/// The settings in which the `[data]` configuration recorded in a file (`file`) and the one a
/// preset asks for (`want`) differ, as `key: file → preset` (every field compared, not just
/// name, size and seed).
fn config_differences(
    file: &crate::systems::DataConfig,
    want: &crate::systems::DataConfig,
) -> Vec<String> {
    fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| {
                flatten(
                    &if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") },
                    v,
                    out,
                )
            }),
            other => out.push((prefix.to_string(), other.to_string())),
        }
    }
    let leaves = |c: &crate::systems::DataConfig| {
        // the system's defaults written out, so an omitted default equals an explicit one
        let full = crate::systems::DataConfig {
            lorenz96: (c.system == crate::systems::SystemKind::Lorenz96)
                .then(|| c.lorenz96_config()),
            kolmogorov: (c.system == crate::systems::SystemKind::Kolmogorov)
                .then(|| c.kolmogorov_config()),
            ..c.clone()
        };
        let mut out = Vec::new();
        flatten("", &serde_json::to_value(&full).unwrap_or_default(), &mut out);
        out
    };
    let (a, b) = (leaves(file), leaves(want));
    let get = |v: &[(String, String)], k: &str| {
        v.iter().find(|(key, _)| key == k).map_or("absent".to_string(), |(_, x)| x.clone())
    };
    let mut keys: Vec<&String> = a.iter().chain(&b).map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| get(&a, k) != get(&b, k))
        .map(|k| format!("data.{k}: {} in the file, {} in the preset", get(&a, k), get(&b, k)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_overrides() {
        let s = Study::new("lorenz96-quick", "/tmp/x", Device::flex())
            .unwrap()
            .with_options(StudyOptions { trajectories: Some(12), ..Default::default() });
        assert_eq!(s.data_path(), Path::new("/tmp/x/data.h5"));
        assert_eq!(s.run_dir(), Path::new("/tmp/x/run"));
        assert_eq!(s.data_config().unwrap().trajectories, 12);
        assert!(Study::new("no-such-preset", "/tmp/x", Device::flex()).is_err());
    }

    /// Issue #26 item 8: the whole recorded `[data]` configuration is compared, not just the
    /// preset's name, size and seed; an omitted default equals an explicit one.
    #[test]
    fn data_differences_name_every_changed_setting() {
        let quick = Study::new("lorenz96-quick", "/tmp/x", Device::flex()).unwrap();
        let base = quick.data_config().unwrap();
        assert!(config_differences(&base, &base).is_empty());
        let mut explicit = base.clone();
        explicit.lorenz96 = Some(base.lorenz96_config());
        assert!(config_differences(&base, &explicit).is_empty());
        let mut forced = explicit;
        forced.lorenz96.as_mut().unwrap().forcing = 6.0;
        let d = config_differences(&base, &forced);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].starts_with("data.lorenz96.forcing: ") && d[0].contains("6.0 in the preset"));
    }
}
