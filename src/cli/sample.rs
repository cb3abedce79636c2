//! `pdd simulate | generate | super-resolve | eval`: use a trained run.

use crate::backend::DeviceChoice;
use crate::eval::{Baseline, EvalTasks, Evaluator, evaluate};
use crate::io::{Split, write_samples};
use crate::sample::{SamplerEvent, SrSource};
use clap::Args;
use ndarray::ArrayD;
use std::path::{Path, PathBuf};

/// Options shared by the sampling commands.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run directory (from `pdd train`).
    #[arg(long)]
    pub run: PathBuf,
    /// Dataset whose test split conditions the task (default: the run's training dataset).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Number of test paths / samples (default: the run's `[eval] samples`).
    #[arg(long, value_parser = super::positive)]
    pub samples: Option<usize>,
    /// Split whose paths condition the task (default: the run's `[eval] split`, test).
    #[arg(long)]
    pub split: Option<Split>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute device: auto, cpu, wgpu, cuda.
    #[arg(long, default_value = "auto")]
    pub device: DeviceChoice,
    /// Output HDF5 file (physical units, settings as attributes).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long)]
    pub overwrite: bool,
}

/// `pdd simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    common: RunArgs,
    /// Scale λ of the simulation.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    lambda: f64,
    /// Add the transition noise σ_λ (Eq. 58) instead of the deterministic evaluation.
    #[arg(long)]
    noise: bool,
}

/// `pdd generate` / `pdd super-resolve`.
#[derive(Debug, Args)]
pub struct ReverseArgs {
    #[command(flatten)]
    common: RunArgs,
    /// Number of reverse λ steps (default: the run's `[sample] stride`); e.g. 100 instead of 1000.
    #[arg(long, value_parser = super::positive)]
    steps: Option<usize>,
    /// Start scale of super-resolution (ignored by generate).
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.2)]
    lambda: f64,
    /// Coarse input of super-resolution (default: the run's `[eval] sr_source`): surrogate,
    /// coarse-truth or noised-truth (ignored by generate).
    #[arg(long)]
    source: Option<SrSource>,
    #[command(flatten)]
    sampler: SamplerOverrides,
}

/// Overrides of the run's `[sample]` settings.
#[derive(Debug, Args)]
pub struct SamplerOverrides {
    /// Langevin corrector steps per predictor step.
    #[arg(long)]
    correctors: Option<usize>,
    /// Langevin signal-to-noise ratio κ.
    #[arg(long, allow_negative_numbers = true)]
    snr: Option<f64>,
    /// Cap each λ step at this fraction of λ (geometric steps near 0; see `[sample]`).
    #[arg(long, allow_negative_numbers = true)]
    max_relative_step: Option<f64>,
    /// Predictor-step integrator of every task: etd1 (the reference) or gaussian-split (stable at
    /// any step size; see `[sample] integrator`).
    #[arg(long)]
    integrator: Option<crate::sample::Integrator>,
}

impl SamplerOverrides {
    pub(super) fn apply(&self, cfg: &mut crate::sample::SamplerConfig) {
        if let Some(c) = self.correctors {
            cfg.corrector_steps = c;
        }
        if let Some(s) = self.snr {
            cfg.snr = s;
        }
        if let Some(r) = self.max_relative_step {
            cfg.max_relative_step = Some(r);
        }
        if let Some(i) = self.integrator {
            cfg.integrator = i;
            cfg.generation_integrator = None;
        }
    }
}

/// `pdd eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Run directory of the PDD model.
    #[arg(long)]
    pub run: PathBuf,
    /// Run directories of baselines (DDPM): `--baseline A B` or `--baseline A --baseline B`.
    #[arg(long, num_args = 1..)]
    pub baseline: Vec<PathBuf>,
    /// Seeds of the stochastic tasks (default: the run's `[eval] seeds`).
    #[arg(long, value_parser = super::positive)]
    pub seeds: Option<usize>,
    /// Test paths (default: the run's `[eval] samples`).
    #[arg(long, value_parser = super::positive)]
    pub samples: Option<usize>,
    /// Split to evaluate on (default: the run's `[eval] split`, test).
    #[arg(long)]
    pub split: Option<Split>,
    /// Number of reverse λ steps (default: the run's `[sample] stride`).
    #[arg(long, value_parser = super::positive)]
    pub steps: Option<usize>,
    /// Dataset whose test split is used (default: the run's).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Markdown report (figures go to `figures/` beside it, numbers to a `.json`).
    #[arg(long)]
    pub report: PathBuf,
    /// Replace an existing report (and its `.json`).
    #[arg(long)]
    pub overwrite: bool,
    /// Compute device.
    #[arg(long, default_value = "auto")]
    pub device: DeviceChoice,
    /// Skip generation (the slowest task).
    #[arg(long)]
    pub no_generation: bool,
    /// Coarse input of super-resolution (default: the run's `[eval] sr_source`): surrogate,
    /// coarse-truth or noised-truth.
    #[arg(long)]
    pub source: Option<SrSource>,
    #[command(flatten)]
    sampler: SamplerOverrides,
}

