//! Synthetic trajectories with a known spatial spectrum, for demonstrations and tests (and for
//! the λ-ladder figure when no dataset is at hand).

use crate::error::{Error, Result};
use crate::rng;
use crate::spectral::{Grid, SpectralPlan};
use ndarray::{ArrayD, IxDyn};

/// The per-mode variance `S(k)` (orthonormal DFT) of [`synthetic_trajectory`] on the half
/// spectrum: `S ∝ |k|^{−slope}` for `k ≠ 0`, `S(0) = 0`, normalised so that every grid point has
/// unit variance (the mean of `S` over the full spectrum is 1).
pub fn synthetic_mode_variance(grid: &Grid, slope: f64) -> Vec<f64> {
    let raw: Vec<f64> = grid
        .half_wavenumbers()
        .iter()
        .map(|k| {
            let k2: f64 = k.iter().map(|&v| (v * v) as f64).sum();
            if k2 > 0.0 { k2.powf(-slope / 2.0) } else { 0.0 }
        })
        .collect();
    let mean = grid.full_spectrum_mean(&raw);
    raw.iter().map(|v| if mean > 0.0 { v / mean } else { 0.0 }).collect()
}

/// A stationary Gaussian random trajectory `[C, F, *grid]` (f32): every frame has per-mode
/// variance [`synthetic_mode_variance`]`(grid, slope)` (zero mean, unit variance per point), and
/// successive frames are AR(1)-correlated, `u_f = ρ u_{f−1} + √(1 − ρ²) v_f`, with
/// `ρ = correlation ∈ [0, 1)`. Channel `c` uses `rng::stream(seed, c)`.
pub fn synthetic_trajectory(
    grid: &Grid,
    channels: usize,
    frames: usize,
    slope: f64,
    correlation: f64,
    seed: u64,
) -> Result<ArrayD<f32>> {
    if !(0.0..1.0).contains(&correlation) {
        return Err(Error::config(
            "synthetic correlation",
            format!("must be in [0, 1), got {correlation}"),
        ));
    }
    if !slope.is_finite() {
        return Err(Error::config("synthetic slope", format!("must be finite, got {slope}")));
    }
    let n = grid.len();
    let amplitude: Vec<f64> =
        synthetic_mode_variance(grid, slope).iter().map(|s| s.sqrt()).collect();
    let plan = SpectralPlan::<f64>::new(grid);
    let (mut scratch, mut spec) = (plan.make_scratch(), plan.spectrum_buffer());
    let mut out = Vec::with_capacity(channels * frames * n);
    let (mut prev, mut fresh) = (vec![0.0f64; n], vec![0.0f64; n]);
    let innovation = (1.0 - correlation * correlation).sqrt();
    for c in 0..channels {
        let mut r = rng::stream(seed, c as u64);
        for f in 0..frames {
            rng::fill_normal(&mut r, &mut fresh);
            plan.apply_multiplier(&mut fresh, &amplitude, &mut spec, &mut scratch);
            for (p, &v) in prev.iter_mut().zip(&fresh) {
                *p = if f == 0 { v } else { correlation * *p + innovation * v };
            }
            out.extend(prev.iter().map(|&v| v as f32));
        }
    }
    let mut shape = vec![channels, frames];
    shape.extend_from_slice(grid.dims());
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), out).expect("sizes match"))
}
