//! `pdd eval`: Tables 1–3 and the λ sweep of the paper as one [`EvalResults`], measured by
//! [`evaluate`] one task at a time (simulation, generation, super-resolution: see
//! [`super::measure`]) and written as a Markdown report ([`super::markdown`]) plus JSON.

use super::measure::TaskContext;
use super::tasks::Evaluator;
use crate::error::{Error, Result};
use crate::metrics::{LambdaSweep, MeanStd, SpectralFloor, Wasserstein};
use crate::progress::Progress;
use crate::sample::SrSource;
use ndarray::ArrayD;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// A comparison model evaluated beside PDD (the DDPM baselines implement it).
pub trait Baseline {
    /// Name in the tables (e.g. `DDPM`).
    fn name(&self) -> String;
    /// Simulation of the test paths `x0` `[B, C, F, *grid]` (standardised) at λ = 0: the first
    /// `window` frames copied, the rest predicted; `None` if the model does not simulate.
    fn simulate(&self, x0: &ArrayD<f32>, window: usize, seed: u64) -> Result<Option<ArrayD<f32>>>;
    /// `n` unconditional paths of the shape of `x0`; `None` if the model does not generate.
    fn generate(&self, x0: &ArrayD<f32>, n: usize, seed: u64) -> Result<Option<ArrayD<f32>>>;
    /// Super-resolution of the evaluator's test paths from `[eval] sr_lambda`: `(low, high)`;
    /// `None` (the default) if the model does not super-resolve.
    fn super_resolve(&self, _seed: u64) -> Result<Option<(ArrayD<f32>, ArrayD<f32>)>> {
        Ok(None)
    }
}

/// Scores of one baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BaselineScores {
    /// Its name.
    pub name: String,
    /// Relative L² at the reported step of its λ = 0 simulation.
    pub sim_l2: Option<MeanStd>,
    /// Relative spectral error of its simulation.
    pub sim_spectral: Option<f64>,
    /// Relative spectral error of its generated paths (mean ± std over seeds).
    pub gen_spectral: Option<MeanStd>,
    /// Relative spectral error of its super-resolved paths (mean ± std over seeds).
    #[serde(default)]
    pub sr_spectral: Option<MeanStd>,
    /// Relative spectral error of its super-resolution's low-resolution input.
    #[serde(default)]
    pub sr_input_spectral: Option<MeanStd>,
    /// Pointwise W₁ of its simulation, generation (first seed) and super-resolution (first seed).
    #[serde(default)]
    pub w1: TaskW1,
    /// Tasks that failed (e.g. a diverging chain), with the error; the evaluation goes on and
    /// the tables say `failed`.
    #[serde(default)]
    pub failures: Vec<TaskFailure>,
}

/// A baseline's evaluation task (`simulation`, `generation` in reports and report.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineTask {
    /// Simulation at λ = 0 (Table 1).
    Simulation,
    /// Unconditional generation (Table 2).
    Generation,
    /// Super-resolution (Table 3).
    SuperResolution,
}

/// The pointwise W₁ ([`Wasserstein`]) of each task, where measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TaskW1 {
    /// Simulation at λ = 0, after the conditioning frames.
    pub simulation: Option<Wasserstein>,
    /// Generation (first seed).
    pub generation: Option<Wasserstein>,
    /// Super-resolution (first seed).
    pub super_resolution: Option<Wasserstein>,
}

/// One failed baseline task and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskFailure {
    /// The task that failed.
    pub task: BaselineTask,
    /// The error, with its context (e.g. the seed).
    pub message: String,
}

impl std::fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let task = match self.task {
            BaselineTask::Simulation => "simulation",
            BaselineTask::Generation => "generation",
            BaselineTask::SuperResolution => "super-resolution",
        };
        write!(f, "{task}: {}", self.message)
    }
}

/// Table 1 and Fig. 7: the λ = 0 simulation against the test paths, persistence, and the
/// metric-vs-λ sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationScores {
    /// Relative L² at step `l2_step` (mean ± std over paths).
    pub l2: MeanStd,
    /// Relative spectral error (paper Eq. 64).
    pub spectral: f64,
    /// Persistence (repeat the last conditioning slice): relative L².
    pub persistence_l2: MeanStd,
    /// Persistence: relative spectral error.
    pub persistence_spectral: f64,
    /// Fig. 7: relative L² against `C_λ u₀` vs λ.
    pub sweep_l2: LambdaSweep,
    /// Fig. 7: relative spectral error vs λ.
    pub sweep_spectral: LambdaSweep,
    /// Pointwise W₁ of the λ = 0 simulation after the conditioning frames (reports before
    /// issue 23 have none).
    #[serde(default)]
    pub w1: Option<Wasserstein>,
}