pub(super) fn evaluator(a: &RunArgs) -> anyhow::Result<Evaluator> {
    if let Some(out) = &a.out {
        // before minutes of sampling, not after
        crate::io::check_output(out, a.overwrite)?;
    }
    let device = a.device.device()?;
    let ev = Evaluator::new(&a.run, a.data.as_deref(), &device)?;
    let ev = with_paths(ev, a.samples, a.split, &a.run, a.data.as_deref())?;
    warn_skipped(&ev);
    Ok(ev)
}

/// Says which damaged checkpoints were skipped to load the run, if any.
fn warn_skipped(ev: &Evaluator) {
    for s in &ev.run.skipped {
        eprintln!(
            "warning: skipped damaged checkpoint {s}; using the checkpoint of step {}",
            ev.run.step
        );
    }
}

/// The evaluator reloaded with another number of paths or split, if either is given.
fn with_paths(
    mut ev: Evaluator,
    samples: Option<usize>,
    split: Option<Split>,
    run: &Path,
    data: Option<&Path>,
) -> anyhow::Result<Evaluator> {
    if samples.is_none() && split.is_none() {
        return Ok(ev);
    }
    ev.eval.samples = samples.unwrap_or(ev.eval.samples);
    ev.eval.split = split.unwrap_or(ev.eval.split);
    let (eval, sampler, device) = (ev.eval.clone(), ev.sampler.clone(), ev.device.clone());
    drop(ev);
    let mut fresh = Evaluator::new_with(run, data, &device, Some(eval))?;
    fresh.sampler = sampler;
    Ok(fresh)
}

pub(super) fn set_steps(ev: &mut Evaluator, steps: Option<usize>, start: usize) {
    if let Some(k) = steps {
        ev.sampler.set_steps(start, k);
    }
}

pub(super) fn save(
    a: &RunArgs,
    ev: &Evaluator,
    x: &ArrayD<f32>,
    settings: Vec<(&str, String)>,
) -> anyhow::Result<()> {
    if let Some(out) = &a.out {
        let mut x = x.clone();
        ev.run.config.data.stats().denormalise(&mut x)?;
        let mut s = settings;
        s.push(("run", a.run.display().to_string()));
        s.push(("seed", a.seed.to_string()));
        s.push(("checkpoint_step", ev.run.step.to_string()));
        s.push(("frame_dt", ev.run.config.data.frame_dt.to_string()));
        write_samples(out, &x.view(), &s, a.overwrite)?;
        println!("wrote {} {:?}", out.display(), x.shape());
    }
    Ok(())
}

pub(super) fn bar_callback(bar: &indicatif::ProgressBar) -> impl FnMut(&SamplerEvent) + '_ {
    move |e: &SamplerEvent| {
        bar.set_length(e.total as u64);
        bar.set_position(e.step as u64);
        bar.set_message(format!("λ = {:.3}", e.lambda));
    }
}

/// Runs `pdd simulate`.
pub fn simulate(a: SimulateArgs) -> anyhow::Result<()> {
    let ev = evaluator(&a.common)?;
    let (truth, path) = ev.simulate(a.lambda, a.noise, a.common.seed)?;
    let w = ev.window();
    // the configured step, or the last one when the paths are shorter: report the one used
    let step = ev.eval.l2_step.min(truth.shape()[2].saturating_sub(w));
    let l2 =
        crate::metrics::relative_l2_at_step(&truth.view(), &path.view(), ev.test.grid(), w, step)?;
    let (paths, steps) = (path.shape()[0], path.shape()[2] - w);
    println!(
        "simulated {paths} paths at λ = {} ({steps} steps); relative L² at step {step}: {l2:.3}",
        a.lambda
    );
    save(
        &a.common,
        &ev,
        &path,
        vec![
            ("task", "simulate".into()),
            ("lambda", a.lambda.to_string()),
            ("noise", a.noise.to_string()),
        ],
    )
}

