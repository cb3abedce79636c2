//! Periodic grids and their Fourier-space layout.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Which eigenvalues stand for the Laplacian in Fourier space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LaplacianKind {
    /// Eigenvalues of the periodic 3-point (1-D) / 5-point (2-D) finite-difference Laplacian,
    /// `−4 sin²(π k/N)/h²` per axis. This is what the reference code uses.
    #[default]
    Discrete,
    /// The continuous symbol `−|k|²` (`k` in units of `2π/length`).
    Continuous,
}

/// A periodic grid with one or two axes, each of length `length` (2π by default).
///
/// Axis order is row-major: for 2-D the shape is `[Ny, Nx]` with x the fast (contiguous) axis.
/// The half spectrum has shape `[.., N_last/2 + 1]`: full complex FFT along leading axes,
/// real-to-complex along the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    dims: Vec<usize>,
    length: f64,
}

impl Grid {
    /// A grid with the given axis sizes on a domain `[0, length)` per axis.
    ///
    /// Fails for zero axes, more than two axes, a zero-sized axis, or a non-positive length.
    pub fn new(dims: &[usize], length: f64) -> Result<Self> {
        if dims.is_empty() || dims.len() > 2 {
            return Err(Error::config("grid", format!("need 1 or 2 axes, got {}", dims.len())));
        }
        if let Some(i) = dims.iter().position(|&n| n == 0) {
            return Err(Error::config(format!("grid.dims[{i}]"), "must be > 0"));
        }
        if !(length > 0.0 && length.is_finite()) {
            return Err(Error::config("grid.length", format!("must be positive, got {length}")));
        }
        Ok(Self { dims: dims.to_vec(), length })
    }

    /// A 1-D grid of `n` points on `[0, 2π)`.
    pub fn line(n: usize) -> Self {
        Self::new(&[n], std::f64::consts::TAU).expect("n > 0")
    }

    /// A 2-D grid of `ny × nx` points on `[0, 2π)²`.
    pub fn plane(ny: usize, nx: usize) -> Self {
        Self::new(&[ny, nx], std::f64::consts::TAU).expect("ny, nx > 0")
    }

    /// Axis sizes (`[L]` or `[Ny, Nx]`).
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Number of axes (1 or 2).
    pub fn ndim(&self) -> usize {
        self.dims.len()
    }

    /// Domain length per axis.
    pub fn length(&self) -> f64 {
        self.length
    }

    /// Number of grid points per field (product of the axis sizes).
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    /// Always false: grids have at least one point.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Grid spacing along `axis`.
    pub fn spacing(&self, axis: usize) -> f64 {
        self.length / self.dims[axis] as f64
    }

    /// Shape of the half spectrum: `dims` with the last axis replaced by `N_last/2 + 1`.
    pub fn half_dims(&self) -> Vec<usize> {
        let mut d = self.dims.clone();
        let last = d.len() - 1;
        d[last] = d[last] / 2 + 1;
        d
    }

    /// Number of half-spectrum bins.
    pub fn half_len(&self) -> usize {
        self.half_dims().iter().product()
    }

    /// Signed integer wavenumber of FFT bin `index` along an axis of size `n` (numpy `fftfreq·n`).
    pub fn signed_index(index: usize, n: usize) -> i64 {
        if index <= n / 2 { index as i64 } else { index as i64 - n as i64 }
    }

    /// Integer wavenumber vector (one entry per axis, in units of `2π/length`) of every
    /// half-spectrum bin, in storage order.
    pub fn half_wavenumbers(&self) -> Vec<Vec<i64>> {
        let hd = self.half_dims();
        let mut out = Vec::with_capacity(self.half_len());
        let mut idx = vec![0usize; hd.len()];
        for _ in 0..self.half_len() {
            out.push(idx.iter().zip(&self.dims).map(|(&i, &n)| Self::signed_index(i, n)).collect());
            // row-major increment
            for a in (0..hd.len()).rev() {
                idx[a] += 1;
                if idx[a] < hd[a] {
                    break;
                }
                idx[a] = 0;
            }
        }
        out
    }

