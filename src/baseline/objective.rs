//! The DDPM training objective (Ho et al.'s "simple" loss): ε-regression at a uniformly drawn
//! index per example, for any [`Denoiser`], plugged into the generic trainer.

use super::config::DdpmConfig;
use super::denoiser::{Denoiser, ddpm_config};
use super::generation::DdpmGen;
use super::schedule::DdpmSchedule;
use super::simulation::DdpmSim;
use crate::diffusion::white_noise_rows;
use crate::error::{Error, Result};
use crate::predictor::LossParts;
use crate::progress::Progress;
use crate::rng;
use crate::train::{
    ModelInit, ModelKind, RunConfig, RunDir, Shard, TrainEvent, TrainObjective, TrainRequest,
    TrainSummary, train_objective,
};
use burn::prelude::*;
use rand::Rng;
use std::sync::Arc;

const DRAWS: u64 = 0x4444_5054; // stream tag of the DDPM indices and noise seeds

/// `mean((ε̂(√ᾱ_t x + √(1−ᾱ_t) ε, t) − ε)²)` over every example of the micro-batch, with
/// `t ~ U{0 … T−1}` per example and `ε ~ N(0, I)`, both drawn from `(seed, m)` alone (so a
/// resumed run replays them exactly).
pub struct DdpmObjective<M> {
    /// The noise schedule.
    pub schedule: DdpmSchedule,
    /// The run's seed.
    pub seed: u64,
    init: ModelInit<M>,
}

impl<M: Denoiser + 'static> DdpmObjective<M> {
    /// The objective of a `ddpm-sim` / `ddpm-gen` run configuration (its `[model]`, data and
    /// `[ddpm]` sections); fails early on a model/grid mismatch or a bad `[ddpm]` section.
    pub fn for_run(cfg: &RunConfig) -> Result<Self> {
        M::unet(cfg)?;
        let schedule = ddpm_config(cfg)?.schedule()?;
        let cfg = cfg.clone();
        Ok(Self::new(schedule, cfg.train.seed, Arc::new(move |d: &Device| M::build(&cfg, d))))
    }
}

impl<M> DdpmObjective<M> {
    /// Any denoiser built by `init`, trained with `schedule` and randomness from `seed`.
    pub fn new(schedule: DdpmSchedule, seed: u64, init: ModelInit<M>) -> Self {
        Self { schedule, seed, init }
    }

    /// DDPM indices (`n` of them) and the noise seed of micro-batch `m`.
    pub fn draws(&self, m: u64, n: usize) -> (Vec<usize>, u64) {
        let mut r = rng::stream(self.seed ^ DRAWS, m);
        let t = (0..n).map(|_| r.random_range(0..self.schedule.steps())).collect();
        (t, r.random())
    }
}

impl<M: Denoiser> TrainObjective for DdpmObjective<M> {
    type Model = M;

    fn init_model(&self, device: &Device) -> Result<M> {
        (self.init)(device)
    }

    /// `total` = `noise` = the ε-MSE; `drift` is 0 (a DDPM has no drift term).
    fn loss(&self, model: &M, x0: Tensor<5>, m: u64) -> Result<LossParts> {
        let b = x0.dims()[0];
        self.shard_loss(model, x0, m, &Shard::whole(b))
    }

    /// As [`loss`](Self::loss) on the paths `shard.rows` of the micro-batch: a path's examples
    /// are consecutive (path-major), so they get the DDPM indices and noise rows they get in
    /// the whole micro-batch.
    fn shard_loss(&self, model: &M, x0: Tensor<5>, m: u64, shard: &Shard) -> Result<LossParts> {
        let paths = x0.dims()[0];
        let (cond, x) = model.examples(x0)?;
        let dims = x.dims();
        let device = x.device();
        if paths != shard.len() || paths == 0 || dims[0] % paths != 0 {
            return Err(Error::shape(
                format!("DDPM shard {:?} of a micro-batch of {}", shard.rows, shard.of),
                format!("[{}, C, F, Ny, Nx] paths", shard.len()),
                paths,
            ));
        }
        let per_path = dims[0] / paths;
        let (all, noise_seed) = self.draws(m, per_path * shard.of);
        let first = shard.rows.start * per_path;
        let t = &all[first..first + dims[0]];
        let host = white_noise_rows(&dims, noise_seed, first);
        let eps =
            Tensor::from_data(TensorData::new(host.into_raw_vec_and_offset().0, dims), &device);
        let x_t = self.schedule.q_sample(x, eps.clone(), t)?;
        let tf: Vec<f32> = t.iter().map(|&i| i as f32).collect();
        let pred = model.eps(cond.as_ref(), x_t, Tensor::from_floats(tf.as_slice(), &device));
        let mse = (pred - eps).square().mean();
        Ok(LossParts { total: mse.clone(), drift: Tensor::zeros([1], &device), noise: Some(mse) })
    }

    /// The same objective (its tables live on the host).
    fn on_device(&self, _device: &Device) -> Result<Self> {
        Ok(Self { schedule: self.schedule.clone(), seed: self.seed, init: self.init.clone() })
    }
}

/// Trains the DDPM baseline `req.model` (`ddpm-sim` or `ddpm-gen`) through the same trainer,
/// run directory and resume as PDD ([`train_objective`]). A run in `req.out` whose `[ddpm]`
/// section differs from the preset's is refused unless `req.overwrite`.
pub fn train_ddpm(
    req: &TrainRequest,
    device: &Device,
    progress: &dyn Progress,
    callback: &mut dyn FnMut(&TrainEvent),
) -> Result<TrainSummary> {
    check_same_ddpm(req)?;
    fn make<M: Denoiser + 'static>(cfg: &RunConfig) -> Result<(usize, DdpmObjective<M>)> {
        let objective = DdpmObjective::<M>::for_run(cfg)?;
        Ok((objective.schedule.steps(), objective))
    }
    match req.model {
        ModelKind::DdpmSim => train_objective(req, device, progress, callback, make::<DdpmSim>),
        ModelKind::DdpmGen => train_objective(req, device, progress, callback, make::<DdpmGen>),
        ModelKind::Pdd => Err(Error::config("model", "`pdd` is not a DDPM baseline")),
    }
}

/// Refuses to continue a run in `req.out` trained with another `[ddpm]` section.
fn check_same_ddpm(req: &TrainRequest) -> Result<()> {
    if req.overwrite || !req.out.join("config.toml").exists() {
        return Ok(());
    }
    let have = ddpm_config(&RunDir::open(&req.out)?.config()?)?;
    if have != DdpmConfig::from_preset(&req.preset)? {
        return Err(Error::Other(format!(
            "{} holds a run whose [ddpm] differs from preset `{}`; pass --overwrite to replace it",
            req.out.display(),
            req.preset.name
        )));
    }
    Ok(())
}
