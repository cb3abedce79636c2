//! What a training step minimises: the [`TrainObjective`] trait and the PDD / SA-PDD objective.

use super::batches::BatchPlan;
use super::config::{Objective, TrainConfig};
use crate::diffusion::{DeviceProcess, ForwardProcess};
use crate::error::Result;
use crate::predictor::{ActionScale, LossParts, PathAction, Predictor, pdd_loss, sa_pdd_loss};
use burn::module::Module;
use burn::prelude::*;
use std::sync::Arc;

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
        let mut t = self.plan.diffusion_indices(m);
        t.truncate(b);
        let (xt, eps) =
            self.device_process.q_sample_seeded(x0.clone(), &t, self.plan.noise_seed(m))?;
        let tf: Vec<f32> = t.iter().map(|&i| i as f32).collect();
        Ok((xt, eps, Tensor::from_floats(tf.as_slice(), &x0.device()), self.action.scale(&t)?))
    }
}

impl<P: Predictor + Module> TrainObjective for PddObjective<P> {
    type Model = P;

    fn init_model(&self, device: &Device) -> Result<P> {
        (self.init)(device)
    }

    fn loss(&self, model: &P, x0: Tensor<5>, m: u64) -> Result<LossParts> {
        let (xt, eps, t, scale) = self.noised(x0, m)?;
        Ok(match self.train.objective {
            Objective::Pdd => pdd_loss(model, xt, t, &scale),
            Objective::SaPdd => sa_pdd_loss(
                model,
                xt,
                t,
                &scale,
                eps,
                self.train.drift_weight as f32,
                self.train.noise_weight as f32,
            ),
        })
    }
}
