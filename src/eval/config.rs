//! The `[eval]` preset section.

use crate::error::{Error, Result};
use crate::sample::SrSource;
use serde::{Deserialize, Serialize};

/// What `pdd eval` computes (paper §5–§6: 100 test samples, L² at the 6th step, SR from λ = 0.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvalConfig {
    /// Test trajectories used (capped by the test split).
    pub samples: usize,
    /// Generated paths per seed (default: `samples`); generation costs a reverse-λ run from
    /// λ = 1, so quick presets may ask for fewer.
    pub generation_samples: Option<usize>,
    /// Seeds of the stochastic tasks (generation, super-resolution); results are mean ± std
    /// over seeds.
    pub seeds: usize,
    /// Simulation step at which the relative L² error is reported.
    pub l2_step: usize,
    /// Scales of the metric-vs-λ sweep (Fig. 7).
    pub sweep_lambdas: Vec<f64>,
    /// Start scale of super-resolution.
    pub sr_lambda: f64,
    /// Where the coarse input of super-resolution comes from.
    pub sr_source: SrSource,
    /// The split whose first `samples` paths are evaluated (`valid` to choose sampler settings
    /// such as the corrector's κ without touching the test paths).
    pub split: crate::io::Split,
    /// Paths per sampler call (memory bound).
    pub batch: usize,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            samples: 100,
            generation_samples: None,
            seeds: 1,
            l2_step: 6,
            sweep_lambdas: vec![0.0, 0.05, 0.1, 0.2, 0.3, 0.5],
            sr_lambda: 0.2,
            sr_source: Default::default(),
            split: Default::default(),
            batch: 10,
        }
    }
}

impl crate::validate::Ranges for EvalConfig {
    const SECTION: &'static str = "eval";
    const RULES: &'static [crate::validate::Rule] = {
        use crate::validate::Rule;
        &[
            Rule::range("samples", 1.0, 1e7),
            Rule::range("generation_samples", 1.0, 1e7),
            Rule::range("seeds", 1.0, 1e4),
            Rule::range("l2_step", 1.0, 1e6),
            Rule::range("sweep_lambdas[*]", 0.0, 1.0),
            Rule::range("sr_lambda", 0.0, 1.0),
            Rule::range("batch", 1.0, 1e6),
        ]
    };
}

impl EvalConfig {
    /// Checks the values ([`crate::validate`], docs/validation.md), naming the offending field.
    pub fn validate(&self) -> Result<()> {
        crate::validate::check(self)?;
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
