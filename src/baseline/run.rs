//! Loading a trained DDPM baseline run for evaluation.

use super::config::DdpmConfig;
use super::denoiser::{Denoiser, ddpm_config};
use super::generation::{DdpmGen, ddpm_generate};
use super::sampler::DdpmSampler;
use super::simulation::{DdpmSim, ddpm_simulate};
use crate::diffusion::plane_dims;
use crate::error::{Error, Result};
use crate::io::Stats;
use crate::progress::Progress;
use crate::train::{ModelKind, RunConfig, checkpoint, newest_intact, open_run};
use burn::prelude::*;
use std::path::Path;

/// The network of a DDPM run.
#[derive(Debug)]
pub enum DdpmModel {
    /// `ddpm-sim`: the conditional next-slice model.
    Sim(DdpmSim),
    /// `ddpm-gen`: the unconditional whole-trajectory model.
    Gen(DdpmGen),
}

/// A trained DDPM baseline run (`pdd train --model ddpm-sim|ddpm-gen`) loaded for sampling.
#[derive(Debug)]
pub struct DdpmRun {
    /// The run's configuration (`kind` is `ddpm-sim` or `ddpm-gen`).
    pub config: RunConfig,
    /// Its `[ddpm]` section.
    pub ddpm: DdpmConfig,
    /// The sampler from `[ddpm]`; change `stride`/`method` here to sample differently.
    pub sampler: DdpmSampler,
    /// The network with the latest checkpoint's weights (EMA weights if the run keeps them).
    pub model: DdpmModel,
    /// Step of the checkpoint.
    pub step: usize,
    /// Newer checkpoints skipped as damaged, each as `step-N: reason` (empty normally).
    pub skipped: Vec<String>,
}

impl DdpmRun {
    /// Loads the newest intact checkpoint of the DDPM run in `dir` onto `device` (no autodiff;
    /// damaged newer ones are skipped and named in `skipped`); refuses PDD runs and runs
    /// without a checkpoint.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let (run, config) = open_run(dir, &[ModelKind::DdpmSim, ModelKind::DdpmGen])?;
        let ddpm = ddpm_config(&config)?;
        let kind = config.model_kind()?;
        let (step, model, skipped) = newest_intact(&run, &config, |weights| {
            Ok(match kind {
                ModelKind::DdpmSim => DdpmModel::Sim(load_model(&config, weights, device)?),
                ModelKind::DdpmGen => DdpmModel::Gen(load_model(&config, weights, device)?),
                ModelKind::Pdd => unreachable!("open_run refused other kinds"),
            })
        })?;
        Ok(Self { sampler: ddpm.sampler()?, config, ddpm, model, step, skipped })
    }

    /// Standardisation constants of the run.
    pub fn stats(&self) -> Stats {
        self.config.data.stats()
    }

    /// Simulation with a `ddpm-sim` run (see [`ddpm_simulate`]): `x0` `[B, C, F, Ny, Nx]`
    /// standardised test paths → `[B, C, w + n_steps, Ny, Nx]`.
    pub fn simulate(
        &self,
        x0: Tensor<5>,
        n_steps: usize,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Tensor<5>> {
        match &self.model {
            DdpmModel::Sim(m) => ddpm_simulate(m, &self.sampler, x0, n_steps, seed, progress),
            DdpmModel::Gen(_) => Err(self.wrong_kind("simulate", ModelKind::DdpmSim)),
        }
    }

    /// `n` generated paths `[n, C, F, Ny, Nx]` (standardised) from a `ddpm-gen` run (see
    /// [`ddpm_generate`]).
    pub fn generate(
        &self,
        n: usize,
        seed: u64,
        device: &Device,
        progress: &dyn Progress,
    ) -> Result<Tensor<5>> {
        match &self.model {
            DdpmModel::Gen(m) => ddpm_generate(
                m,
                &self.sampler,
                n,
                plane_dims(&self.config.data.grid()?),
                seed,
                device,
                progress,
            ),
            DdpmModel::Sim(_) => Err(self.wrong_kind("generate", ModelKind::DdpmGen)),
        }
    }

    fn wrong_kind(&self, what: &str, want: ModelKind) -> Error {
        Error::Other(format!(
            "cannot {what} with a `{}` run: train one with `--model {want}`",
            self.config.kind
        ))
    }
}

fn load_model<M: Denoiser>(config: &RunConfig, weights: &Path, device: &Device) -> Result<M> {
    checkpoint::load_weights(M::build(config, device)?, weights)
}
