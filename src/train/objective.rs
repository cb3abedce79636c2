//! What a training step minimises: the [`TrainObjective`] trait and the PDD / SA-PDD objective.

use super::batches::BatchPlan;
use super::config::{DriftTarget, Objective, TrainConfig};
use crate::diffusion::{DeviceProcess, ForwardProcess, white_noise_rows};
use crate::error::{Error, Result};
use crate::predictor::{ActionScale, LossParts, PathAction, Predictor, pdd_loss, sa_pdd_loss};
use burn::module::Module;
use burn::prelude::*;
use std::ops::Range;
use std::sync::Arc;

/// Which rows of a micro-batch one data-parallel replica computes (docs/scaling.md): rows
/// `rows` of a micro-batch of `of` paths. A shard's loss is the mean over its own rows; the
/// trainer weights it by [`weight`](Self::weight) = `len / of`, so the weighted sum over the
/// shards is the loss (and the gradient) of the whole micro-batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// The rows of the micro-batch, `start .. end` with `end ≤ of`.
    pub rows: Range<usize>,
    /// Paths in the whole micro-batch.
    pub of: usize,
}

impl Shard {
    /// The whole micro-batch of `b` paths as one shard.
    pub fn whole(b: usize) -> Self {
        Self { rows: 0..b, of: b }
    }

    /// Paths in this shard.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the shard holds no path (never for the trainer's shards).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether the shard is the whole micro-batch.
    pub fn is_whole(&self) -> bool {
        self.rows == (0..self.of)
    }

    /// The shard's share `len / of` of the micro-batch's loss.
    pub fn weight(&self) -> f64 {
        self.len() as f64 / self.of as f64
    }
}

/// A model family and its loss: the trainer is generic over this, so PDD, SA-PDD and the DDPM
/// baselines share the optimisation, accumulation, logging, checkpointing and resume logic.
pub trait TrainObjective {
    /// The trained module.
    type Model: Module;
    /// Builds a freshly initialised model on `device`.
    fn init_model(&self, device: &Device) -> Result<Self::Model>;
    /// The loss of micro-batch number `m` whose clean standardised paths are `x0`
    /// `[B, C, F, Ny, Nx]` (on the non-autodiff device).
    fn loss(&self, model: &Self::Model, x0: Tensor<5>, m: u64) -> Result<LossParts>;
    /// The loss of the rows `shard` of micro-batch `m`, whose clean standardised paths are `x0`
    /// `[shard.len(), C, F, Ny, Nx]`: the mean over the shard's rows, drawing for row `i` the
    /// same randomness (diffusion index, noise) as row `shard.rows.start + i` of
    /// [`loss`](Self::loss) on the whole micro-batch, so that `Σ weight · shard_loss` over a
    /// partition equals `loss` up to float summation order (docs/scaling.md). The default
    /// accepts only the whole micro-batch; an objective that shards overrides it.
    fn shard_loss(
        &self,
        model: &Self::Model,
        x0: Tensor<5>,
        m: u64,
        shard: &Shard,
    ) -> Result<LossParts> {
        if shard.is_whole() {
            return self.loss(model, x0, m);
        }
        Err(Error::config(
            "devices",
            "this objective cannot split a batch across replicas (it has no shard_loss); train it on one device",
        ))
    }
    /// The same objective with its device-resident tables on `device` (non-autodiff), for a
    /// replica on another device. The default refuses: such an objective trains on replicas
    /// that share one device only.
    fn on_device(&self, device: &Device) -> Result<Self>
    where
        Self: Sized,
    {
        Err(Error::config(
            "devices",
            format!(
                "this objective cannot be moved to {device:?} (it has no on_device); use one device"
            ),
        ))
    }
    /// The validation loss of `x0` with fixed randomness `m` (no gradients).
    fn valid_loss(&self, model: &Self::Model, x0: Tensor<5>, m: u64) -> Result<f64> {
        Ok(self.loss(model, x0, m)?.total.into_scalar::<f32>() as f64)
    }
}

/// Builds a fresh predictor on a device.
pub type ModelInit<P> = Arc<dyn Fn(&Device) -> Result<P> + Send + Sync>;

/// PDD / SA-PDD (paper Eq. 8–9, Algorithm 1; docs/method.md) for any [`Predictor`], built by
/// a [`ModelInit`] (from a [`PredictorSpec`](crate::predictor::PredictorSpec)).
pub struct PddObjective<P> {
    /// The forward process (host tables).
    pub process: ForwardProcess,
    /// The same operators on the compute device.
    pub device_process: DeviceProcess,
    /// Training settings (objective and weights).
    pub train: TrainConfig,
    /// Batch plan (diffusion indices and noise seeds per micro-batch).
    pub plan: BatchPlan,
    /// The path action's weighting (`train.action`) on the compute device.
    pub action: PathAction,
    init: ModelInit<P>,
}

