//! Which ablation to run ([`AblationKind`]) and its settings ([`AblationOptions`]).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// One of the paper's ablation studies (see the [module docs](super)).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum AblationKind {
    /// Fig. 10: simulation with the transition noise σ_λ > 0 (Eq. 6, 58), no new training.
    Noise,
    /// Figs. 11–12: the history window (Mori–Zwanzig memory at coarse λ).
    Window,
    /// Figs. 13–14: α = 0 with a mass term γ > 0 (Eq. 67) against the preset's α.
    Laplacian,
    /// Figs. 15–16: noise-free coarse-graining `u_λ = C_λ u₀` (Eq. 68).
    CoarseGraining,
}

impl AblationKind {
    /// Every study, in the paper's order.
    pub const ALL: &'static [AblationKind] = <AblationKind as strum::VariantArray>::VARIANTS;

    /// The name on the command line and in file names (`noise`, `window`, `laplacian`,
    /// `coarse-graining`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The paper's figures of this study.
    pub fn figures(self) -> &'static str {
        match self {
            AblationKind::Noise => "Fig. 10",
            AblationKind::Window => "Figs. 11–12",
            AblationKind::Laplacian => "Figs. 13–14",
            AblationKind::CoarseGraining => "Figs. 15–16",
        }
    }

    /// The study called `name` ([`name`](Self::name)); an error lists the known ones.
    pub fn parse(name: &str) -> Result<Self> {
        crate::error::parse_named(name, "ablation study", "study")
    }
}

impl std::str::FromStr for AblationKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// Settings of the studies (the defaults follow the paper).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AblationOptions {
    /// History windows of the window study (Figs. 11–12: 1, 5, 15); each must be ≥ 1 and
    /// shorter than the test paths.
    pub windows: Vec<usize>,
    /// Scales at which the window and Laplacian studies simulate (default 0 and 0.2).
    pub lambdas: Vec<f64>,
    /// Scales of the noisy simulation (Fig. 10: 0.2 and 0.4).
    pub noise_lambdas: Vec<f64>,
    /// γ of the α = 0 variant (Eq. 67); must be > 0. Default 1: `C_λ = e^{−λ}`, every mode
    /// alike.
    pub mass_factor: f64,
    /// Seed of the noisy simulation and of the samplers.
    pub seed: u64,
}

impl Default for AblationOptions {
    fn default() -> Self {
        Self {
            windows: vec![1, 5, 15],
            lambdas: vec![0.0, 0.2],
            noise_lambdas: vec![0.2, 0.4],
            mass_factor: 1.0,
            seed: 0,
        }
    }
}

impl crate::validate::Ranges for AblationOptions {
    const SECTION: &'static str = "ablation";
    const RULES: &'static [crate::validate::Rule] = {
        use crate::validate::Rule;
        &[
            Rule::at_least("windows[*]", 1.0),
            Rule::range("lambdas[*]", 0.0, 1.0).open_above(),
            Rule::range("noise_lambdas[*]", 0.0, 1.0).open_above(),
            Rule::range("mass_factor", 0.0, 1e6),
            Rule::any("seed"),
        ]
    };
}

impl AblationOptions {
    /// Checks the settings of every study against test paths of `frames` frames; the error
    /// names the field (`ablation.windows`, …).
    pub fn validate(&self, frames: usize) -> Result<()> {
        AblationKind::ALL.iter().try_for_each(|&k| self.validate_for(k, frames))
    }

    /// Checks the ranges of every setting ([`crate::validate`]) and the settings study `kind`
    /// uses against test paths of `frames` frames: a study is not refused over a setting it
    /// never reads (the Laplacian study over `ablation.windows`, say).
    pub fn validate_for(&self, kind: AblationKind, frames: usize) -> Result<()> {
        crate::validate::check(self)?;
        match kind {
            AblationKind::Window => {
                self.check_windows(frames)?;
                check_lambdas("ablation.lambdas", &self.lambdas)
            }
            AblationKind::Laplacian => {
                check_lambdas("ablation.lambdas", &self.lambdas)?;
                self.check_mass()
            }
            AblationKind::Noise => check_lambdas("ablation.noise_lambdas", &self.noise_lambdas),
            AblationKind::CoarseGraining => Ok(()),
        }
    }

    fn check_windows(&self, frames: usize) -> Result<()> {
        if self.windows.is_empty() {
            return Err(Error::config("ablation.windows", "needs at least one window"));
        }
        if let Some(&w) = self.windows.iter().find(|&&w| w == 0 || w >= frames) {
            return Err(Error::config(
                "ablation.windows",
                format!(
                    "window {w} must be in 1 ..= {} (the test paths have {frames} frames)",
                    frames.saturating_sub(1)
                ),
            ));
        }
        Ok(())
    }

    fn check_mass(&self) -> Result<()> {
        if !(self.mass_factor.is_finite() && self.mass_factor > 0.0) {
            return Err(Error::config(
                "ablation.mass_factor",
                format!(
                    "γ = {} must be > 0: with α = 0 and γ = 0 the process has no damping (Eq. 67)",
                    self.mass_factor
                ),
            ));
        }
        Ok(())
    }
}

fn check_lambdas(field: &str, lambdas: &[f64]) -> Result<()> {
    if lambdas.is_empty() {
        return Err(Error::config(field, "needs at least one λ"));
    }
    if let Some(l) = lambdas.iter().find(|l| !(0.0..1.0).contains(*l)) {
        return Err(Error::config(field, format!("λ = {l} must be in [0, 1)")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #26 item 13: a study is not refused over a setting it never reads.
    #[test]
    fn each_study_checks_only_what_it_uses() {
        let long = AblationOptions { windows: vec![1, 5, 15], ..AblationOptions::default() };
        for kind in [AblationKind::Laplacian, AblationKind::Noise, AblationKind::CoarseGraining] {
            long.validate_for(kind, 12).unwrap();
        }
        let e = long.validate_for(AblationKind::Window, 12).unwrap_err().to_string();
        assert!(e.contains("ablation.windows"), "{e}");
        let massless = AblationOptions { mass_factor: 0.0, ..AblationOptions::default() };
        massless.validate_for(AblationKind::Window, 32).unwrap();
        let e = massless.validate_for(AblationKind::Laplacian, 32).unwrap_err().to_string();
        assert!(e.contains("ablation.mass_factor"), "{e}");
        let nan = AblationOptions { lambdas: vec![f64::NAN], ..AblationOptions::default() };
        let e = nan.validate_for(AblationKind::Noise, 32).unwrap_err().to_string();
        assert!(e.contains("`ablation.lambdas[0]`") && e.contains("finite"), "{e}");
    }
}
