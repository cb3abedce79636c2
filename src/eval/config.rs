//! The `[eval]` preset section.

use crate::error::{Error, Result};
use crate::sample::SrSource;
use serde::{Deserialize, Serialize};

fn d_samples() -> usize {
    100
}
fn d_seeds() -> usize {
    1
}
fn d_step() -> usize {
    6
}
fn d_sweep() -> Vec<f64> {
    vec![0.0, 0.05, 0.1, 0.2, 0.3, 0.5]
}
fn d_sr() -> f64 {
    0.2
}
fn d_batch() -> usize {
    10
}

/// What `pdd eval` computes (paper §5–§6: 100 test samples, L² at the 6th step, SR from λ = 0.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalConfig {
    /// Test trajectories used (capped by the test split).
    #[serde(default = "d_samples")]
    pub samples: usize,
    /// Generated paths per seed (default: `samples`); generation costs a reverse-λ run from
    /// λ = 1, so quick presets may ask for fewer.
    #[serde(default)]
    pub generation_samples: Option<usize>,
    /// Seeds of the stochastic tasks (generation, super-resolution); results are mean ± std
    /// over seeds.
    #[serde(default = "d_seeds")]
    pub seeds: usize,
    /// Simulation step at which the relative L² error is reported.
    #[serde(default = "d_step")]
    pub l2_step: usize,
    /// Scales of the metric-vs-λ sweep (Fig. 7).
    #[serde(default = "d_sweep")]
    pub sweep_lambdas: Vec<f64>,
    /// Start scale of super-resolution.
    #[serde(default = "d_sr")]
    pub sr_lambda: f64,
    /// Where the coarse input of super-resolution comes from.
    #[serde(default)]
    pub sr_source: SrSource,
    /// The split whose first `samples` paths are evaluated (`valid` to choose sampler settings
    /// such as the corrector's κ without touching the test paths).
    #[serde(default)]
    pub split: crate::io::Split,
    /// Paths per sampler call (memory bound).
    #[serde(default = "d_batch")]
    pub batch: usize,
}

impl Default for EvalConfig {
    fn default() -> Self {
        toml::from_str("").expect("all fields have defaults")
    }
}

impl EvalConfig {
    /// Checks the values, naming the offending field.
    pub fn validate(&self) -> Result<()> {
        let check = |ok: bool, f: &str, why: &str| {
            if ok { Ok(()) } else { Err(Error::config(format!("eval.{f}"), why)) }
        };
        check(self.samples > 0, "samples", "must be ≥ 1")?;
        check(self.generation_samples != Some(0), "generation_samples", "must be ≥ 1")?;
        check(self.seeds > 0, "seeds", "must be ≥ 1")?;
        check(self.l2_step > 0, "l2_step", "must be ≥ 1")?;
        check(self.batch > 0, "batch", "must be ≥ 1")?;
        check((0.0..=1.0).contains(&self.sr_lambda), "sr_lambda", "must be in [0, 1]")?;
        check(
            self.sweep_lambdas.iter().all(|l| (0.0..=1.0).contains(l)),
            "sweep_lambdas",
            "must be in [0, 1]",
        )?;
        Ok(())
    }
}
