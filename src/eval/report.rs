//! `pdd eval`: Tables 1–3 and the λ sweep of the paper, figures, and a Markdown report that puts
//! our numbers beside the paper's.

use super::figure_kind::EvalFigure;
use super::figures::{compare_paths, compare_psd, lambda_figure};
use super::tasks::{Evaluator, persistence};
use crate::error::{Error, Result};
use crate::metrics::{
    LambdaSweep, MeanStd, SpectralFloor, relative_l2_at_step, relative_spectral_error,
    spectral_floor, sweep_lambda,
};
use crate::progress::Progress;
use crate::spectral::Grid;
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
}

/// Scores of one baseline.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct BaselineScores {
    /// Its name.
    pub name: String,
    /// Relative L² at the reported step of its λ = 0 simulation.
    pub sim_l2: Option<MeanStd>,
    /// Relative spectral error of its simulation.
    pub sim_spectral: Option<f64>,
    /// Relative spectral error of its generated paths (mean ± std over seeds).
    pub gen_spectral: Option<MeanStd>,
    /// Tasks that failed (e.g. a diverging chain), with the error; the evaluation goes on and
    /// the tables say `failed`.
    #[serde(default)]
    pub failures: Vec<TaskFailure>,
}

/// A baseline's evaluation task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineTask {
    /// Simulation at λ = 0 (Table 1).
    Simulation,
    /// Unconditional generation (Table 2).
    Generation,
}

/// One failed baseline task and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskFailure {
    /// The task that failed.
    pub task: BaselineTask,
    /// The error, with its context (e.g. the seed).
    pub message: String,
}

impl BaselineTask {
    /// The name used in reports and report.json (`simulation`, `generation`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Simulation => "simulation",
            Self::Generation => "generation",
        }
    }
}

impl std::fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.task.name(), self.message)
    }
}

/// Everything `pdd eval` measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalResults {
    /// Run directory.
    pub run: String,
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
    #[serde(default)]
    pub split: String,
    /// Seeds of the stochastic tasks.
    pub seeds: usize,
    /// Step of the reported L².
    pub l2_step: usize,
    /// Table 1: relative L² of the λ = 0 simulation (mean ± std over samples).
    pub sim_l2: MeanStd,
    /// Table 1: relative spectral error of the λ = 0 simulation.
    pub sim_spectral: f64,
    /// Persistence (repeat the last conditioning slice): relative L².
    pub persistence_l2: MeanStd,
    /// Persistence: relative spectral error.
    pub persistence_spectral: f64,
    /// Fig. 7: relative L² against `C_λ u₀` vs λ.
    pub sweep_l2: LambdaSweep,
    /// Fig. 7: relative spectral error vs λ.
    pub sweep_spectral: LambdaSweep,
    /// Table 2: generation spectral error (mean ± std over seeds).
    pub gen_spectral: MeanStd,
    /// Generated paths per seed.
    #[serde(default)]
    pub gen_samples: usize,
    /// Table 2: what independent sets of true paths of the generation's size score (the
    /// sampling floor, [`spectral_floor`]).
    #[serde(default)]
    pub gen_floor: Option<SpectralFloor>,
    /// Table 3: super-resolved paths vs the fine test paths.
    pub sr_spectral: MeanStd,
    /// Table 3: the low-resolution inputs vs the fine test paths.
    pub lr_spectral: MeanStd,
    /// Table 3: where the coarse input came from (`[eval] sr_source`).
    #[serde(default)]
    pub sr_source: String,
    /// Table 3: the sampling floor at the super-resolution's path count.
    #[serde(default)]
    pub sr_floor: Option<SpectralFloor>,
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

fn nan_sweep() -> LambdaSweep {
    LambdaSweep { lambdas: vec![], indices: vec![], values: vec![] }
}

