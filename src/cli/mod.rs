//! Command-line interface: argument types (clap) and handlers, one file per subcommand group.
//! The `pdd` binary only parses and dispatches, so every command is also callable from Rust.

pub mod data;

use clap::{Parser, Subcommand};

pub mod diffusion;
pub mod train;

/// `pdd`: Predictor-Driven Diffusion for multiscale turbulent dynamics.
#[derive(Debug, Parser)]
#[command(name = "pdd", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the embedded presets, or print one as TOML.
    Presets {
        /// Print this preset's TOML.
        name: Option<String>,
    },
    /// Generate, inspect and merge datasets.
    Data(data::DataArgs),
    /// Inspect the forward (coarse-graining) diffusion: λ tables and the λ-ladder figure.
    Diffusion(diffusion::DiffusionArgs),
    /// Train a predictor (PDD or SA-PDD) on a dataset.
    Train(train::TrainArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Presets { name: None } => {
            for n in crate::presets::Preset::names() {
                println!("{n}");
            }
            Ok(())
        }
        Command::Presets { name: Some(n) } => {
            print!("{}", crate::presets::Preset::load(&n)?.to_toml());
            Ok(())
        }
        Command::Data(args) => data::run(args),
        Command::Diffusion(args) => diffusion::run(args),
        Command::Train(args) => train::run(args),
    }
}
