//! The `[ddpm]` preset section: the noise schedule and the sampler of the DDPM baselines.

use super::sampler::{DdpmSampler, ReverseStep};
use super::schedule::DdpmSchedule;
use crate::error::{Error, Result};
use crate::presets::Preset;
use serde::{Deserialize, Serialize};

/// Settings of the DDPM baselines. Defaults are Ho et al. (2020): `T = 1000`, linear `β` from
/// `1e−4` to `0.02`, ancestral sampling through every index (`stride = 1`) with `σ_t² = β_t`.
///
/// ```toml
/// [ddpm]
/// steps = 1000       # T
/// beta_start = 1e-4
/// beta_end = 0.02
/// stride = 20        # sample with every 20th index: 50 network calls per sample
/// method = "ancestral"  # or "ancestral-small" (σ² = β̃), "ddim" (deterministic)
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdpmConfig {
    /// Number of diffusion indices `T`.
    pub steps: usize,
    /// `β_0`.
    pub beta_start: f64,
    /// `β_{T−1}`.
    pub beta_end: f64,
    /// Sampling visits indices `T−1, T−1−stride, …` (see [`DdpmSampler`]); 1 is the full chain.
    pub stride: usize,
    /// The reverse step rule (see [`ReverseStep`]).
    pub method: ReverseStep,
}

impl Default for DdpmConfig {
    fn default() -> Self {
        Self {
            steps: 1000,
            beta_start: 1e-4,
            beta_end: 0.02,
            stride: 1,
            method: Default::default(),
        }
    }
}

impl crate::validate::Ranges for DdpmConfig {
    const SECTION: &'static str = "ddpm";
    const RULES: &'static [crate::validate::Rule] = {
        use crate::validate::Rule;
        &[
            Rule::range("steps", 2.0, 1e7),
            Rule::range("beta_start", 0.0, 1.0).open_below().open_above(),
            Rule::range("beta_end", 0.0, 1.0).open_below().open_above(),
            Rule::at_least("stride", 1.0),
        ]
    };
}

impl DdpmConfig {
    /// The preset's `[ddpm]` section, or the defaults if it has none.
    pub fn from_preset(preset: &Preset) -> Result<Self> {
        let cfg =
            if preset.has_section("ddpm") { preset.section("ddpm")? } else { Self::default() };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the values ([`crate::validate`], docs/validation.md), naming the offending field.
    pub fn validate(&self) -> Result<()> {
        crate::validate::check(self)?;
        self.schedule()?;
        if self.stride == 0 || self.stride >= self.steps {
            return Err(Error::config(
                "ddpm.stride",
                format!("must be in 1 … {} (T − 1)", self.steps - 1),
            ));
        }
        Ok(())
    }

    /// The noise schedule.
    pub fn schedule(&self) -> Result<DdpmSchedule> {
        DdpmSchedule::linear(self.steps, self.beta_start, self.beta_end)
    }

    /// The sampler (schedule, stride and step rule).
    pub fn sampler(&self) -> Result<DdpmSampler> {
        self.validate()?;
        Ok(DdpmSampler { schedule: self.schedule()?, stride: self.stride, method: self.method })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_ho_et_al_and_bad_values_are_named() {
        let c = DdpmConfig::default();
        assert_eq!(
            (c.steps, c.beta_start, c.beta_end, c.stride, c.method),
            (1000, 1e-4, 0.02, 1, ReverseStep::Ancestral)
        );
        assert!(c.validate().is_ok());
        let ddim: DdpmConfig = toml::from_str("method = \"ddim\"\nstride = 10").unwrap();
        assert_eq!(ddim.sampler().unwrap().steps().unwrap().len(), 100);
        let bad = DdpmConfig { steps: 1, ..c.clone() };
        assert!(bad.validate().unwrap_err().to_string().contains("ddpm.steps"));
        let bad = DdpmConfig { stride: 1000, ..c };
        assert!(bad.validate().unwrap_err().to_string().contains("ddpm.stride"));
        assert!(toml::from_str::<DdpmConfig>("strides = 3").is_err());
    }

    #[test]
    fn every_preset_has_a_valid_ddpm_section() {
        for name in Preset::names() {
            let p = Preset::named(name).unwrap();
            assert!(p.has_section("ddpm"), "{name}");
            let c = DdpmConfig::from_preset(&p).unwrap();
            assert_eq!(c.stride, if name.ends_with("paper") { 1 } else { 20 }, "{name}");
        }
    }
}