/// Runs the experiments, writes figures (SVG) under `figures_dir`, and returns the numbers.
pub fn evaluate(
    ev: &Evaluator,
    baselines: &[&dyn Baseline],
    tasks: EvalTasks,
    figures_dir: &Path,
    progress: &dyn Progress,
) -> Result<EvalResults> {
    std::fs::create_dir_all(figures_dir).map_err(|e| Error::io(figures_dir, e))?;
    let cfg = &ev.eval;
    let grid: Grid = ev.test.grid().clone();
    let w = ev.window();
    let x0 = ev.test.data().clone();
    let dt = ev.run.config.data.frame_dt;
    let frame = (w + cfg.l2_step - 1).min(ev.test.frames() - 1);
    let save = |name: EvalFigure, fig: crate::plot::Figure| {
        fig.save_overwrite(figures_dir.join(name.file_name()))
    };
    let mut seconds = Vec::new();
    let nan = MeanStd::exact(f64::NAN);
    let mut r = EvalResults {
        run: ev.run.config.data.path.clone(),
        system: ev.run.config.data.system.clone(),
        preset: ev.run.config.preset.clone(),
        objective: ev.run.config.train.objective,
        step: ev.run.step,
        samples: ev.test.len(),
        split: cfg.split.name().to_string(),
        seeds: cfg.seeds,
        l2_step: cfg.l2_step,
        sim_l2: nan,
        sim_spectral: f64::NAN,
        persistence_l2: nan,
        persistence_spectral: f64::NAN,
        sweep_l2: nan_sweep(),
        sweep_spectral: nan_sweep(),
        gen_spectral: nan,
        gen_samples: 0,
        gen_floor: None,
        sr_floor: None,
        sr_source: String::new(),
        sr_spectral: nan,
        lr_spectral: nan,
        baselines: baselines
            .iter()
            .map(|b| BaselineScores { name: b.name(), ..Default::default() })
            .collect(),
        seconds: vec![],
    };
    if tasks.simulation {
        let t0 = Instant::now();
        progress.start("simulation", 1);
        let (truth, path) = ev.simulate(0.0, false, 0)?;
        r.sim_l2 = relative_l2_at_step(&truth.view(), &path.view(), &grid, w, cfg.l2_step)?;
        r.sim_spectral = relative_spectral_error(&truth.view(), &path.view(), &grid, w)?;
        let pers = persistence(&truth, w);
        r.persistence_l2 = relative_l2_at_step(&truth.view(), &pers.view(), &grid, w, cfg.l2_step)?;
        r.persistence_spectral = relative_spectral_error(&truth.view(), &pers.view(), &grid, w)?;
        let mut sets: Vec<(String, ArrayD<f32>)> =
            vec![("physics".into(), truth.clone()), ("PDD".into(), path.clone())];
        for (b, s) in baselines.iter().zip(r.baselines.iter_mut()) {
            let sim = b.simulate(&x0, w, 0).unwrap_or_else(|e| {
                s.failures
                    .push(TaskFailure { task: BaselineTask::Simulation, message: e.to_string() });
                None
            });
            if let Some(p) = sim {
                s.sim_l2 =
                    Some(relative_l2_at_step(&truth.view(), &p.view(), &grid, w, cfg.l2_step)?);
                s.sim_spectral = Some(relative_spectral_error(&truth.view(), &p.view(), &grid, w)?);
                sets.push((b.name(), p));
            }
        }
        let refs: Vec<(&str, &ArrayD<f32>)> = sets.iter().map(|(n, a)| (n.as_str(), a)).collect();
        save(
            EvalFigure::SimulationLambda0,
            compare_paths(&refs, &grid, frame, dt, "simulation at λ = 0")?,
        )?;
        save(
            EvalFigure::SimulationLambda0Psd,
            compare_psd(&refs, &grid, 0, w, "time-averaged PSD, λ = 0")?,
        )?;
        progress.finish();
        // Fig. 2/3 at λ = 0.2 and the λ sweep (Fig. 7)
        let (truth2, path2) = ev.simulate(0.2, false, 0)?;
        let sets2 = [
            ("physics λ=0", &truth),
            ("PDD λ=0", &path),
            ("physics λ=0.2", &truth2),
            ("PDD λ=0.2", &path2),
        ];
        save(
            EvalFigure::Simulation,
            compare_paths(&sets2, &grid, frame, dt, "physics vs surrogate at λ = 0 and 0.2")?,
        )?;
        save(EvalFigure::SimulationPsd, compare_psd(&sets2, &grid, 0, w, "time-averaged PSD")?)?;
        let mut spectral = Vec::new();
        r.sweep_l2 = sweep_lambda(&ev.run.process, &cfg.sweep_lambdas, progress, |l, _| {
            let (t, p) = ev.simulate(l, false, 0)?;
            spectral.push(relative_spectral_error(&t.view(), &p.view(), &grid, w)?);
            relative_l2_at_step(&t.view(), &p.view(), &grid, w, cfg.l2_step)
        })?;
        r.sweep_spectral = crate::metrics::LambdaSweep {
            values: spectral.iter().map(|&v| MeanStd::exact(v)).collect(),
            ..r.sweep_l2.clone()
        };
        let (a, b) = lambda_figure(&r.sweep_l2, &r.sweep_spectral)?;
        save(EvalFigure::L2VsLambda, a)?;
        save(EvalFigure::SpectralVsLambda, b)?;
        seconds.push(("simulation + λ sweep".into(), t0.elapsed().as_secs_f64()));
    }
    if tasks.generation {
        let t0 = Instant::now();
        let n = cfg.generation_samples.unwrap_or(x0.shape()[0]);
        progress.start("generation", (cfg.seeds * n) as u64);
        let mut ours = Vec::new();
        let mut first = None;
        for seed in 0..cfg.seeds as u64 {
            let g = ev.generate(n, seed, &mut |_| {})?;
            ours.push(relative_spectral_error(&x0.view(), &g.view(), &grid, 0)?);
            progress.advance(n as u64);
            first.get_or_insert(g);
        }
        r.gen_spectral = MeanStd::of(&ours);
        r.gen_samples = n;
        r.gen_floor = spectral_floor(&ev.test_split.data().view(), &grid, 0, n)?;
        let g = first.expect("seeds ≥ 1");
        let mut sets: Vec<(String, ArrayD<f32>)> =
            vec![("test data".into(), x0.clone()), ("PDD".into(), g)];
        for (b, s) in baselines.iter().zip(r.baselines.iter_mut()) {
            let mut vals = Vec::new();
            for seed in 0..cfg.seeds as u64 {
                let generated = b.generate(&x0, n, seed).unwrap_or_else(|e| {
                    s.failures.push(TaskFailure {
                        task: BaselineTask::Generation,
                        message: format!("seed {seed}: {e}"),
                    });
                    None
                });
                if let Some(p) = generated {
                    vals.push(relative_spectral_error(&x0.view(), &p.view(), &grid, 0)?);
                    if seed == 0 {
                        sets.push((b.name(), p));
                    }
                }
            }
            if !vals.is_empty() {
                s.gen_spectral = Some(MeanStd::of(&vals));
            }
        }
        let refs: Vec<(&str, &ArrayD<f32>)> = sets.iter().map(|(n, a)| (n.as_str(), a)).collect();
        save(
            EvalFigure::Generation,
            compare_paths(&refs, &grid, 0, dt, "unconditional generation")?,
        )?;
        save(
            EvalFigure::GenerationPsd,
            compare_psd(&refs, &grid, 0, 0, "time-averaged PSD of generated paths")?,
        )?;
        progress.finish();
        seconds.push(("generation".into(), t0.elapsed().as_secs_f64()));
    }
    if tasks.super_resolution {
        let t0 = Instant::now();
        progress.start("super-resolution", cfg.seeds as u64);
        let (mut hi, mut lo) = (Vec::new(), Vec::new());
        let mut first = None;
        for seed in 0..cfg.seeds as u64 {
            let (l, h) = ev.super_resolve(seed, &mut |_| {})?;
            hi.push(relative_spectral_error(&x0.view(), &h.view(), &grid, 0)?);
            lo.push(relative_spectral_error(&x0.view(), &l.view(), &grid, 0)?);
            progress.advance(1);
            first.get_or_insert((l, h));
        }
        r.sr_spectral = MeanStd::of(&hi);
        r.lr_spectral = MeanStd::of(&lo);
        r.sr_source = cfg.sr_source.name().to_string();
        r.sr_floor = spectral_floor(&ev.test_split.data().view(), &grid, 0, x0.shape()[0])?;
        let (l, h) = first.expect("seeds ≥ 1");
        let sets = [("low resolution (λ = 0.2)", &l), ("super-resolved", &h), ("physics", &x0)];
        save(
            EvalFigure::SuperResolution,
            compare_paths(&sets, &grid, frame, dt, "super-resolution λ = 0.2 → 0")?,
        )?;
        save(
            EvalFigure::SuperResolutionPsd,
            compare_psd(&sets, &grid, 0, 0, "PSD: LR / SR / physics")?,
        )?;
        progress.finish();
        seconds.push(("super-resolution".into(), t0.elapsed().as_secs_f64()));
    }
    r.seconds = seconds;
    Ok(r)
}

