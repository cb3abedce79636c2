//! The three tasks of an evaluation, one method each: simulation with the λ sweep (Table 1,
//! Figs. 2–3 and 7), generation (Table 2, Fig. 4) and super-resolution (Table 3, Fig. 5). Each
//! scores its task, draws its figures and returns its part of [`super::EvalResults`].

use super::figure_kind::EvalFigure;
use super::figures::{compare_paths, compare_psd, lambda_figure};
use super::report::{
    Baseline, BaselineScores, BaselineTask, GenerationScores, SimulationScores,
    SuperResolutionScores, TaskFailure,
};
use super::tasks::{Evaluator, persistence};
use crate::error::{Error, Result};
use crate::metrics::{
    LambdaSweep, MeanStd, Wasserstein, relative_l2_at_step, relative_spectral_error,
    spectral_floor, sweep_lambda, wasserstein1, wasserstein1_floor,
};
use crate::plot::Figure;
use crate::progress::Progress;
use crate::spectral::Grid;
use ndarray::ArrayD;
use std::path::Path;

/// Named path sets `[B, C, F, *grid]` for a comparison figure.
type Sets = Vec<(String, ArrayD<f32>)>;

fn refs(sets: &Sets) -> Vec<(&str, &ArrayD<f32>)> {
    sets.iter().map(|(n, a)| (n.as_str(), a)).collect()
}

/// What every task needs: the evaluator, the baselines, the test paths `x0` `[B, C, F, *grid]`
/// (standardised) and where the figures go.
pub(super) struct TaskContext<'a> {
    ev: &'a Evaluator,
    baselines: &'a [&'a dyn Baseline],
    grid: Grid,
    window: usize,
    x0: ArrayD<f32>,
    /// Model time between frames.
    dt: f64,
    /// The frame the path figures mark: the `l2_step`-th predicted one.
    frame: usize,
    figures: &'a Path,
}

