//! The `[train]` preset section (docs/reference.md §9).

use crate::error::{Error, Result};
use crate::predictor::Action;
use crate::validate::Rule;
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

/// What the drift's increments are regressed on (docs/method.md, "The denoised drift target").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DriftTarget {
    /// The noised path's own next frame, `x_{f+1} − x_f` (the paper's Eq. 8, the reference's).
    #[default]
    Noised,
    /// The next frame without its forward noise, `C_λ u₀,_{f+1} − x_f`: the same minimiser
    /// (frame `f + 1`'s noise is independent of the frames a causal predictor sees), without
    /// the irreducible noise term's variance in the loss and its gradient (pdd's option).
    Denoised,
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
    /// What the drift's increments are regressed on: `noised` (the paper's) or `denoised`
    /// (pdd's option: the same minimiser, a lower-variance loss; the same as `noised` for a
    /// process without forward noise).
    #[serde(default)]
    pub drift_target: DriftTarget,
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

impl crate::validate::Ranges for TrainConfig {
    const SECTION: &'static str = "train";
    const RULES: &'static [Rule] = &[
        Rule::at_least("steps", 1.0),
        Rule::at_least("batch_size", 1.0),
        Rule::at_least("grad_accum", 1.0),
        Rule::positive("lr"),
        Rule::range("beta1", 0.0, 1.0).open_above(),
        Rule::range("beta2", 0.0, 1.0).open_above(),
        Rule::range("eps", 0.0, 1e-2)
            .open_below()
            .because("Adam's ε only guards the division; a large one stops the weights moving"),
        Rule::range("ema_decay", 0.0, 1.0).open_above(),
        Rule::range("drift_weight", 0.0, 1e6),
        Rule::range("noise_weight", 0.0, 1e6),
        Rule::at_least("checkpoint_every", 1.0),
        Rule::at_least("log_every", 1.0),
        Rule::at_least("valid_every", 0.0),
        Rule::at_least("valid_batches", 0.0),
        Rule::any("seed"),
        Rule::at_least("crop_frames", 2.0),
    ];
}

impl TrainConfig {
    /// Checks the values ([`crate::validate`]: every field in its range, docs/validation.md)
    /// and their relations, naming the offending field.
    pub fn validate(&self) -> Result<()> {
        crate::validate::check(self)?;
        let check = |ok: bool, field: &str, why: &str| {
            if ok { Ok(()) } else { Err(Error::config(format!("train.{field}"), why)) }
        };
        check(
            self.valid_every == 0 || self.valid_batches > 0,
            "valid_batches",
            "must be ≥ 1 when train.valid_every > 0 (a validation loss over no batch is no loss)",
        )?;
        if self.objective == Objective::SaPdd {
            check(
                self.drift_weight + self.noise_weight > 0.0,
                "drift_weight",
                "and train.noise_weight are both 0: the SA-PDD loss would be 0 and nothing trains",
            )?;
        }
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

    fn quick() -> TrainConfig {
        let p = crate::presets::Preset::named("lorenz96-quick").unwrap();
        p.section("train").unwrap()
    }

    #[test]
    fn every_field_has_a_range() {
        let c = TrainConfig { ema_decay: Some(0.9), crop_frames: Some(4), ..quick() };
        assert!(crate::validate::uncovered(&c).is_empty(), "{:?}", crate::validate::uncovered(&c));
    }

    /// Issue #26 items 1 and 2: settings that trained "successfully" without training.
    #[test]
    fn settings_that_cannot_train_are_refused() {
        let e = |c: TrainConfig| c.validate().unwrap_err().to_string();
        assert!(e(TrainConfig { eps: f64::INFINITY, ..quick() }).contains("`train.eps`"));
        assert!(e(TrainConfig { eps: 1.0, ..quick() }).contains("`train.eps`"));
        assert!(e(TrainConfig { drift_weight: f64::INFINITY, ..quick() }).contains("drift_weight"));
        let sa = TrainConfig { objective: Objective::SaPdd, ..quick() };
        let zero = TrainConfig { drift_weight: 0.0, noise_weight: 0.0, ..sa.clone() };
        assert!(e(zero).contains("`train.drift_weight`"));
        assert!(TrainConfig { drift_weight: 0.0, ..sa }.validate().is_ok());
        let none = TrainConfig { valid_every: 5, valid_batches: 0, ..quick() };
        assert!(e(none).contains("`train.valid_batches`"));
        assert!(TrainConfig { valid_every: 0, valid_batches: 0, ..quick() }.validate().is_ok());
    }
}