/// The paper's numbers for a system: (sim L², sim spectral, DDPM sim L², DDPM sim spectral,
/// gen PDD, gen DDPM, SR, LR), as "mean ± std" strings.
fn paper(system: &str) -> Option<[&'static str; 8]> {
    match system {
        "lorenz96" => Some([
            "0.503 ± 0.011",
            "0.120 ± 0.014",
            "0.557 ± 0.031",
            "0.226 ± 0.077",
            "0.343 ± 0.028",
            "0.267 ± 0.020",
            "0.345 ± 0.027",
            "0.873 ± 0.005",
        ]),
        "kolmogorov" => Some([
            "0.691 ± 0.057",
            "0.182 ± 0.029",
            "0.861 ± 0.023",
            "0.139 ± 0.021",
            "0.457 ± 0.025",
            "0.615 ± 0.121",
            "0.303 ± 0.011",
            "0.743 ± 0.005",
        ]),
        _ => None,
    }
}

/// The sentence under Tables 2–3 that states the metric's sampling floor for `n` paths.
fn floor_note(n: usize, floor: &Option<SpectralFloor>, what: &str) -> String {
    match floor {
        Some(f) => format!(
            "Sampling floor: two disjoint sets of {} true test paths score **{:.3}** on this metric ({} pair(s) \
             averaged); with {n} {what} paths a perfect sampler would score about that much (the floor falls \
             like 1/√n: ≈ 0.1 at the paper's 100 paths).\n\n",
            f.paths, f.value, f.pairs
        ),
        None => String::new(),
    }
}

