//! The ETD1 (exponential time differencing) step of the reverse-λ process (spec
//! docs/reference.md §5.1–5.2).
//!
//! With `τ = −λ`, the reverse SDE is `dx/dτ = −M x + β² ∇ log p_λ(x) + β dW̄`. Freezing the score
//! over one step `Δλ = 1/T` and integrating the linear part exactly gives, mode-wise,
//!
//! ```text
//! mean = Re F⁻¹{ Astep_k F{x} + Δλ β² φ1_k F{s} },   Astep_k = e^{−ℓ_k Δλ},  φ1(z) = (e^z − 1)/z.
//! ```
//!
//! Only the mean is computed here; the sampler adds `β √Δλ ξ` (white), the frame-0 extrapolation,
//! mean removal and clamping of the reference.

use super::device::DeviceProcess;
use super::process::ForwardProcess;
use crate::error::{Error, Result};
use burn::prelude::*;
use ndarray::{ArrayD, ArrayViewD, IxDyn};

/// `|z|` below which the ETD1 coefficient `φ1(z)` is taken as its limit 1 (docs/reference.md §2.6).
const SMALL_Z: f64 = 1e-8;

/// `φ1(z) = (e^z − 1)/z`, 1 for `|z| < 1e−8`.
pub fn phi1(z: f64) -> f64 {
    if z.abs() >= SMALL_Z { z.exp_m1() / z } else { 1.0 }
}

/// The ETD1 multipliers of a reverse step of length `dl` for the modes with eigenvalues
/// `eigenvalues` (`ℓ_k ≤ 0`, half spectrum): `(Astep_k = e^{−ℓ_k Δλ}, Δλ β² φ1(−ℓ_k Δλ))`.
pub fn etd1_multipliers(eigenvalues: &[f64], beta2: f64, dl: f64) -> (Vec<f32>, Vec<f32>) {
    eigenvalues
        .iter()
        .map(|&l| ((-l * dl).exp() as f32, (dl * beta2 * phi1(-l * dl)) as f32))
        .unzip()
}

impl ForwardProcess {
    /// The ETD1 mean `Re F⁻¹{ Astep ⊙ F{x} + Δλ β² φ1 ⊙ F{score} }` of one reverse step.
    ///
    /// `x`, `score`: `[B, C, F, *grid]` (same shape). Errors on shape mismatch or NaN/∞.
    pub fn etd1_mean(&self, x: &ArrayViewD<f32>, score: &ArrayViewD<f32>) -> Result<ArrayD<f32>> {
        let cx = self.grid().checked_batch(x, "etd1 x")?;
        let cs = self.grid().checked_batch(score, "etd1 score")?;
        if x.shape() != score.shape() {
            return Err(Error::shape("etd1 score (same shape as x)", x.shape(), score.shape()));
        }
        let rows = vec![(self.etd_astep(), self.etd_score_factor()); cx.shape.batch];
        let out = self.spectral_combine(&cx.shape, cx.as_slice(), Some(cs.as_slice()), &rows);
        Ok(ArrayD::from_shape_vec(IxDyn(x.shape()), out).expect("same shape"))
    }
}

impl DeviceProcess {
    /// The ETD1 mean of one reverse step on the device (see
    /// [`ForwardProcess::etd1_mean`]). `x`, `score`: `[B, C, F, Ny, Nx]`.
    pub fn etd1_mean(&self, x: Tensor<5>, score: Tensor<5>) -> Result<Tensor<5>> {
        let d = self.basis().check(&x, "DeviceProcess::etd1_mean x")?;
        if score.dims() != d {
            return Err(Error::shape(
                "DeviceProcess::etd1_mean score (same shape as x)",
                d,
                score.dims(),
            ));
        }
        let basis = self.basis();
        let z = basis.forward(x) * self.etd_astep.single_multiplier()
            + basis.forward(score) * self.etd_score.single_multiplier();
        Ok(basis.inverse(z))
    }
}