impl<'a> TaskContext<'a> {
    /// Creates `figures` if missing.
    pub(super) fn new(
        ev: &'a Evaluator,
        baselines: &'a [&'a dyn Baseline],
        figures: &'a Path,
    ) -> Result<Self> {
        std::fs::create_dir_all(figures).map_err(|e| Error::io(figures, e))?;
        let window = ev.window();
        Ok(Self {
            ev,
            baselines,
            grid: ev.test.grid().clone(),
            window,
            x0: ev.test.data().clone(),
            dt: ev.run.config.data.frame_dt,
            frame: (window + ev.eval.l2_step - 1).min(ev.test.frames() - 1),
            figures,
        })
    }

    fn save(&self, name: EvalFigure, fig: Figure) -> Result<()> {
        fig.save_overwrite(self.figures.join(name.file_name()))
    }

    /// Relative L² at `l2_step` and relative spectral error of `path` against `truth`.
    fn sim_metrics(&self, truth: &ArrayD<f32>, path: &ArrayD<f32>) -> Result<(MeanStd, f64)> {
        let (g, w) = (&self.grid, self.window);
        Ok((
            relative_l2_at_step(&truth.view(), &path.view(), g, w, self.ev.eval.l2_step)?,
            relative_spectral_error(&truth.view(), &path.view(), g, w)?,
        ))
    }

    /// Spectral error of whole paths `x` against the test paths.
    fn spectral(&self, x: &ArrayD<f32>) -> Result<f64> {
        relative_spectral_error(&self.x0.view(), &x.view(), &self.grid, 0)
    }

    /// Pointwise W₁ of `x` against `truth` (frames `skip..`), with the floor of as many paths
    /// of the evaluated split.
    fn w1(&self, truth: &ArrayD<f32>, x: &ArrayD<f32>, skip: usize) -> Result<Wasserstein> {
        let split = self.ev.test_split.data().view();
        Ok(Wasserstein {
            value: wasserstein1(&truth.view(), &x.view(), &self.grid, skip)?,
            floor: wasserstein1_floor(&split, &self.grid, skip, x.shape()[0])?,
        })
    }

    /// Table 1 (with each baseline's simulation), Figs. 2–3 and the λ sweep of Fig. 7.
    pub(super) fn simulation(
        &self,
        scores: &mut [BaselineScores],
        progress: &dyn Progress,
    ) -> Result<SimulationScores> {
        progress.start("simulation", 1);
        let (truth, path) = self.ev.simulate(0.0, false, 0)?;
        progress.advance(1);
        let (l2, spectral) = self.sim_metrics(&truth, &path)?;
        let w1 = Some(self.w1(&truth, &path, self.window)?);
        let (persistence_l2, persistence_spectral) =
            self.sim_metrics(&truth, &persistence(&truth, self.window))?;
        let mut sets: Sets = vec![("physics".into(), truth.clone()), ("PDD".into(), path.clone())];
        for (b, s) in self.baselines.iter().zip(scores.iter_mut()) {
            let sim = b.simulate(&self.x0, self.window, 0).unwrap_or_else(|e| {
                s.failures
                    .push(TaskFailure { task: BaselineTask::Simulation, message: e.to_string() });
                None
            });
            if let Some(p) = sim {
                let (l2, spectral) = self.sim_metrics(&truth, &p)?;
                (s.sim_l2, s.sim_spectral) = (Some(l2), Some(spectral));
                s.w1.simulation = Some(self.w1(&truth, &p, self.window)?);
                sets.push((b.name(), p));
            }
        }
        let (g, w, dt) = (&self.grid, self.window, self.dt);
        let title = "simulation at λ = 0";
        self.save(
            EvalFigure::SimulationLambda0,
            compare_paths(&refs(&sets), g, self.frame, dt, title)?,
        )?;
        let title = "time-averaged PSD, λ = 0";
        self.save(EvalFigure::SimulationLambda0Psd, compare_psd(&refs(&sets), g, 0, w, title)?)?;
        progress.finish();
        let (sweep_l2, sweep_spectral) = self.sweep(&truth, &path, progress)?;
        Ok(SimulationScores {
            l2,
            spectral,
            persistence_l2,
            persistence_spectral,
            sweep_l2,
            sweep_spectral,
            w1,
        })
    }

    /// Figs. 2–3 at λ = 0 and 0.2, then the metrics vs λ (Fig. 7).
    fn sweep(
        &self,
        truth: &ArrayD<f32>,
        path: &ArrayD<f32>,
        progress: &dyn Progress,
    ) -> Result<(LambdaSweep, LambdaSweep)> {
        let (truth2, path2) = self.ev.simulate(0.2, false, 0)?;
        let sets = [
            ("physics λ=0", truth),
            ("PDD λ=0", path),
            ("physics λ=0.2", &truth2),
            ("PDD λ=0.2", &path2),
        ];
        let (g, w) = (&self.grid, self.window);
        let title = "physics vs surrogate at λ = 0 and 0.2";
        self.save(EvalFigure::Simulation, compare_paths(&sets, g, self.frame, self.dt, title)?)?;
        self.save(EvalFigure::SimulationPsd, compare_psd(&sets, g, 0, w, "time-averaged PSD")?)?;
        let mut spectral = Vec::new();
        let l2 =
            sweep_lambda(&self.ev.run.process, &self.ev.eval.sweep_lambdas, progress, |l, _| {
                let (t, p) = self.ev.simulate(l, false, 0)?;
                let (l2, s) = self.sim_metrics(&t, &p)?;
                spectral.push(s);
                Ok(l2)
            })?;
        let spectral = LambdaSweep {
            values: spectral.into_iter().map(MeanStd::exact).collect(),
            ..l2.clone()
        };
        let (a, b) = lambda_figure(&l2, &spectral)?;
        self.save(EvalFigure::L2VsLambda, a)?;
        self.save(EvalFigure::SpectralVsLambda, b)?;
        Ok((l2, spectral))
    }

    /// Table 2 (with each baseline's generation) and Fig. 4.
    pub(super) fn generation(
        &self,
        scores: &mut [BaselineScores],
        progress: &dyn Progress,
    ) -> Result<GenerationScores> {
        let cfg = &self.ev.eval;
        let n = cfg.generation_samples.unwrap_or(self.x0.shape()[0]);
        progress.start("generation", (cfg.seeds * n) as u64);
        let (mut ours, mut first) = (Vec::new(), None);
        for seed in 0..cfg.seeds as u64 {
            let g = self.ev.generate(n, seed, &mut |_| {})?;
            ours.push(self.spectral(&g)?);
            progress.advance(n as u64);
            first.get_or_insert(g);
        }
        let floor = spectral_floor(&self.ev.test_split.data().view(), &self.grid, 0, n)?;
        let first = first.expect("seeds ≥ 1");
        let w1 = Some(self.w1(&self.x0, &first, 0)?);
        let mut sets: Sets = vec![("test data".into(), self.x0.clone()), ("PDD".into(), first)];
        for (b, s) in self.baselines.iter().zip(scores.iter_mut()) {
            self.baseline_generation(*b, n, s, &mut sets)?;
        }
        let (g, dt) = (&self.grid, self.dt);
        let title = "unconditional generation";
        self.save(EvalFigure::Generation, compare_paths(&refs(&sets), g, 0, dt, title)?)?;
        let title = "time-averaged PSD of generated paths";
        self.save(EvalFigure::GenerationPsd, compare_psd(&refs(&sets), g, 0, 0, title)?)?;
        progress.finish();
        Ok(GenerationScores { spectral: MeanStd::of(&ours), samples: n, floor, w1 })
    }

    /// One baseline's generation over the seeds; its first seed's paths join `sets`.
    fn baseline_generation(
        &self,
        b: &dyn Baseline,
        n: usize,
        s: &mut BaselineScores,
        sets: &mut Sets,
    ) -> Result<()> {
        let mut vals = Vec::new();
        for seed in 0..self.ev.eval.seeds as u64 {
            let generated = b.generate(&self.x0, n, seed).unwrap_or_else(|e| {
                let message = format!("seed {seed}: {e}");
                s.failures.push(TaskFailure { task: BaselineTask::Generation, message });
                None
            });
            if let Some(p) = generated {
                vals.push(self.spectral(&p)?);
                if seed == 0 {
                    s.w1.generation = Some(self.w1(&self.x0, &p, 0)?);
                    sets.push((b.name(), p));
                }
            }
        }
        if !vals.is_empty() {
            s.gen_spectral = Some(MeanStd::of(&vals));
        }
        Ok(())
    }

    /// Table 3 (with each baseline's super-resolution) and Fig. 5.
    pub(super) fn super_resolution(
        &self,
        scores: &mut [BaselineScores],
        progress: &dyn Progress,
    ) -> Result<SuperResolutionScores> {
        let cfg = &self.ev.eval;
        progress.start("super-resolution", cfg.seeds as u64);
        let (mut hi, mut lo, mut first) = (Vec::new(), Vec::new(), None);
        for seed in 0..cfg.seeds as u64 {
            let (l, h) = self.ev.super_resolve(seed, &mut |_| {})?;
            hi.push(self.spectral(&h)?);
            lo.push(self.spectral(&l)?);
            progress.advance(1);
            first.get_or_insert((l, h));
        }
        let n = self.x0.shape()[0];
        let floor = spectral_floor(&self.ev.test_split.data().view(), &self.grid, 0, n)?;
        let (l, h) = first.expect("seeds ≥ 1");
        let w1 = Some(self.w1(&self.x0, &h, 0)?);
        for (b, s) in self.baselines.iter().zip(scores.iter_mut()) {
            self.baseline_super_resolution(*b, s)?;
        }
        let sets =
            [("low resolution (λ = 0.2)", &l), ("super-resolved", &h), ("physics", &self.x0)];
        let (g, dt) = (&self.grid, self.dt);
        let title = "super-resolution λ = 0.2 → 0";
        self.save(EvalFigure::SuperResolution, compare_paths(&sets, g, self.frame, dt, title)?)?;
        let title = "PSD: LR / SR / physics";
        self.save(EvalFigure::SuperResolutionPsd, compare_psd(&sets, g, 0, 0, title)?)?;
        progress.finish();
        Ok(SuperResolutionScores {
            spectral: MeanStd::of(&hi),
            input_spectral: MeanStd::of(&lo),
            source: cfg.sr_source,
            floor,
            w1,
        })
    }

    /// One baseline's super-resolution over the seeds (its W₁ from the first).
    fn baseline_super_resolution(&self, b: &dyn Baseline, s: &mut BaselineScores) -> Result<()> {
        let (mut hi, mut lo) = (Vec::new(), Vec::new());
        for seed in 0..self.ev.eval.seeds as u64 {
            let sr = b.super_resolve(seed).unwrap_or_else(|e| {
                let message = format!("seed {seed}: {e}");
                s.failures.push(TaskFailure { task: BaselineTask::SuperResolution, message });
                None
            });
            if let Some((l, h)) = sr {
                hi.push(self.spectral(&h)?);
                lo.push(self.spectral(&l)?);
                if seed == 0 {
                    s.w1.super_resolution = Some(self.w1(&self.x0, &h, 0)?);
                }
            }
        }
        if !hi.is_empty() {
            (s.sr_spectral, s.sr_input_spectral) = (Some(MeanStd::of(&hi)), Some(MeanStd::of(&lo)));
        }
        Ok(())
    }
}
