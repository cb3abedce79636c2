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
//! let results = study.run_all(&NoProgress, &mut |_| {}).unwrap();
//! println!("{}", results.markdown());
//! ```

use crate::diffusion::DiffusionConfig;
use crate::error::{Error, Result};
use crate::eval::{EvalConfig, EvalResults, EvalTasks, Evaluator, evaluate};
use crate::io::Dataset;
use crate::io::{Split, Stats};
use crate::plot::{
    Figure, LadderOptions, Series, field_heatmap, hovmoller, ladder_figure, loss_curve,
};
use crate::predictor::Predictor;
use crate::presets::Preset;
use crate::progress::Progress;
use crate::systems::{DataConfig, generate};
use crate::train::{
    BatchPlan, ModelInit, ModelKind, PddObjective, RunDir, TrainEvent, TrainOptions, TrainRequest,
    TrainSummary, TrainedRun, run_config, split_set, train, train_preset,
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
}

impl Study {
    /// A study of the preset `preset` (a name or a TOML file) in `dir` on `device`.
    pub fn new(preset: &str, dir: impl AsRef<Path>, device: Device) -> Result<Self> {
        Ok(Self {
            preset: Preset::load(preset)?,
            dir: dir.as_ref().to_path_buf(),
            device,
            options: StudyOptions::default(),
        })
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

    /// `DIR/run`.
    pub fn run_dir(&self) -> PathBuf {
        self.dir.join("run")
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

    /// Generates `DIR/data.h5`, or opens it if a complete file of the same preset and size is
    /// there already (a different one is an error: remove it or use another directory).
    pub fn data(&self, progress: &dyn Progress) -> Result<Dataset> {
        let config = self.data_config()?;
        let path = self.data_path();
        if path.exists() {
            let ds = Dataset::open(&path)?;
            let m = ds.metadata();
            if m.preset != self.preset.name
                || ds.len() != config.trajectories
                || m.config.seed != config.seed
            {
                return Err(Error::Other(format!(
                    "{} holds {} trajectories of `{}` (seed {}), this study wants {} of `{}` (seed {}): remove it or choose another directory",
                    path.display(),
                    ds.len(),
                    m.preset,
                    m.config.seed,
                    config.trajectories,
                    self.preset.name,
                    config.seed
                )));
            }
            return Ok(ds);
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        generate(&config, &self.preset.name, &path, None, false, progress)?;
        Dataset::open(&path)
    }

    /// Trains the preset's PDD model on `DIR/data.h5` into `DIR/run` — resuming the run there
    /// if one exists; a run whose last checkpoint already reached the step budget is only
    /// loaded — and returns its last checkpoint. `callback` sees every training step (loss
    /// curves in notebooks).
    pub fn train(
        &self,
        progress: &dyn Progress,
        callback: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainedRun> {
        let run = self.run_dir();
        let req = TrainRequest {
            preset: self.preset.clone(),
            data: self.data_path(),
            out: run.clone(),
            steps: self.options.train_steps,
            model: ModelKind::Pdd,
            objective: None,
            resume: run.join("config.toml").exists(),
            overwrite: false,
        };
        if run.join("config.toml").exists() {
            let done = TrainedRun::load(&run, &self.device)?;
            // a run left by another preset version must not be reused silently
            let want = crate::train::run_config(&req, &Dataset::open(self.data_path())?)?;
            if let Some(part) = done.config.difference(&want) {
                return Err(Error::Other(format!(
                    "{} holds a run whose {part} differs from preset `{}`; delete that directory (or give the \
                     Study another one) to train afresh",
                    run.display(),
                    self.preset.name
                )));
            }
            if done.step >= self.options.train_steps.unwrap_or(done.config.train.steps) {
                return Ok(done);
            }
        }
        train_preset(&req, &self.device, progress, callback)?;
        TrainedRun::load(&run, &self.device)
    }

    /// Trains a predictor of your own (any [`Predictor`] built by `init`, e.g. a custom
    /// [`Backbone`](crate::predictor::Backbone) wrapped by
    /// [`PredictorBuilder`](crate::predictor::PredictorBuilder)) with the PDD loss on the same
    /// data, diffusion and `[train]` settings as the preset's U-Net, for `steps` steps, into
    /// `DIR/<name>` (restarted on every call). Compare its loss with
    /// [`loss_figure_of`](Self::loss_figure_of)`(&["run", name])`.
    pub fn train_custom<P: Predictor + Module>(
        &self,
        name: &str,
        steps: usize,
        init: ModelInit<P>,
        progress: &dyn Progress,
    ) -> Result<TrainSummary> {
        if name.is_empty() || name == "run" || name == "figures" || name.contains(['/', '\\', '.'])
        {
            return Err(Error::config(
                "custom run name",
                format!("`{name}` must be a plain name other than `run` and `figures`"),
            ));
        }
        let ds = Dataset::open(self.data_path())?;
        let req = TrainRequest {
            preset: self.preset.clone(),
            data: self.data_path(),
            out: self.dir.join(name),
            steps: Some(steps),
            model: ModelKind::Pdd,
            // a custom backbone has no noise head: always the PDD loss
            objective: Some(crate::train::Objective::Pdd),
            resume: false,
            overwrite: true,
        };
        let mut cfg = run_config(&req, &ds)?;
        cfg.kind = format!("custom-{name}");
        let grid = cfg.data.grid()?;
        let stats = Stats { mean: cfg.data.mean.clone(), std: cfg.data.std.clone() };
        let train_set = split_set(&ds, Split::Train, &stats)?;
        let valid_set = if cfg.train.valid_every > 0 {
            Some(split_set(&ds, Split::Valid, &stats)?)
        } else {
            None
        };
        let process = cfg.diffusion.process(&grid)?;
        let plan =
            BatchPlan::new(train_set.len(), cfg.train.batch_size, process.steps(), cfg.train.seed)?;
        let objective = PddObjective::custom(process, cfg.train.clone(), plan, &self.device, init)?;
        let run = RunDir::prepare(self.dir.join(name), &cfg, false, true)?;
        let options = TrainOptions { device: self.device.clone(), resume: false, stop_after: None };
        train(
            &run,
            &cfg.train,
            &cfg.kind,
            &objective,
            &plan,
            &train_set,
            valid_set.as_ref(),
            &options,
            progress,
            &mut |_| {},
        )
    }

    /// The evaluator of the trained run with the study's overrides (test paths, λ steps).
    pub fn evaluator(&self) -> Result<Evaluator> {
        let run = self.run_dir();
        let mut eval: EvalConfig = TrainedRun::load(&run, &self.device)?.config.eval;
        if let Some(n) = self.options.eval_samples {
            eval.samples = n;
            eval.generation_samples = Some(eval.generation_samples.map_or(n, |g| g.min(n)));
            eval.batch = eval.batch.min(n).max(1);
        }
        let mut ev = Evaluator::new_with(&run, None, &self.device, Some(eval))?;
        if let Some(k) = self.options.lambda_steps {
            let start = ev.run.process.steps() - 1;
            ev.sampler.set_steps(start, k);
        }
        Ok(ev)
    }

    /// Evaluates the run (Tables 1–3, λ sweep, figures) and writes `DIR/report.md`,
    /// `DIR/report.json` and `DIR/figures/`.
    pub fn evaluate(&self, progress: &dyn Progress) -> Result<EvalResults> {
        let ev = self.evaluator()?;
        let tasks = EvalTasks { generation: !self.options.no_generation, ..Default::default() };
        let r = evaluate(&ev, &[], tasks, &self.dir.join("figures"), progress)?;
        r.write(&self.report_path())?;
        Ok(r)
    }

    /// Every stage in order: [`data`](Self::data), [`train`](Self::train),
    /// [`evaluate`](Self::evaluate).
    pub fn run_all(
        &self,
        progress: &dyn Progress,
        callback: &mut dyn FnMut(&TrainEvent),
    ) -> Result<EvalResults> {
        self.data(progress)?;
        self.train(progress, callback)?;
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
        self.loss_curves(&["run"], 1, true, "training loss")
    }

    /// The PDD action term (the `drift` column of `log.csv`: the loss both objectives share) of
    /// the runs `DIR/<name>` (`run` is the preset's U-Net, others come from
    /// [`train_custom`](Self::train_custom)) in one figure, so SA-PDD and PDD runs compare.
    pub fn loss_figure_of(&self, names: &[&str]) -> Result<Figure> {
        self.loss_curves(names, 2, false, "PDD action term of the training loss")
    }

    fn loss_curves(
        &self,
        names: &[&str],
        column: usize,
        validation: bool,
        title: &str,
    ) -> Result<Figure> {
        let mut series = Vec::new();
        for name in names {
            let path = self.dir.join(name).join("log.csv");
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            let (mut train, mut valid) = (
                Series::new(format!("{name}: training"), vec![], vec![]),
                Series::new(format!("{name}: validation"), vec![], vec![]),
            );
            for line in text.lines().skip(1) {
                let v: Vec<f64> = line.split(',').map(|c| c.parse().unwrap_or(f64::NAN)).collect();
                if v.len() >= 5 {
                    train.x.push(v[0]);
                    train.y.push(v[column]);
                    if validation && v[4].is_finite() {
                        valid.x.push(v[0]);
                        valid.y.push(v[4]);
                    }
                }
            }
            series.extend([train, valid].into_iter().filter(|s| !s.x.is_empty()));
        }
        loss_curve(&series, &format!("{}: {title}", self.preset.name))
    }

    /// The evaluation figures present in `DIR/figures/` (file names, sorted).
    pub fn figure_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.join("figures"))
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| n.ends_with(".svg"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// One evaluation figure, e.g. `fig5_simulation_lambda0.svg` (see [`figure_names`](Self::figure_names)).
    pub fn figure(&self, name: &str) -> Result<Figure> {
        Figure::open(self.dir.join("figures").join(name))
    }
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
}
