//! The per-mode prior variance `P_k` of the data (per channel), which regularises the guidance
//! where the forward process has destroyed a mode (docs/assimilation.md): the spatial power
//! spectrum of one frame, in the layout of [`HostBasis`].

use super::basis::HostBasis;
use crate::error::{Error, Result};
use crate::spectral::Grid;
use ndarray::ArrayViewD;

/// Per channel, the variance of every basis coefficient of one frame (`[C, Ny·Nx]`).
#[derive(Debug, Clone, PartialEq)]
pub struct PriorSpectrum {
    coefficients: usize,
    variance: Vec<f64>,
}

impl PriorSpectrum {
    /// From known per-channel spectra on the half spectrum (`grid.half_len()` values each,
    /// variance per mode of the orthonormal transform, ≥ 0).
    pub fn from_half(grid: &Grid, half: &[Vec<f64>]) -> Result<Self> {
        let basis = HostBasis::new(grid);
        let mut variance = Vec::new();
        for (c, s) in half.iter().enumerate() {
            if s.len() != grid.half_len() {
                return Err(Error::shape(format!("prior spectrum {c}"), grid.half_len(), s.len()));
            }
            if s.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(Error::config("prior spectrum", "needs finite values ≥ 0"));
            }
            variance.extend(basis.from_half(s));
        }
        if variance.is_empty() {
            return Err(Error::config("prior spectrum", "needs at least one channel"));
        }
        Ok(Self { coefficients: basis.len(), variance })
    }

    /// Estimated from paths `[P, C, F, *grid]` (standardised): the mean square of every basis
    /// coefficient over paths, frames and the coefficients of the same half-spectrum bin.
    pub fn estimate(grid: &Grid, paths: &ArrayViewD<f32>) -> Result<Self> {
        let s = grid.batch_shape(paths.shape(), "prior spectrum paths")?;
        if s.batch == 0 || s.frames == 0 {
            return Err(Error::shape(
                "prior spectrum paths",
                "[P ≥ 1, C, F ≥ 1, ..]",
                paths.shape(),
            ));
        }
        let basis = HostBasis::new(grid);
        let n = basis.len();
        let flat: Vec<f64> = paths.as_standard_layout().iter().map(|&v| f64::from(v)).collect();
        crate::error::ensure_finite(&flat, "prior spectrum paths")?;
        let (h, c) = (grid.half_len(), s.channels);
        let mut sums = vec![0.0; c * h];
        let mut counts = vec![0usize; c * h];
        for (block, field) in flat.chunks(n).enumerate() {
            let ch = (block / s.frames) % c;
            for (z, &bin) in basis.forward(field).iter().zip(basis.bins()) {
                sums[ch * h + bin] += z * z;
                counts[ch * h + bin] += 1;
            }
        }
        let half: Vec<Vec<f64>> = sums
            .chunks(h)
            .zip(counts.chunks(h))
            .map(|(s, k)| {
                s.iter().zip(k).map(|(s, &k)| if k > 0 { s / k as f64 } else { 0.0 }).collect()
            })
            .collect();
        Self::from_half(grid, &half)
    }

    /// The number of channels.
    pub fn channels(&self) -> usize {
        self.variance.len() / self.coefficients
    }

    /// The variances of channel `c` in the basis layout (`Ny · Nx`).
    pub fn variance(&self, c: usize) -> &[f64] {
        &self.variance[c * self.coefficients..(c + 1) * self.coefficients]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::{synthetic_mode_variance, synthetic_trajectory};

    #[test]
    fn the_estimate_of_synthetic_paths_recovers_their_spectrum() {
        let g = Grid::line(16);
        let paths: Vec<_> =
            (0..40).map(|s| synthetic_trajectory(&g, 1, 50, 2.0, 0.0, s).unwrap()).collect();
        let views: Vec<_> = paths.iter().map(|p| p.view()).collect();
        let all = ndarray::stack(ndarray::Axis(0), &views).unwrap();
        let est = PriorSpectrum::estimate(&g, &all.view()).unwrap();
        let exact = PriorSpectrum::from_half(&g, &[synthetic_mode_variance(&g, 2.0)]).unwrap();
        for (e, x) in est.variance(0).iter().zip(exact.variance(0)) {
            // 2000 frames, ≥ 2000 squares per bin: relative sd ≤ √(2/2000) ≈ 0.03
            assert!((e - x).abs() <= 0.15 * x + 1e-9, "{e} vs {x}");
        }
        assert!(PriorSpectrum::from_half(&g, &[vec![1.0; 3]]).is_err());
    }
}
