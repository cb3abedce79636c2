//! `pdd diffusion …`: inspect the forward process of a preset.
//!
//! - `pdd diffusion table --preset NAME [--lambda 0,0.001,0.2,…] [--modes [N]]` prints λ, the
//!   diffusion index and σ²_λ (with `--modes`, also `Â` and `Q̂` for the first `N` wavenumbers
//!   `k = (0, k_x)`, `k_x = 0 … N−1`).
//! - `pdd diffusion ladder --preset NAME --out FIG.svg|FIG.png` draws the λ-ladder figure on a
//!   synthetic field with a known spectrum: a stationary Gaussian random trajectory with
//!   per-mode variance `∝ |k|^{−d}` (`d` = number of axes, so the shell-summed PSD falls as
//!   `1/|k|`), unit variance per point, AR(1) correlation 0.9 between frames
//!   ([`synthetic_trajectory`]); with `--data FILE.h5 [--trajectory i]` it draws a trajectory of
//!   a dataset instead (standardised with the file's statistics).

use crate::diffusion::{DiffusionConfig, ForwardProcess, synthetic_trajectory};
use crate::error::{Error, Result};
use crate::plot::{LadderOptions, ladder_figure};
use crate::presets::Preset;
use crate::spectral::{Grid, LaplacianKind};
use clap::{Args, Subcommand};
use std::fmt::Write as _;
use std::path::PathBuf;

/// `pdd diffusion`.
#[derive(Debug, Args)]
pub struct DiffusionArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DiffusionCommand,
}

/// The `pdd diffusion` subcommands.
#[derive(Debug, Subcommand)]
pub enum DiffusionCommand {
    /// Print λ, diffusion index and σ²_λ (and, with --modes, Â and Q̂ of the first wavenumbers).
    Table(TableArgs),
    /// Draw the λ-ladder figure (one sample at λ = 0, 0.1, 0.2, 0.5, 1 with its PSD).
    ///
    /// Drawn on a synthetic field with a known spectrum on the preset's grid: a stationary
    /// Gaussian random trajectory with per-mode variance ∝ |k|^(−d) (d = number of axes, so the
    /// shell-summed PSD falls as 1/|k|), unit variance per point, AR(1) correlation 0.9 between
    /// frames; 64 frames shown as Hovmöller diagrams in 1-D, frame 0 in 2-D.
    Ladder(LadderArgs),
}

/// `pdd diffusion table`.
#[derive(Debug, Args)]
pub struct TableArgs {
    /// Preset name or TOML file (its `[diffusion]` and `[data]` sections are used).
    #[arg(long)]
    pub preset: String,
    /// Comma-separated scales λ ∈ [0, 1]; each maps to the nearest stored index round(λT)
    /// (λ = 1 to the last one, T − 1); the λ column shows the stored λ_i = i/T.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_delimiter = ',',
        default_value = "0,0.001,0.002,0.01,0.05,0.1,0.2,0.5,1"
    )]
    pub lambda: Vec<f64>,
    /// Also print Â and Q̂ for the first N wavenumbers (default 4).
    #[arg(long, num_args = 0..=1, default_missing_value = "4", value_name = "N")]
    pub modes: Option<usize>,
}

/// `pdd diffusion ladder`.
#[derive(Debug, Args)]
pub struct LadderArgs {
    /// Preset name or TOML file (its `[diffusion]` and `[data]` sections are used).
    #[arg(long)]
    pub preset: String,
    /// Output figure (.svg, or .png).
    #[arg(long)]
    pub out: PathBuf,
    /// Draw trajectory `--trajectory` of this dataset instead of a synthetic field (the grid
    /// must match the preset's).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Trajectory index in `--data`.
    #[arg(long, default_value_t = 0)]
    pub trajectory: usize,
    /// Channel to draw.
    #[arg(long, default_value_t = 0)]
    pub channel: usize,
    /// Comma-separated scales λ ∈ [0, 1].
    #[arg(
        long,
        allow_negative_numbers = true,
        value_delimiter = ',',
        default_value = "0,0.1,0.2,0.5,1"
    )]
    pub lambda: Vec<f64>,
    /// Seed of the synthetic field and of the forward noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Show the noise-free coarse-graining C_λ u₀ instead of samples u_λ.
    #[arg(long)]
    pub no_noise: bool,
    /// Replace an existing output file.
    #[arg(long)]
    pub overwrite: bool,
}