/// Runs `pdd generate`.
pub fn generate(a: ReverseArgs) -> anyhow::Result<()> {
    let mut ev = evaluator(&a.common)?;
    a.sampler.apply(&mut ev.sampler);
    let start = ev.run.process.steps() - 1;
    set_steps(&mut ev, a.steps, start);
    let n = a.common.samples.unwrap_or(ev.eval.samples);
    let bar = crate::progress::terminal_bar();
    let x = ev.generate(n, a.common.seed, &mut bar_callback(&bar))?;
    bar.finish_and_clear();
    let e = crate::metrics::relative_spectral_error(
        &ev.test.data().view(),
        &x.view(),
        ev.test.grid(),
        0,
    )?;
    println!(
        "generated {} paths (stride {}); relative spectral error vs the test split: {e:.3}",
        n, ev.sampler.stride
    );
    save(
        &a.common,
        &ev,
        &x,
        vec![("task", "generate".into()), ("stride", ev.sampler.stride.to_string())],
    )
}

/// Runs `pdd super-resolve`.
pub fn super_resolve(a: ReverseArgs) -> anyhow::Result<()> {
    let mut ev = evaluator(&a.common)?;
    a.sampler.apply(&mut ev.sampler);
    ev.eval.sr_lambda = a.lambda;
    if let Some(src) = a.source {
        ev.eval.sr_source = src;
    }
    let start = ev.run.process.index_of(a.lambda)?;
    set_steps(&mut ev, a.steps, start);
    let bar = crate::progress::terminal_bar();
    let (low, high) = ev.super_resolve(a.common.seed, &mut bar_callback(&bar))?;
    bar.finish_and_clear();
    let g = ev.test.grid();
    let x0 = ev.test.data();
    let (el, eh) = (
        crate::metrics::relative_spectral_error(&x0.view(), &low.view(), g, 0)?,
        crate::metrics::relative_spectral_error(&x0.view(), &high.view(), g, 0)?,
    );
    println!(
        "super-resolved {} paths from λ = {}: spectral error LR {el:.3} → SR {eh:.3}",
        high.shape()[0],
        a.lambda
    );
    save(
        &a.common,
        &ev,
        &high,
        vec![
            ("task", "super-resolve".into()),
            ("lambda", a.lambda.to_string()),
            ("stride", ev.sampler.stride.to_string()),
        ],
    )
}

/// Runs `pdd eval`.
pub fn eval(a: EvalArgs) -> anyhow::Result<()> {
    if a.report.with_extension("json") == a.report {
        let why = "is the report's Markdown; its numbers go to a .json beside it (name it .md)";
        return Err(crate::Error::config("--report", why).into());
    }
    crate::io::check_target(&a.report, a.overwrite)?;
    crate::io::check_target(&a.report.with_extension("json"), a.overwrite)?;
    let device = a.device.device()?;
    let mut ev = Evaluator::new(&a.run, a.data.as_deref(), &device)?;
    if let Some(s) = a.seeds {
        ev.eval.seeds = s;
    }
    let mut ev = with_paths(ev, a.samples, a.split, &a.run, a.data.as_deref())?;
    warn_skipped(&ev);
    a.sampler.apply(&mut ev.sampler);
    if let Some(src) = a.source {
        ev.eval.sr_source = src;
    }
    let start = ev.run.process.steps() - 1;
    set_steps(&mut ev, a.steps, start);
    let stats = ev.run.config.data.stats();
    let baselines = crate::eval::load_baselines(&a.baseline, &stats, &device)?;
    let refs: Vec<&dyn Baseline> = baselines.iter().map(|b| b.as_ref()).collect();
    let dir = a
        .report
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let figures = dir.join("figures");
    let new_figures = !figures.exists();
    crate::eval::check_figures(&figures, a.overwrite)?;
    std::fs::create_dir_all(&dir).map_err(|e| crate::Error::io(&dir, e))?;
    let bar = crate::progress::terminal_bar();
    let tasks = EvalTasks { generation: !a.no_generation, ..Default::default() };
    let r = match evaluate(&ev, &refs, tasks, &figures, &bar)
        .and_then(|r| r.write(&a.report).map(|()| r))
    {
        Ok(r) => r,
        Err(e) => {
            if new_figures {
                // a failed evaluation leaves no half-filled figures/ behind
                let _ = std::fs::remove_dir_all(&figures);
            }
            return Err(e.into());
        }
    };
    crate::eval::remove_stale(&figures, &r.figures())?;
    bar.finish_and_clear();
    println!("{}", r.markdown());
    println!("wrote {} (+ .json, figures/)", a.report.display());
    Ok(())
}
