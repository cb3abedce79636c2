//! PDD and SA-PDD training objectives (docs/reference.md §4; paper Eq. 8–9).

use super::action::ActionScale;
use super::window::{PathPrediction, Predictor};
use crate::nn::profile::{self, Part};
use burn::prelude::*;

/// Normalised residuals of the Gaussian path density (docs/reference.md §3.3):
/// `R_f = scale(x_{f+1} − x_f − g_f)`, `f = 0 … F−2`; the scalar action's `scale` divides by
/// `σ_t = √var_t` (see [`Action`](super::Action) for the spectral one).
///
/// `x` `[B, C, F, Ny, Nx]` (noised standardised path), `drift` the predictor's `g` on the same
/// frames `[B, C, F, Ny, Nx]` (its last frame is unused). Returns `[B, C, F−1, Ny, Nx]`.
pub fn path_residual(x: Tensor<5>, drift: Tensor<5>, scale: &ActionScale) -> Tensor<5> {
    increment_residual(x.clone(), x, drift, scale)
}

/// [`path_residual`] with the increments ending on another path: `R_f = scale(next_{f+1} − x_f
/// − g_f)`. `next` `[B, C, F, Ny, Nx]` (its frame 0 is unused); `next = x` is the path residual,
/// `next = C_λ u₀` the denoised training target ([`DriftTarget`](crate::train::DriftTarget)).
pub fn increment_residual(
    next: Tensor<5>,
    x: Tensor<5>,
    drift: Tensor<5>,
    scale: &ActionScale,
) -> Tensor<5> {
    let f = x.dims()[2];
    let v = next.narrow(2, 1, f - 1) - x.narrow(2, 0, f - 1);
    scale.apply(v - drift.narrow(2, 0, f - 1))
}

/// The drift term `mean(R²)` of both losses: [`increment_residual`] ending on `next`, or on
/// `x_t` itself when `next` is `None`.
fn drift_term(
    x_t: Tensor<5>,
    next: Option<Tensor<5>>,
    drift: Tensor<5>,
    scale: &ActionScale,
) -> Tensor<1> {
    let next = next.unwrap_or_else(|| x_t.clone());
    increment_residual(next, x_t, drift, scale).square().mean()
}

/// The components of a training loss (scalars `[1]`).
#[derive(Debug, Clone)]
pub struct LossParts {
    /// The weighted total that is minimised.
    pub total: Tensor<1>,
    /// The PDD drift term `mean(R²)`.
    pub drift: Tensor<1>,
    /// The SA-PDD noise term `mean((ε̂ − ε)²)`, if any.
    pub noise: Option<Tensor<1>>,
}

/// PDD loss (docs/reference.md §4.1): `mean(R²)` over all `B·C·(F−1)·space` entries, i.e. the path
/// action averaged over elements with weight `1/var_t`.
///
/// `x_t` `[B, C, F, Ny, Nx]` noised paths at indices `t` `[B]` (floats), `scale` the action's
/// normalisation at those indices ([`PathAction::scale`](super::PathAction::scale)), `next`
/// where the increments end (`None`: `x_t` itself, the paper's; see [`increment_residual`]).
pub fn pdd_loss<P: Predictor>(
    predictor: &P,
    x_t: Tensor<5>,
    t: Tensor<1>,
    scale: &ActionScale,
    next: Option<Tensor<5>>,
) -> LossParts {
    profile::forward(Part::Loss, || {
        let PathPrediction { drift, .. } = predictor.forward(x_t.clone(), t);
        let d = drift_term(x_t, next, drift, scale);
        LossParts { total: d.clone(), drift: d, noise: None }
    })
}

/// SA-PDD loss (docs/reference.md §4.2): `w_drift · mean(R²) + w_noise · mean((ε̂ − ε)²)`,
/// `weights = [w_drift, w_noise]` (reference 0.1 and 1.0). `eps` `[B, C, F, Ny, Nx]` is the
/// white noise used to build `x_t`; `next` as in [`pdd_loss`].
///
/// # Panics
/// If the predictor has no noise head.
pub fn sa_pdd_loss<P: Predictor>(
    predictor: &P,
    x_t: Tensor<5>,
    t: Tensor<1>,
    scale: &ActionScale,
    eps: Tensor<5>,
    weights: [f32; 2],
    next: Option<Tensor<5>>,
) -> LossParts {
    let [w_drift, w_noise] = weights;
    profile::forward(Part::Loss, || {
        let PathPrediction { drift, noise } = predictor.forward(x_t.clone(), t);
        let noise =
            noise.expect("SA-PDD needs a predictor with a noise head (model.noise_head = true)");
        let d = drift_term(x_t, next, drift, scale);
        let n = (noise - eps).square().mean();
        LossParts {
            total: d.clone().mul_scalar(w_drift) + n.clone().mul_scalar(w_noise),
            drift: d,
            noise: Some(n),
        }
    })
}