/// Runs `pdd diffusion …`.
pub fn run(args: DiffusionArgs) -> anyhow::Result<()> {
    match args.command {
        DiffusionCommand::Table(a) => {
            let (preset, process) = load(&a.preset)?;
            print!("{}", table(&preset, &process, &a.lambda, a.modes.unwrap_or(0))?);
        }
        DiffusionCommand::Ladder(a) => {
            let (_, process) = load(&a.preset)?;
            let grid = process.grid();
            let field = match &a.data {
                Some(path) => {
                    let ds = crate::io::Dataset::open(path)?;
                    if ds.metadata().grid.dims() != grid.dims() {
                        return Err(Error::shape(
                            format!("{}: dataset grid vs preset `{}`", path.display(), a.preset),
                            grid.dims(),
                            ds.metadata().grid.dims(),
                        )
                        .into());
                    }
                    if a.trajectory >= ds.len() {
                        return Err(Error::OutOfRange {
                            name: "--trajectory".into(),
                            value: a.trajectory as f64,
                            range: format!("0 ..= {}", ds.len().saturating_sub(1)),
                        }
                        .into());
                    }
                    let b = ds.normalised_batch(&[a.trajectory], None)?;
                    b.index_axis(ndarray::Axis(0), 0).to_owned()
                }
                None => {
                    let frames = if grid.ndim() == 1 { 64 } else { 4 };
                    synthetic_trajectory(grid, 1, frames, grid.ndim() as f64, 0.9, a.seed)?
                }
            };
            let options = LadderOptions {
                lambdas: a.lambda.clone(),
                noise: !a.no_noise,
                seed: a.seed,
                ..Default::default()
            };
            let figure = ladder_figure(&process, &field.view(), a.channel, &options)?;
            if a.overwrite {
                figure.save_overwrite(&a.out)?;
            } else {
                figure.save(&a.out)?;
            }
            println!("wrote {}", a.out.display());
        }
    }
    Ok(())
}

fn load(name: &str) -> Result<(Preset, ForwardProcess)> {
    let preset = Preset::load(name)?;
    let config = DiffusionConfig::from_preset(&preset)?;
    let grid = preset_grid(&preset)?;
    let process = config.process(&grid)?;
    Ok((preset, process))
}

/// The training grid of a preset: the output grid of its `[data]` system.
pub fn preset_grid(preset: &Preset) -> Result<Grid> {
    Ok(crate::systems::DataConfig::from_preset(preset)?.simulator()?.output_grid())
}

/// The text of `pdd diffusion table`.
pub fn table(
    preset: &Preset,
    process: &ForwardProcess,
    lambdas: &[f64],
    modes: usize,
) -> Result<String> {
    let c = process.config();
    let mut out = String::new();
    let w = |e: std::fmt::Error| Error::Other(e.to_string());
    writeln!(
        out,
        "preset {}: grid {:?}, α = {}, γ = {}, β² = {}, T = {}, {} Laplacian",
        preset.name,
        process.grid().dims(),
        c.laplacian_factor,
        c.mass_factor,
        c.noise_amplitude_squared,
        c.steps,
        match c.laplacian {
            LaplacianKind::Discrete => "discrete",
            LaplacianKind::Continuous => "continuous",
        }
    )
    .map_err(w)?;
    let nx = *process.grid().dims().last().expect("grids have axes");
    let modes = modes.min(nx / 2 + 1);
    let mut header = format!("{:>8} {:>6} {:>13}", "λ", "index", "σ²_λ");
    for k in 0..modes {
        write!(header, " {:>11}", format!("Â(k={k})")).map_err(w)?;
    }
    for k in 0..modes {
        write!(header, " {:>11}", format!("Q̂(k={k})")).map_err(w)?;
    }
    writeln!(out, "{header}").map_err(w)?;
    for &lambda in lambdas {
        let i = process.index_of(lambda)?;
        let mut line = format!("{:>8.4} {:>6} {:>13.6e}", process.lambda(i), i, process.sigma2(i));
        // Bins 0..modes of the half spectrum are k = (0, k_x), k_x = 0, 1, ….
        for k in 0..modes {
            write!(line, " {:>11.6}", process.damping(i)[k]).map_err(w)?;
        }
        for k in 0..modes {
            write!(line, " {:>11.4e}", process.variance(i)[k]).map_err(w)?;
        }
        writeln!(out, "{line}").map_err(w)?;
    }
    Ok(out)
}
