//! `pdd demo`: the quick end-to-end run of both systems (data → training → evaluation) through
//! [`Study`](crate::study::Study).

use crate::backend::DeviceChoice;
use crate::study::{Study, StudyOptions};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `pdd demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Presets to run, in order (names or TOML files).
    #[arg(long = "preset", default_values_t = ["lorenz96-quick".to_string(), "kolmogorov-quick".to_string()])]
    pub presets: Vec<String>,
    /// Output directory: one sub-directory per preset (data.h5, run/, report.md, figures/).
    /// Rerunning resumes: finished stages are skipped, training continues from its checkpoint.
    #[arg(long, default_value = "demo")]
    pub out: PathBuf,
    /// Compute device: auto, cpu, wgpu, cuda.
    #[arg(long, default_value = "auto")]
    pub device: DeviceChoice,
    /// Size overrides.
    #[command(flatten)]
    pub size: SizeArgs,
}

/// Size overrides of a [`Study`] on the command line (`pdd demo`, `pdd ablate`).
#[derive(Debug, Clone, Default, Args)]
pub struct SizeArgs {
    /// Trajectories to generate (default: the preset's); the preset's splits are scaled in
    /// proportion.
    #[arg(long, value_parser = super::positive)]
    pub trajectories: Option<usize>,
    /// Training steps (default: the preset's).
    #[arg(long, value_parser = super::positive)]
    pub train_steps: Option<usize>,
    /// Test paths evaluated (default: the preset's `[eval] samples`).
    #[arg(long, value_parser = super::positive)]
    pub samples: Option<usize>,
    /// Reverse-λ steps of generation and super-resolution (default: the preset's stride).
    #[arg(long, value_parser = super::positive)]
    pub lambda_steps: Option<usize>,
    /// Skip unconditional generation (the slowest evaluation task).
    #[arg(long)]
    pub no_generation: bool,
}

impl SizeArgs {
    /// The [`StudyOptions`] these arguments set.
    pub fn options(&self) -> StudyOptions {
        StudyOptions {
            trajectories: self.trajectories,
            train_steps: self.train_steps,
            eval_samples: self.samples,
            lambda_steps: self.lambda_steps,
            no_generation: self.no_generation,
        }
    }
}

/// The study directory of preset `name` (an embedded name or a TOML path) under `out`:
/// `out/<file stem>`, as `pdd demo` and `pdd ablate` lay it out.
pub fn study_dir(out: &Path, name: &str) -> PathBuf {
    let stem = name.trim_end_matches(".toml").rsplit('/').next().unwrap_or(name);
    out.join(stem)
}

/// Runs `pdd demo`.
pub fn run(a: DemoArgs) -> anyhow::Result<()> {
    let device = a.device.device()?;
    let options = a.size.options();
    let t_all = Instant::now();
    let mut summary = Vec::new();
    for name in &a.presets {
        let study = Study::new(name, study_dir(&a.out, name), device.clone())?
            .with_options(options.clone());
        println!("== {name} → {}", study.dir.display());
        let bar = crate::progress::terminal_bar();
        let t = Instant::now();
        let ds = study.data(&bar)?;
        println!(
            "data: {} ({} trajectories) in {:.1} s",
            study.data_path().display(),
            ds.len(),
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let run = study.train(&bar)?;
        println!(
            "training: {} at step {} in {:.1} s",
            study.run_dir().display(),
            run.step,
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let r = study.evaluate(&bar)?;
        bar.finish_and_clear();
        println!("evaluation in {:.1} s\n", t.elapsed().as_secs_f64());
        println!("{}", r.markdown());
        let line = one_line(&r).unwrap_or_else(|| "a task was not run".into());
        summary.push(format!("{name}: {line} → {}", study.report_path().display()));
    }
    println!("== demo finished in {:.1} s", t_all.elapsed().as_secs_f64());
    for s in summary {
        println!("{s}");
    }
    Ok(())
}

/// The demo's summary of one evaluation (`None` if a task was not run).
fn one_line(r: &crate::eval::EvalResults) -> Option<String> {
    let (sim, generation, sr) =
        (r.simulation.as_ref()?, r.generation.as_ref()?, r.super_resolution.as_ref()?);
    Some(format!(
        "simulation L² {:.3} (persistence {:.3}), spectral errors: simulation {:.3}, generation \
         {:.3}, super-resolution {:.3} (low-resolution input {:.3})",
        sim.l2.mean,
        sim.persistence_l2.mean,
        sim.spectral,
        generation.spectral.mean,
        sr.spectral.mean,
        sr.input_spectral.mean,
    ))
}
