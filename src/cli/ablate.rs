//! `pdd ablate`: the paper's ablation studies (Figs. 10–16) on a preset, through
//! [`Ablation`](crate::ablation::Ablation).

use super::demo::{SizeArgs, study_dir};
use crate::ablation::{Ablation, AblationKind, AblationOptions};
use crate::backend::DeviceChoice;
use crate::study::Study;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `pdd ablate`.
#[derive(Debug, Args)]
pub struct AblateArgs {
    /// The preset whose variants are studied (a name or a TOML file).
    #[arg(long, default_value = "lorenz96-quick")]
    pub preset: String,
    /// Which study: noise, window, laplacian, coarse-graining, or all (in the paper's order).
    #[arg(long, default_value = "all")]
    pub study: String,
    /// Output directory, laid out as `pdd demo`'s: `OUT/<preset>/` holds data.h5 and run/ (shared
    /// with `pdd demo --out OUT`), variants/ (the variants' runs, shared between studies and
    /// resumed) and ablations/ (reports and figures).
    #[arg(long, default_value = "demo")]
    pub out: PathBuf,
    /// Compute device: auto, cpu, wgpu, cuda.
    #[arg(long, default_value = "auto")]
    pub device: DeviceChoice,
    /// History windows of the window study.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 5, 15])]
    pub windows: Vec<usize>,
    /// γ (`mass_factor`) of the Laplacian study's α = 0 variant (must be > 0).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1.0)]
    pub gamma: f64,
    /// Seed of the noisy simulation and the samplers.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Size overrides (as `pdd demo`).
    #[command(flatten)]
    pub size: SizeArgs,
}

impl AblateArgs {
    /// The studies asked for.
    pub fn kinds(&self) -> anyhow::Result<Vec<AblationKind>> {
        Ok(match self.study.as_str() {
            "all" => AblationKind::ALL.to_vec(),
            name => vec![AblationKind::parse(name)?],
        })
    }
}

/// Runs `pdd ablate`.
pub fn run(a: AblateArgs) -> anyhow::Result<()> {
    let kinds = a.kinds()?;
    let options = AblationOptions {
        windows: a.windows.clone(),
        mass_factor: a.gamma,
        seed: a.seed,
        ..AblationOptions::default()
    };
    let device = a.device.device()?;
    let study =
        Study::new(&a.preset, study_dir(&a.out, &a.preset), device)?.with_options(a.size.options());
    let ablation = Ablation::new(study, options)?;
    let t_all = Instant::now();
    let mut summary = Vec::new();
    for kind in kinds {
        println!(
            "== ablation `{}` ({}) in {}",
            kind.name(),
            kind.figures(),
            ablation.study.dir.display()
        );
        let bar = crate::progress::terminal_bar();
        let report = ablation.run(kind, &bar)?;
        bar.finish_and_clear();
        println!("{}", report.markdown());
        let path = ablation.out_dir().join(format!("{}.md", kind.name()));
        summary.push(format!("{}: {:.0} s → {}", kind.name(), report.seconds, path.display()));
    }
    println!("== ablations finished in {:.1} s", t_all.elapsed().as_secs_f64());
    for s in summary {
        println!("{s}");
    }
    Ok(())
}