    /// `|k|` (physical wavenumber, `2π/length` times the integer vector norm) of every
    /// half-spectrum bin.
    pub fn half_wavenumber_norms(&self) -> Vec<f64> {
        let unit = std::f64::consts::TAU / self.length;
        self.half_wavenumbers()
            .iter()
            .map(|k| unit * (k.iter().map(|&v| (v * v) as f64).sum::<f64>()).sqrt())
            .collect()
    }

    /// Laplacian eigenvalue (≤ 0) of every half-spectrum bin.
    ///
    /// Discrete: `Σ_axes −4 sin²(π k_a / N_a) / h_a²`; continuous: `−|k|²`.
    pub fn laplacian_eigenvalues(&self, kind: LaplacianKind) -> Vec<f64> {
        let unit = std::f64::consts::TAU / self.length;
        self.half_wavenumbers()
            .iter()
            .map(|k| {
                k.iter()
                    .enumerate()
                    .map(|(a, &ka)| match kind {
                        LaplacianKind::Discrete => {
                            let n = self.dims[a] as f64;
                            let h = self.spacing(a);
                            let s = (std::f64::consts::PI * ka as f64 / n).sin();
                            -4.0 * s * s / (h * h)
                        }
                        LaplacianKind::Continuous => -(unit * ka as f64).powi(2),
                    })
                    .sum()
            })
            .collect()
    }

    /// How many bins of the full spectrum each half-spectrum bin stands for (1 or 2).
    ///
    /// `Σ_full |X_k|² = Σ_half w_k |X_k|²`; used for Parseval sums and spectral means.
    pub fn half_weights(&self) -> Vec<f64> {
        let n = *self.dims.last().unwrap();
        let h = n / 2 + 1;
        (0..self.half_len())
            .map(|i| {
                let kx = i % h;
                if kx == 0 || (n.is_multiple_of(2) && kx == n / 2) { 1.0 } else { 2.0 }
            })
            .collect()
    }

    /// Mean over the *full* spectrum of a real, even per-bin quantity given on the half spectrum.
    pub fn full_spectrum_mean(&self, half: &[f64]) -> f64 {
        let w = self.half_weights();
        half.iter().zip(&w).map(|(v, w)| v * w).sum::<f64>() / self.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_layout_1d_and_2d() {
        let g = Grid::line(8);
        assert_eq!(g.half_dims(), vec![5]);
        assert_eq!(g.half_weights(), vec![1.0, 2.0, 2.0, 2.0, 1.0]);
        let g = Grid::plane(4, 6);
        assert_eq!(g.half_dims(), vec![4, 4]);
        assert_eq!(g.half_wavenumbers()[4 * 3 + 1], vec![-1, 1]);
        let total: f64 = g.half_weights().iter().sum();
        assert_eq!(total, 24.0);
    }

    #[test]
    fn discrete_laplacian_matches_small_k_and_nyquist() {
        let g = Grid::line(128);
        let d = g.laplacian_eigenvalues(LaplacianKind::Discrete);
        let c = g.laplacian_eigenvalues(LaplacianKind::Continuous);
        assert!((d[1] - c[1]).abs() < 1e-3);
        // Nyquist: −4/h² = −N²/π²
        assert!((d[64] + 128.0f64.powi(2) / std::f64::consts::PI.powi(2)).abs() < 1e-9);
        assert_eq!(c[64], -4096.0);
    }

    #[test]
    #[should_panic(expected = "n > 0")]
    fn zero_grid_panics_in_shorthand() {
        let _ = Grid::line(0);
    }

    #[test]
    fn bad_grids_are_errors() {
        assert!(Grid::new(&[], 1.0).is_err());
        assert!(Grid::new(&[2, 2, 2], 1.0).is_err());
        assert!(Grid::new(&[4], -1.0).is_err());
    }
}
