//! The `[train]` preset section (docs/reference.md §9).

use crate::error::{Error, Result};
use crate::predictor::Action;
use serde::{Deserialize, Serialize};

/// Which objective is minimised.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    Default,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Objective {
    /// PDD: the `1/σ²_λ`-weighted increment regression (docs/reference.md §4.1).
    #[default]
    Pdd,
    /// SA-PDD: PDD plus a noise head trained by ε-regression (docs/reference.md §4.2).
    SaPdd,
}

impl Objective {
    /// The preset / command-line spelling (`pdd`, `sa-pdd`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The paper's name (`PDD`, `SA-PDD`), for reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pdd => "PDD",
            Self::SaPdd => "SA-PDD",
        }
    }
}

impl std::str::FromStr for Objective {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        crate::error::parse_named(s, "train.objective", "objective")
    }
}

fn d_accum() -> usize {
    2
}
fn d_lr() -> f64 {
    2e-4
}
fn d_beta1() -> f64 {
    0.9
}
fn d_beta2() -> f64 {
    0.999
}
fn d_eps() -> f64 {
    1e-8
}
fn d_drift_w() -> f64 {
    0.1
}
fn d_noise_w() -> f64 {
    1.0
}
fn d_log() -> usize {
    10
}
fn d_valid_batches() -> usize {
    2
}

/// Which per-channel constants standardise the data (`x = (X − μ)/σ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Normalization {
    /// The training-split statistics stored in the dataset file.
    #[default]
    Dataset,
    /// The reference's constants (docs/reference.md §7: Lorenz-96 μ = (2.62, 0.0887),
    /// σ = (4.08, 0.261); Kolmogorov −0.0304 / 4.58).
    Reference,
}

/// Training hyper-parameters. Defaults are the reference's (docs/reference.md §9.1): Adam
/// `lr = 2e−4`, `β = (0.9, 0.999)`, `ε = 1e−8` (PyTorch's; burn's default would be 1e−5),
/// 2 accumulated micro-batches per step, no EMA, no schedule, no clipping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Optimiser steps (the reference runs steps 1 ..= 30 001).
    pub steps: usize,
    /// Trajectories per micro-batch (50 for Lorenz-96, 40 for Kolmogorov).
    pub batch_size: usize,
    /// Micro-batches accumulated per optimiser step (each loss divided by this).
    #[serde(default = "d_accum")]
    pub grad_accum: usize,
    /// Adam learning rate.
    #[serde(default = "d_lr")]
    pub lr: f64,
    /// Adam β₁.
    #[serde(default = "d_beta1")]
    pub beta1: f64,
    /// Adam β₂.
    #[serde(default = "d_beta2")]
    pub beta2: f64,
    /// Adam ε.
    #[serde(default = "d_eps")]
    pub eps: f64,
    /// EMA decay of a shadow copy of the weights (the reference's EMA never updates: off).
    #[serde(default)]
    pub ema_decay: Option<f64>,
    /// The objective.
    #[serde(default)]
    pub objective: Objective,
    /// The path action's residual weighting: `scalar` (the paper's one `σ_λ` for every mode)
    /// or `spectral` (each Fourier mode by `Q̂_λ(k)^{−1/2}`, pdd's option; see
    /// [`Action`](crate::predictor::Action)). The score used for sampling follows it.
    #[serde(default)]
    pub action: Action,
    /// SA-PDD weight of the drift term.
    #[serde(default = "d_drift_w")]
    pub drift_weight: f64,
    /// SA-PDD weight of the noise term.
    #[serde(default = "d_noise_w")]
    pub noise_weight: f64,
    /// Write a checkpoint every this many steps (and at the last step).
    pub checkpoint_every: usize,
    /// Log the loss every this many steps.
    #[serde(default = "d_log")]
    pub log_every: usize,
    /// Compute the validation loss every this many steps (0: never).
    #[serde(default)]
    pub valid_every: usize,
    /// Micro-batches of the validation split used for the validation loss.
    #[serde(default = "d_valid_batches")]
    pub valid_batches: usize,
    /// Seed of every random choice (batches, diffusion indices, noise, initial weights).
    pub seed: u64,
    /// Train on random windows of this many consecutive frames instead of whole trajectories
    /// (a documented deviation for the quick presets: more trajectories per step at the same
    /// cost; `None` = whole trajectories, as the reference).
    #[serde(default)]
    pub crop_frames: Option<usize>,
    /// Standardisation constants.
    #[serde(default)]
    pub normalization: Normalization,
}

impl TrainConfig {
    /// Checks the values, naming the offending field.
    pub fn validate(&self) -> Result<()> {
        let check = |ok: bool, field: &str, why: &str| {
            if ok { Ok(()) } else { Err(Error::config(format!("train.{field}"), why)) }
        };
        check(self.steps > 0, "steps", "must be ≥ 1")?;
        check(self.batch_size > 0, "batch_size", "must be ≥ 1")?;
        check(self.grad_accum > 0, "grad_accum", "must be ≥ 1")?;
        check(self.lr > 0.0 && self.lr.is_finite(), "lr", "must be positive")?;
        check((0.0..1.0).contains(&self.beta1), "beta1", "must be in [0, 1)")?;
        check((0.0..1.0).contains(&self.beta2), "beta2", "must be in [0, 1)")?;
        check(self.eps > 0.0, "eps", "must be positive")?;
        check(
            self.ema_decay.is_none_or(|d| (0.0..1.0).contains(&d)),
            "ema_decay",
            "must be in [0, 1)",
        )?;
        check(self.checkpoint_every > 0, "checkpoint_every", "must be ≥ 1")?;
        check(self.log_every > 0, "log_every", "must be ≥ 1")?;
        check(self.crop_frames.is_none_or(|c| c >= 2), "crop_frames", "must be ≥ 2")?;
        check(
            self.drift_weight >= 0.0 && self.noise_weight >= 0.0,
            "drift_weight",
            "weights must be ≥ 0",
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_reference() {
        let c: TrainConfig = toml::from_str(
            "steps = 30001\nbatch_size = 50\ncheckpoint_every = 2000\nseed = 771155\n",
        )
        .unwrap();
        assert_eq!((c.grad_accum, c.lr, c.eps, c.ema_decay), (2, 2e-4, 1e-8, None));
        assert!(c.validate().is_ok());
        let bad = TrainConfig { lr: -1.0, ..c };
        assert!(bad.validate().unwrap_err().to_string().contains("train.lr"));
    }
}
