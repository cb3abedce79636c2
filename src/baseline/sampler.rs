//! The reverse DDPM chain: ancestral sampling (Ho et al. 2020), optionally on a strided index
//! sequence (Nichol & Dhariwal 2021), or deterministic DDIM (Song et al. 2021).
//!
//! The chain visits `τ = T−1, T−1−s, …, τ_last` (stride `s`, "trailing" spacing, so it always
//! starts at the index where the prior `N(0, I)` is matched) and ends with a step to the clean
//! data (`ᾱ = 1`, no noise). A step from `t` to the next index `p` uses `β'_t = 1 − ᾱ_t/ᾱ_p`
//! (`= β_t` for `s = 1`), the clean estimate `x̂_0 = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t` and
//!
//! ```text
//! ancestral:  x_p = (x_t − β'_t/√(1−ᾱ_t) ε̂)/√(1−β'_t) + σ z,  σ² = β'_t ("large", Ho's CIFAR-10
//!             choice) or β̃'_t = (1−ᾱ_p)/(1−ᾱ_t) β'_t ("small", the exact posterior variance)
//! DDIM:       x_p = √ᾱ_p x̂_0 + √(1−ᾱ_p) ε̂
//! ```
//!
//! For `s = 1` the ancestral steps are exactly Ho et al.'s. With few steps the choice matters:
//! with the exact ε̂ of Gaussian data (`tests/ddpm.rs`) 20 steps end within about ±12 % of the
//! data variance for "large", −39 % for "small", −26 % for DDIM; the full chain within 2 %.
use super::schedule::DdpmSchedule;
use crate::diffusion::white_noise;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::rng;
use burn::prelude::*;
use rand::Rng;
use serde::{Deserialize, Serialize};

const CHAIN: u64 = 0x4444_504d; // stream tag of the chain's noise

/// How each reverse step is taken (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReverseStep {
    /// Ancestral sampling with `σ² = β'_t` (Ho et al.'s "fixed large" variance).
    #[default]
    Ancestral,
    /// Ancestral sampling with the posterior variance `σ² = β̃'_t` ("fixed small").
    AncestralSmall,
    /// Deterministic DDIM (η = 0).
    Ddim,
}

/// One reverse step `x ← a·x + b·ε̂(x, t) + σ·z`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainStep {
    /// Index the network is evaluated at.
    pub t: usize,
    /// Coefficient of the state.
    pub a: f64,
    /// Coefficient of the predicted noise.
    pub b: f64,
    /// Standard deviation of the fresh noise (0 on the last step and for DDIM).
    pub sigma: f64,
}

/// The reverse-chain sampler: a schedule, the index stride and the step rule.
#[derive(Debug, Clone, PartialEq)]
pub struct DdpmSampler {
    /// The noise schedule the model was trained with.
    pub schedule: DdpmSchedule,
    /// Index stride `s ≥ 1` (1: all `T` steps).
    pub stride: usize,
    /// The step rule.
    pub method: ReverseStep,
}

