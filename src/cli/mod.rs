//! Command-line interface: argument types (clap) and handlers, one file per subcommand group.
//! The `pdd` binary only parses and dispatches, so every command is also callable from Rust.

pub mod ablate;
pub mod assimilate;
pub mod bench;
pub mod data;
pub mod demo;

use clap::{Parser, Subcommand};

pub mod diffusion;
pub mod sample;
mod stdout;
pub mod train;

pub use stdout::quiet_broken_pipe;

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
    /// Simulate a trained predictor forward in time at a fixed λ (Algorithm 2).
    Simulate(sample::SimulateArgs),
    /// Generate trajectories from noise by reverse-λ sampling (Algorithm 3).
    Generate(sample::ReverseArgs),
    /// Super-resolve coarse trajectories from λ = 0.2 (Algorithm 3).
    SuperResolve(sample::ReverseArgs),
    /// Evaluate a run (Tables 1–3, Fig. 7) and write a Markdown report with figures.
    Eval(sample::EvalArgs),
    /// Assimilate sparse, noisy observations of the test paths: a posterior ensemble by the
    /// reverse-λ sampler guided with the observation likelihood (docs/assimilation.md).
    Assimilate(assimilate::AssimilateArgs),
    /// The quick end-to-end demo: data → training → evaluation for each preset (resumable).
    Demo(demo::DemoArgs),
    /// The paper's ablations (Figs. 10–16): noisy simulation, history window, Laplacian term,
    /// noise-free coarse-graining; trains the variants (resumable) and writes a report per study.
    Ablate(ablate::AblateArgs),
    /// Time one training or sampler step of a preset's network, with a breakdown.
    Bench(bench::BenchArgs),
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
        Command::Simulate(args) => sample::simulate(args),
        Command::Generate(args) => sample::generate(args),
        Command::SuperResolve(args) => sample::super_resolve(args),
        Command::Eval(args) => sample::eval(args),
        Command::Assimilate(args) => assimilate::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Ablate(args) => ablate::run(args),
        Command::Bench(args) => bench::run(args),
    }
}

/// Parses a count that must be at least 1 (`--steps`, `--samples`, `--trajectories`, …): a
/// zero is refused rather than silently meaning something else.
pub fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// The error `e` and its causes as one line, each once: a cause whose text is already part of
/// the message (an OS error wrapped with its path, say) is not repeated.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
