//! DDPM baselines (paper §4): the same U-Net trained as a standard denoising diffusion model
//! (Ho et al. 2020: variance-preserving, linear `β` from `1e−4` to `0.02`, `T = 1000`,
//! ε-prediction, ancestral sampling), with no λ hierarchy — compared with PDD at λ = 0 only.
//!
//! * `ddpm-sim` ([`DdpmSim`], [`ddpm_simulate`]): the next slice given the causal window of
//!   the `w` past slices (as PDD's), sampled autoregressively, one reverse chain per slice;
//! * `ddpm-gen` ([`DdpmGen`], [`ddpm_generate`]): whole trajectories, frames as channels.
//!
//! Both train through the generic trainer ([`DdpmObjective`] implements
//! [`TrainObjective`](crate::train::TrainObjective)) with `pdd train --model ddpm-sim|ddpm-gen`
//! and load with [`DdpmRun::load`]. The `[ddpm]` preset section ([`DdpmConfig`]) sets the
//! schedule and the sampler: a `stride > 1` (and DDIM) are documented speed options.

mod config;
mod denoiser;
mod generation;
mod objective;
mod run;
mod sampler;
mod schedule;
mod simulation;

pub use config::DdpmConfig;
pub use denoiser::{Denoiser, ddpm_config};
pub use generation::{DdpmGen, ddpm_generate};
pub use objective::{DdpmObjective, train_ddpm};
pub use run::{DdpmModel, DdpmRun};
pub use sampler::{ChainStep, DdpmSampler, ReverseStep};
pub use schedule::DdpmSchedule;
pub use simulation::{DdpmSim, ddpm_simulate};
