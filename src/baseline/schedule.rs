//! The variance-preserving DDPM noise schedule (Ho et al. 2020).
//!
//! Indices `t = 0 … T−1` (Ho's `t = 1 … T`): `β_t` linear from `β_start` to `β_end`,
//! `ᾱ_t = Π_{s ≤ t} (1 − β_s)`, and the forward marginal
//! `q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I)`. Tables are f64; the device side is f32.

use crate::error::{Error, Result};
use burn::prelude::*;

/// The tables of a linear-β variance-preserving schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct DdpmSchedule {
    beta: Vec<f64>,
    alpha_bar: Vec<f64>,
}

impl DdpmSchedule {
    /// `steps` values of `β` spaced linearly from `beta_start` to `beta_end` (inclusive).
    /// Needs `steps ≥ 2` and `0 < beta_start ≤ beta_end < 1`.
    pub fn linear(steps: usize, beta_start: f64, beta_end: f64) -> Result<Self> {
        if steps < 2 {
            return Err(Error::config("ddpm.steps", "must be ≥ 2"));
        }
        if !(beta_start > 0.0 && beta_start <= beta_end && beta_end < 1.0) {
            return Err(Error::config(
                "ddpm.beta_start",
                format!("need 0 < beta_start ≤ beta_end < 1, got {beta_start} and {beta_end}"),
            ));
        }
        let beta: Vec<f64> = (0..steps)
            .map(|t| beta_start + (beta_end - beta_start) * t as f64 / (steps - 1) as f64)
            .collect();
        let alpha_bar = beta
            .iter()
            .scan(1.0, |acc, b| {
                *acc *= 1.0 - b;
                Some(*acc)
            })
            .collect();
        Ok(Self { beta, alpha_bar })
    }

    /// The standard schedule: `T = 1000`, `β` from `1e−4` to `0.02`.
    pub fn standard() -> Self {
        Self::linear(1000, 1e-4, 0.02).expect("the standard schedule is valid")
    }

    /// Number of indices `T`.
    pub fn steps(&self) -> usize {
        self.beta.len()
    }

    /// `β_t`.
    pub fn beta(&self, t: usize) -> f64 {
        self.beta[t]
    }

    /// `ᾱ_t = Π_{s ≤ t} (1 − β_s)`; `ᾱ_{−1} = 1` is written [`alpha_bar_before`](Self::alpha_bar_before).
    pub fn alpha_bar(&self, t: usize) -> f64 {
        self.alpha_bar[t]
    }

    /// `ᾱ_{t−1}`, with `ᾱ_{−1} = 1` (the clean data) for `t = 0`.
    pub fn alpha_bar_before(&self, t: usize) -> f64 {
        if t == 0 { 1.0 } else { self.alpha_bar[t - 1] }
    }

    /// Variance of the posterior `q(x_{t−1} | x_t, x_0)`:
    /// `β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t` (`β̃_0 = 0`).
    pub fn posterior_variance(&self, t: usize) -> f64 {
        (1.0 - self.alpha_bar_before(t)) / (1.0 - self.alpha_bar[t]) * self.beta[t]
    }

    /// Fails with a clear error unless `t < T`.
    pub fn check_index(&self, t: usize) -> Result<()> {
        if t < self.steps() {
            Ok(())
        } else {
            Err(Error::OutOfRange {
                name: "DDPM index".into(),
                value: t as f64,
                range: format!("0 … {}", self.steps() - 1),
            })
        }
    }

    /// A draw of `q(x_t | x_0)`: `√ᾱ_t x_0 + √(1 − ᾱ_t) ε` with one index per example.
    ///
    /// `x0`, `eps`: `[N, …]` (same shape); `t`: `N` indices. Returns `[N, …]`.
    pub fn q_sample<const D: usize>(
        &self,
        x0: Tensor<D>,
        eps: Tensor<D>,
        t: &[usize],
    ) -> Result<Tensor<D>> {
        let n = x0.dims()[0];
        if eps.dims() != x0.dims() || t.len() != n {
            return Err(Error::shape(
                "DdpmSchedule::q_sample: x0, eps and one index per example",
                format!("{:?} twice and {n} indices", x0.dims()),
                format!("{:?} and {} indices", eps.dims(), t.len()),
            ));
        }
        t.iter().try_for_each(|&i| self.check_index(i))?;
        let device = x0.device();
        let signal = per_example::<D>(t.iter().map(|&i| self.alpha_bar[i].sqrt()), &device);
        let noise = per_example::<D>(t.iter().map(|&i| (1.0 - self.alpha_bar[i]).sqrt()), &device);
        Ok(x0 * signal + eps * noise)
    }
}

/// Per-example coefficients as a `[N, 1, …, 1]` tensor (broadcasts over an example's entries).
fn per_example<const D: usize>(values: impl Iterator<Item = f64>, device: &Device) -> Tensor<D> {
    let v: Vec<f32> = values.map(|x| x as f32).collect();
    let mut shape = [1usize; D];
    shape[0] = v.len();
    Tensor::from_data(TensorData::new(v, shape), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms_at_the_ends_and_monotone() {
        let s = DdpmSchedule::standard();
        assert_eq!(s.steps(), 1000);
        assert!((s.alpha_bar(0) - (1.0 - 1e-4)).abs() < 1e-15);
        assert!((s.beta(999) - 0.02).abs() < 1e-15);
        // ᾱ_{T−1} of the standard schedule, computed independently with NumPy:
        // np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))[-1] = 4.035829765e-05
        assert!((s.alpha_bar(999) / 4.035_829_765e-5 - 1.0).abs() < 1e-8, "{}", s.alpha_bar(999));
        assert!((1..1000).all(|t| s.alpha_bar(t) < s.alpha_bar(t - 1)));
        assert_eq!(s.posterior_variance(0), 0.0);
        assert!(
            (1..1000).all(|t| s.posterior_variance(t) > 0.0 && s.posterior_variance(t) < s.beta(t))
        );
        assert!(DdpmSchedule::linear(1, 1e-4, 0.02).is_err());
        assert!(
            DdpmSchedule::linear(10, 0.02, 1e-4)
                .unwrap_err()
                .to_string()
                .contains("ddpm.beta_start")
        );
        assert!(s.check_index(1000).is_err());
    }
}