impl<P> PddObjective<P> {
    /// The objective of `train` for the predictor `init` builds (it must have a noise head for
    /// SA-PDD); `device` is where the forward-process operators live (the non-autodiff compute
    /// device).
    pub fn new(
        process: ForwardProcess,
        train: TrainConfig,
        plan: BatchPlan,
        device: &Device,
        init: ModelInit<P>,
    ) -> Result<Self> {
        let device_process = DeviceProcess::new(&process, device)?;
        let action = PathAction::new(train.action, &process, device)?;
        Ok(Self { process, device_process, train, plan, action, init })
    }

    /// Noised paths of micro-batch `m`: `(x_t, ε, t as floats, the action's scale at t)`.
    pub fn noised(
        &self,
        x0: Tensor<5>,
        m: u64,
    ) -> Result<(Tensor<5>, Tensor<5>, Tensor<1>, ActionScale)> {
        let b = x0.dims()[0];
        self.noised_shard(x0, m, &Shard::whole(b))
    }

    /// Noised paths of the rows `shard` of micro-batch `m` (`x0`: `[shard.len(), C, F, Ny,
    /// Nx]`): row `i` gets the diffusion index and the noise of row `shard.rows.start + i` of
    /// the whole micro-batch. Returns `(x_t, ε, t as floats, the action's scale at t)`.
    pub fn noised_shard(
        &self,
        x0: Tensor<5>,
        m: u64,
        shard: &Shard,
    ) -> Result<(Tensor<5>, Tensor<5>, Tensor<1>, ActionScale)> {
        let dims = x0.dims();
        let all = self.plan.diffusion_indices(m);
        if shard.rows.end > all.len().min(shard.of) || dims[0] != shard.len() {
            return Err(Error::shape(
                format!(
                    "PDD shard {:?} of a micro-batch of {} (plan batch {})",
                    shard.rows,
                    shard.of,
                    all.len()
                ),
                format!("[{}, C, F, Ny, Nx] paths", shard.len()),
                dims,
            ));
        }
        let t = all[shard.rows.clone()].to_vec();
        let host = white_noise_rows(&dims, self.plan.noise_seed(m), shard.rows.start);
        let device = x0.device();
        let eps =
            Tensor::from_data(TensorData::new(host.into_raw_vec_and_offset().0, dims), &device);
        let xt = self.device_process.q_sample_given_noise(x0, &t, eps.clone())?;
        let tf: Vec<f32> = t.iter().map(|&i| i as f32).collect();
        Ok((xt, eps, Tensor::from_floats(tf.as_slice(), &device), self.action.scale(&t)?))
    }

    /// Where the drift's increments end for the rows `shard` of micro-batch `m`: `None` for
    /// the noised path itself, `C_λ u₀` (the noise-free part of `x_t`) for
    /// [`DriftTarget::Denoised`].
    fn drift_target(&self, x0: Tensor<5>, m: u64, shard: &Shard) -> Result<Option<Tensor<5>>> {
        if self.train.drift_target == DriftTarget::Noised {
            return Ok(None);
        }
        let t = &self.plan.diffusion_indices(m)[shard.rows.clone()];
        self.device_process.coarse_grain(x0, t).map(Some)
    }
}

impl<P: Predictor + Module> TrainObjective for PddObjective<P> {
    type Model = P;

    fn init_model(&self, device: &Device) -> Result<P> {
        (self.init)(device)
    }

    fn loss(&self, model: &P, x0: Tensor<5>, m: u64) -> Result<LossParts> {
        let b = x0.dims()[0];
        self.shard_loss(model, x0, m, &Shard::whole(b))
    }

    fn shard_loss(&self, model: &P, x0: Tensor<5>, m: u64, shard: &Shard) -> Result<LossParts> {
        let (xt, eps, t, scale) = self.noised_shard(x0.clone(), m, shard)?;
        let next = self.drift_target(x0, m, shard)?;
        let weights = [self.train.drift_weight as f32, self.train.noise_weight as f32];
        Ok(match self.train.objective {
            Objective::Pdd => pdd_loss(model, xt, t, &scale, next),
            Objective::SaPdd => sa_pdd_loss(model, xt, t, &scale, eps, weights, next),
        })
    }

    fn on_device(&self, device: &Device) -> Result<Self> {
        Ok(Self {
            process: self.process.clone(),
            device_process: DeviceProcess::new(&self.process, device)?,
            train: self.train.clone(),
            plan: self.plan,
            action: PathAction::new(self.train.action, &self.process, device)?,
            init: self.init.clone(),
        })
    }
}