/// Table 2: unconditional generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationScores {
    /// Relative spectral error against the test paths (mean ± std over seeds).
    pub spectral: MeanStd,
    /// Generated paths per seed.
    pub samples: usize,
    /// What independent sets of true paths of this size score (the sampling floor,
    /// [`crate::metrics::spectral_floor`]); `None` when the split is too small.
    pub floor: Option<SpectralFloor>,
    /// Pointwise W₁ of the first seed's paths, with its floor.
    #[serde(default)]
    pub w1: Option<Wasserstein>,
}

/// Table 3: super-resolution from λ = 0.2 to 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuperResolutionScores {
    /// The super-resolved paths vs the fine test paths (mean ± std over seeds).
    pub spectral: MeanStd,
    /// The low-resolution inputs vs the fine test paths.
    pub input_spectral: MeanStd,
    /// Where the coarse input came from (`[eval] sr_source`).
    pub source: SrSource,
    /// The sampling floor at the super-resolution's path count.
    pub floor: Option<SpectralFloor>,
    /// Pointwise W₁ of the first seed's super-resolved paths, with its floor.
    #[serde(default)]
    pub w1: Option<Wasserstein>,
}

impl SuperResolutionScores {
    /// `spectral / input_spectral` of the means: below 1 when super-resolution helps.
    pub fn ratio(&self) -> f64 {
        self.spectral.mean / self.input_spectral.mean
    }
}

/// Everything `pdd eval` measured. A task that was not run is `None` (`null` in report.json).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalResults {
    /// Run directory.
    pub run: String,
    /// Dataset file the run was trained on (as the run records it).
    pub data: String,
    /// System name.
    pub system: String,
    /// Preset.
    pub preset: String,
    /// Objective the run was trained with (`"pdd"` / `"sa-pdd"` in report.json).
    pub objective: crate::train::Objective,
    /// Checkpoint step evaluated.
    pub step: usize,
    /// Test paths used.
    pub samples: usize,
    /// The split they come from (`test` unless asked otherwise).
    pub split: crate::io::Split,
    /// Seeds of the stochastic tasks.
    pub seeds: usize,
    /// Step of the reported L².
    pub l2_step: usize,
    /// Table 1 and Fig. 7.
    pub simulation: Option<SimulationScores>,
    /// Table 2.
    pub generation: Option<GenerationScores>,
    /// Table 3.
    pub super_resolution: Option<SuperResolutionScores>,
    /// Baselines.
    pub baselines: Vec<BaselineScores>,
    /// Wall-clock seconds per task.
    pub seconds: Vec<(String, f64)>,
}

/// Which tasks to run.
#[derive(Debug, Clone, Copy)]
pub struct EvalTasks {
    /// Simulation and λ sweep.
    pub simulation: bool,
    /// Generation.
    pub generation: bool,
    /// Super-resolution.
    pub super_resolution: bool,
}

impl Default for EvalTasks {
    fn default() -> Self {
        Self { simulation: true, generation: true, super_resolution: true }
    }
}

/// Runs the chosen tasks, writes figures (SVG) under `figures_dir`, and returns the numbers.
/// The linear-Gaussian baseline of the run ([`super::LinearGaussianBaseline`]) is always the
/// first baseline, before `baselines`.
pub fn evaluate(
    ev: &Evaluator,
    baselines: &[&dyn Baseline],
    tasks: EvalTasks,
    figures_dir: &Path,
    progress: &dyn Progress,
) -> Result<EvalResults> {
    let lg = super::linear_gaussian::LinearGaussianBaseline::new(ev)?;
    let baselines: Vec<&dyn Baseline> =
        std::iter::once(&lg as &dyn Baseline).chain(baselines.iter().copied()).collect();
    let baselines = baselines.as_slice();
    let ctx = TaskContext::new(ev, baselines, figures_dir)?;
    let mut r = EvalResults::header(ev);
    r.baselines =
        baselines.iter().map(|b| BaselineScores { name: b.name(), ..Default::default() }).collect();
    let mut seconds = Vec::new();
    let mut timed =
        |name: &str, t0: Instant| seconds.push((name.into(), t0.elapsed().as_secs_f64()));
    if tasks.simulation {
        let t0 = Instant::now();
        r.simulation = Some(ctx.simulation(&mut r.baselines, progress)?);
        timed("simulation + λ sweep", t0);
    }
    if tasks.generation {
        let t0 = Instant::now();
        r.generation = Some(ctx.generation(&mut r.baselines, progress)?);
        timed("generation", t0);
    }
    if tasks.super_resolution {
        let t0 = Instant::now();
        r.super_resolution = Some(ctx.super_resolution(&mut r.baselines, progress)?);
        timed("super-resolution", t0);
    }
    r.seconds = seconds;
    Ok(r)
}