impl BaselineScores {
    /// A table cell: the value, `failed` if the task failed, `–` if the model does not do it.
    fn cell<T: std::fmt::Display>(&self, v: &Option<T>, task: BaselineTask) -> String {
        match v {
            Some(v) => format!("{v:.3}"),
            None if self.failures.iter().any(|f| f.task == task) => "failed".into(),
            None => "–".into(),
        }
    }
}

impl EvalResults {
    /// Writes the Markdown report to `path` and the numbers as JSON beside it
    /// (`path.with_extension("json")`), each atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        crate::train::atomic_write(path, self.markdown().as_bytes())?;
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Other(format!("report JSON: {e}")))?;
        crate::train::atomic_write(&path.with_extension("json"), json.as_bytes())
    }

    /// Tables 1–3 of several evaluations side by side, one column per `(name, results)`: a
    /// Markdown table comparing predictors on the same data (e.g. the U-Net against your own).
    pub fn side_by_side(rows: &[(&str, &EvalResults)]) -> String {
        let mut s = String::from("| metric |");
        for (name, _) in rows {
            s += &format!(" {name} |");
        }
        s += &format!("\n|---|{}\n", "---|".repeat(rows.len()));
        let line = |label: String, cell: &dyn Fn(&EvalResults) -> String| {
            let cells: String = rows.iter().map(|(_, r)| format!(" {} |", cell(r))).collect();
            format!("| {label} |{cells}\n")
        };
        let l2_step = rows.first().map_or(0, |(_, r)| r.l2_step);
        s += &line(format!("simulation, relative L² at step {l2_step}"), &|r| {
            format!("{:.3}", r.sim_l2)
        });
        s += &line("simulation, relative spectral error".into(), &|r| {
            format!("{:.3}", r.sim_spectral)
        });
        s += &line("generation, relative spectral error".into(), &|r| {
            format!("{:.3}", r.gen_spectral)
        });
        s += &line("super-resolution, spectral error (input)".into(), &|r| {
            format!("{:.3} ({:.3})", r.sr_spectral.mean, r.lr_spectral.mean)
        });
        s += &line("objective, checkpoint step".into(), &|r| {
            format!("{}, {}", r.objective.label(), r.step)
        });
        s
    }

    /// The Markdown report: Tables 1–3 beside the paper's, the λ sweep, timings, figure links.
    pub fn markdown(&self) -> String {
        let p = paper(&self.system).unwrap_or(["–"; 8]);
        let ours = format!("{} (ours)", self.objective.label());
        let mut s = format!(
            "# pdd evaluation: {} ({})\n\nRun data `{}`, preset `{}`, {} objective, checkpoint step {}; {} paths of the {} split, \
             {} seed(s). The paper's numbers use the full-scale models (30 001 steps, 100 test samples); \
             a quick preset is far smaller, so compare trends rather than values.\n\n",
            self.system,
            self.preset,
            self.run,
            self.preset,
            self.objective.label(),
            self.step,
            self.samples,
            self.split,
            self.seeds
        );
        s += &format!(
            "## Table 1 — simulation at λ = 0\n\n| metric | {ours} | paper PDD | persistence |"
        );
        for b in &self.baselines {
            s += &format!(" {} (ours) |", b.name);
        }
        s += " paper DDPM |\n|---|---|---|---|";
        for _ in &self.baselines {
            s += "---|";
        }
        s += "---|\n";
        s += &format!(
            "| relative L² (step {}) | {:.3} | {} | {:.3} |",
            self.l2_step, self.sim_l2, p[0], self.persistence_l2
        );
        for b in &self.baselines {
            s += &format!(" {} |", b.cell(&b.sim_l2, BaselineTask::Simulation));
        }
        s += &format!(" {} |\n", p[2]);
        s += &format!(
            "| relative spectral error | {:.3} | {} | {:.3} |",
            self.sim_spectral, p[1], self.persistence_spectral
        );
        for b in &self.baselines {
            s += &format!(" {} |", b.cell(&b.sim_spectral, BaselineTask::Simulation));
        }
        s += &format!(" {} |\n\n", p[3]);
        s += &format!(
            "## Table 2 — unconditional generation, relative spectral error\n\n| {ours} | paper PDD |"
        );
        for b in &self.baselines {
            s += &format!(" {} (ours) |", b.name);
        }
        s += " paper DDPM |\n|---|---|";
        for _ in &self.baselines {
            s += "---|";
        }
        s += &format!("---|\n| {:.3} | {} |", self.gen_spectral, p[4]);
        for b in &self.baselines {
            s += &format!(" {} |", b.cell(&b.gen_spectral, BaselineTask::Generation));
        }
        s += &format!(" {} |\n\n", p[5]);
        s += &floor_note(self.gen_samples, &self.gen_floor, "generated");
        s += &format!(
            "## Table 3 — super-resolution λ = 0.2 → 0, relative spectral error vs the fine reference\n\n\
             Coarse input: {}.\n\n\
             | | ours | paper |\n|---|---|---|\n| super-resolved | {:.3} | {} |\n| low-resolution input | {:.3} | {} |\n\
             | ratio SR / LR | {:.3} | {:.3} |\n\n",
            match self.sr_source.as_str() {
                "surrogate" =>
                    "a noisy surrogate simulation at λ = 0.2 (the reference's choice; decorrelated from the test paths)",
                "coarse-truth" =>
                    "the coarse-grained test paths C_λ u₀ (scored against their own fine truth)",
                "noised-truth" => "forward-process samples of the test paths C_λ u₀ + √Σ_λ ε",
                _ => "–",
            },
            self.sr_spectral,
            p[6],
            self.lr_spectral,
            p[7],
            self.sr_spectral.mean / self.lr_spectral.mean,
            if self.system == "lorenz96" { 0.345 / 0.873 } else { 0.303 / 0.743 }
        );
        s += &floor_note(self.samples, &self.sr_floor, "super-resolved");
        s += "## Metrics vs λ (Fig. 7)\n\n| λ | relative L² (step 6) | relative spectral error |\n|---|---|---|\n";
        for (i, l) in self.sweep_l2.lambdas.iter().enumerate() {
            s += &format!(
                "| {l} | {:.3} | {:.3} |\n",
                self.sweep_l2.values[i], self.sweep_spectral.values[i].mean
            );
        }
        let failures: Vec<String> = self
            .baselines
            .iter()
            .flat_map(|b| b.failures.iter().map(move |f| format!("- {} {f}\n", b.name)))
            .collect();
        if !failures.is_empty() {
            s += "\n## Baseline failures\n\n";
            s += &failures.concat();
        }
        s += "\n## Time\n\n";
        for (k, v) in &self.seconds {
            s += &format!("- {k}: {v:.1} s\n");
        }
        s += "\n## Figures\n\n";
        for f in EvalFigure::ALL.map(EvalFigure::file_name) {
            s += &format!("![{f}](figures/{f})\n");
        }
        s
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
            failures: vec![TaskFailure {
                task: BaselineTask::Simulation,
                message: "non-finite value in DDPM reverse chain".into(),
            }],
        };
        assert_eq!(b.failures[0].to_string(), "simulation: non-finite value in DDPM reverse chain");
        assert_eq!(b.cell(&b.sim_l2, BaselineTask::Simulation), "failed");
        assert_eq!(b.cell(&b.gen_spectral, BaselineTask::Generation), "0.500 ± 0.000");
        let none = BaselineScores { name: "DDPM-gen".into(), ..Default::default() };
        assert_eq!(none.cell(&none.sim_spectral, BaselineTask::Simulation), "–");
    }
}