impl DdpmSampler {
    /// The steps of the chain, from `t = T − 1` down (their number is the number of network
    /// calls per sample: `⌈T / stride⌉`).
    pub fn steps(&self) -> Result<Vec<ChainStep>> {
        let t_max = self.schedule.steps();
        if self.stride == 0 || self.stride >= t_max {
            return Err(Error::config(
                "ddpm.stride",
                format!("{} must be in 1 … {}", self.stride, t_max - 1),
            ));
        }
        let taus: Vec<usize> = (0..t_max).rev().step_by(self.stride).collect();
        Ok(taus
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let ab = self.schedule.alpha_bar(t);
                let ap = taus.get(i + 1).map_or(1.0, |&p| self.schedule.alpha_bar(p));
                let a = (ap / ab).sqrt();
                let beta = 1.0 - ab / ap;
                let mean_b = -a * beta / (1.0 - ab).sqrt(); // posterior mean
                let last = i + 1 == taus.len(); // to the clean data: no noise
                let (b, var) = match self.method {
                    ReverseStep::Ddim => ((1.0 - ap).sqrt() - a * (1.0 - ab).sqrt(), 0.0),
                    ReverseStep::Ancestral => (mean_b, if last { 0.0 } else { beta }),
                    ReverseStep::AncestralSmall => (mean_b, (1.0 - ap) / (1.0 - ab) * beta),
                };
                ChainStep { t, a, b, sigma: var.sqrt() }
            })
            .collect())
    }

    /// Runs the chain on a batch of `shape = [N, C, Ny, Nx]`: draws `x_{T−1} ~ N(0, I)`, applies
    /// every [`ChainStep`] with `eps(x_t [N, C, Ny, Nx], t [N] as floats) → ε̂ [N, C, Ny, Nx]`,
    /// and returns the sample `[N, C, Ny, Nx]`. All noise comes from `seed` (example `n` uses its
    /// own streams, so a sample does not depend on the batch it is drawn in). Advances
    /// `progress` by one per network call. Fails if the sample is not finite.
    pub fn sample(
        &self,
        shape: [usize; 4],
        device: &Device,
        seed: u64,
        eps: &mut dyn FnMut(Tensor<4>, Tensor<1>) -> Tensor<4>,
        progress: &dyn Progress,
    ) -> Result<Tensor<4>> {
        let steps = self.steps()?;
        let mut x = gaussian(shape, noise_seed(seed, 0), device);
        for (k, s) in steps.iter().enumerate() {
            let t = Tensor::<1>::full([shape[0]], s.t as f32, device);
            let e = eps(x.clone(), t);
            if e.dims() != shape {
                return Err(Error::shape(
                    "DDPM ε-predictor output",
                    format!("{shape:?}"),
                    e.dims(),
                ));
            }
            x = x.mul_scalar(s.a as f32) + e.mul_scalar(s.b as f32);
            if s.sigma > 0.0 {
                x = x + gaussian(shape, noise_seed(seed, k as u64 + 1), device)
                    .mul_scalar(s.sigma as f32);
            }
            progress.advance(1);
        }
        if !x.clone().is_finite().all().into_scalar::<bool>() {
            return Err(Error::NonFinite {
                context: "DDPM reverse chain (the model diverged)".into(),
            });
        }
        Ok(x)
    }
}

/// Seed of the noise drawn at chain position `k` (0: the prior) of a chain seeded `seed`.
fn noise_seed(seed: u64, k: u64) -> u64 {
    rng::stream(seed ^ CHAIN, k).random()
}

/// Standard normal `[N, …]` from host streams (one per example), on `device`.
pub(crate) fn gaussian<const D: usize>(shape: [usize; D], seed: u64, device: &Device) -> Tensor<D> {
    let host = white_noise(&shape, seed);
    Tensor::from_data(TensorData::new(host.into_raw_vec_and_offset().0, shape), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_ancestral_chain_is_ho_et_al() {
        let s = DdpmSchedule::standard();
        let chain =
            |method| DdpmSampler { schedule: s.clone(), stride: 1, method }.steps().unwrap();
        let (large, small) = (chain(ReverseStep::Ancestral), chain(ReverseStep::AncestralSmall));
        assert_eq!(large.len(), 1000);
        for (l, sm) in large.iter().zip(&small) {
            let (beta, ab) = (s.beta(l.t), s.alpha_bar(l.t));
            let alpha = 1.0 - beta;
            // μ = (x_t − β_t/√(1−ᾱ_t) ε̂)/√α_t
            assert!((l.a - 1.0 / alpha.sqrt()).abs() < 1e-9, "t {}", l.t);
            assert!(
                (l.b + beta / (alpha.sqrt() * (1.0 - ab).sqrt())).abs() < 1e-9,
                "t {}: {}",
                l.t,
                l.b
            );
            assert_eq!((sm.a, sm.b), (l.a, l.b));
            if l.t > 0 {
                assert!((l.sigma * l.sigma - beta).abs() < 1e-12);
                assert!((sm.sigma * sm.sigma - s.posterior_variance(l.t)).abs() < 1e-12);
            }
        }
        assert_eq!((large[999].sigma, small[999].sigma), (0.0, 0.0));
        let ddim =
            DdpmSampler { schedule: s, stride: 50, method: ReverseStep::Ddim }.steps().unwrap();
        assert_eq!(ddim.iter().map(|c| c.t).take(3).collect::<Vec<_>>(), vec![999, 949, 899]);
        assert_eq!((ddim.len(), ddim.last().unwrap().t), (20, 49));
        assert!(ddim.iter().all(|c| c.sigma == 0.0));
    }
}