impl BaselineScores {
    /// A table cell: the value, `failed` if the task failed, `–` if the model does not do it.
    pub(super) fn cell<T: std::fmt::Display>(&self, v: &Option<T>, task: BaselineTask) -> String {
        match v {
            Some(v) => format!("{v:.3}"),
            None if self.failures.iter().any(|f| f.task == task) => "failed".into(),
            None => "–".into(),
        }
    }
}

impl EvalResults {
    /// What the evaluation is of, with no task measured yet.
    fn header(ev: &Evaluator) -> Self {
        Self {
            run: ev.run.dir.display().to_string(),
            data: ev.run.config.data.path.clone(),
            system: ev.run.config.data.system.clone(),
            preset: ev.run.config.preset.clone(),
            objective: ev.run.config.train.objective,
            step: ev.run.step,
            samples: ev.test.len(),
            split: ev.eval.split,
            seeds: ev.eval.seeds,
            l2_step: ev.eval.l2_step,
            simulation: None,
            generation: None,
            super_resolution: None,
            baselines: vec![],
            seconds: vec![],
        }
    }

    /// Writes the Markdown report ([`EvalResults::markdown`]) to `path` and the numbers as JSON
    /// beside it (`path.with_extension("json")`), each atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        crate::io::write_atomic(path, self.markdown().as_bytes(), true)?;
        crate::io::write_atomic(&path.with_extension("json"), self.to_json()?.as_bytes(), true)
    }

    /// The numbers as pretty-printed JSON (what [`EvalResults::write`] stores).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Other(format!("report JSON: {e}")))
    }

    /// Reads the JSON written by [`EvalResults::write`].
    pub fn read_json(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::Other(format!("{}: not an evaluation report: {e}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_baseline_task_reads_failed_not_missing() {
        let b = BaselineScores {
            name: "DDPM-sim".into(),
            sim_l2: None,
            sim_spectral: None,
            gen_spectral: Some(MeanStd::exact(0.5)),
            sr_spectral: None,
            sr_input_spectral: None,
            w1: TaskW1::default(),
            failures: vec![TaskFailure {
                task: BaselineTask::Simulation,
                message: "non-finite value in DDPM reverse chain".into(),
            }],
        };
        assert_eq!(b.failures[0].to_string(), "simulation: non-finite value in DDPM reverse chain");
        assert_eq!(b.cell(&b.sim_l2, BaselineTask::Simulation), "failed");
        assert_eq!(b.cell(&b.gen_spectral, BaselineTask::Generation), "0.500");
        let none = BaselineScores { name: "DDPM-gen".into(), ..Default::default() };
        assert_eq!(none.cell(&none.sim_spectral, BaselineTask::Simulation), "–");
    }

    fn results() -> EvalResults {
        EvalResults {
            run: "runs/lorenz96-quick".into(),
            data: "../data/lorenz96-quick.h5".into(),
            system: "lorenz96".into(),
            preset: "lorenz96-quick".into(),
            objective: crate::train::Objective::SaPdd,
            step: 400,
            samples: 16,
            split: crate::io::Split::Test,
            seeds: 1,
            l2_step: 6,
            simulation: None,
            generation: Some(GenerationScores {
                spectral: MeanStd::of(&[0.8, 0.9]),
                samples: 4,
                floor: None,
                w1: None,
            }),
            super_resolution: Some(SuperResolutionScores {
                spectral: MeanStd::exact(0.5),
                input_spectral: MeanStd::exact(0.8),
                source: SrSource::CoarseTruth,
                floor: None,
                w1: None,
            }),
            baselines: vec![],
            seconds: vec![("generation".into(), 1.5)],
        }
    }

    #[test]
    fn a_skipped_task_round_trips_through_json() {
        let r = results();
        let json = r.to_json().unwrap();
        assert!(json.contains("\"simulation\": null"), "{json}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        r.write(&path).unwrap();
        assert_eq!(EvalResults::read_json(&path.with_extension("json")).unwrap(), r);
        let md = std::fs::read_to_string(&path).unwrap();
        assert!(md.contains("## Table 1 — simulation at λ = 0\n\nNot run"), "{md}");
        assert!(md.contains("| ratio SR / LR | 0.625 | 0.395 |"), "{md}");
    }
}
