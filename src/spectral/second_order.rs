//! Second-order statistics of a stationary, spatially homogeneous field: the per-mode power
//! `S_c(k)` and lagged covariance `C_c(k, τ)` (docs/method.md, "The linear-Gaussian yardstick").
//!
//! With the orthonormal transform `û_k(f) = N^{−1/2} Σ_x u(x, f) e^{−i k·x}` of every frame
//! (`N` grid points, half spectrum of [`Grid`]),
//!
//! ```text
//! C_c(k, τ) = mean over paths and frames f of  û_{c,k}(f + τ) · conj(û_{c,k}(f)),   τ = 0 … L
//! S_c(k)    = C_c(k, 0)   (real),        ρ_c(k, τ) = C_c(k, τ) / S_c(k)
//! ```
//!
//! The covariance is complex: a travelling wave (Lorenz-96's X) rotates the phase of its modes,
//! which a real correlation would miss. Every pair of frames `(f, f + τ)` inside a path is used,
//! and every lag is divided by the number of frames `B·F` (the *biased* estimate, which shrinks
//! lag τ by `(F − τ)/F`): its Toeplitz matrices are positive semi-definite, so the Yule–Walker
//! predictors built on them are stable. The unbiased estimate (divided by the `B·(F − τ)` pairs)
//! is not: on `kolmogorov-quick` (32 frames, lags ≤ 5) it gave three modes whose window-5 AR
//! grows by up to 4.4× per frame, and the linear-Gaussian baseline's simulation blew up
//! (docs/results.md). By Parseval, `mean_k S`
//! over the full spectrum is the per-point variance (1 for standardised data with zero mean).

use super::{Grid, SpectralPlan};
use crate::error::{Error, Result};
use ndarray::ArrayViewD;
use num_complex::Complex;
use rayon::prelude::*;

/// Per-channel, per-mode power and lagged covariance of a set of paths.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondOrder {
    grid: Grid,
    channels: usize,
    max_lag: usize,
    /// `C_c(k, τ)`, laid out `[C, L + 1, K]` (`K = grid.half_len()`).
    covariance: Vec<Complex<f64>>,
}

impl SecondOrder {
    /// Estimates the statistics of the paths `x` `[B, C, F, *grid]` for lags `0 ..= max_lag`.
    /// Fails unless `x` is finite, non-empty and has more than `max_lag` frames.
    pub fn estimate(x: &ArrayViewD<f32>, grid: &Grid, max_lag: usize) -> Result<Self> {
        let b = grid.checked_batch(x, "second-order statistics: paths")?;
        let (n, c, f) = (b.shape.batch, b.shape.channels, b.shape.frames);
        if n == 0 || c == 0 || f <= max_lag {
            return Err(Error::shape(
                "second-order statistics: paths",
                format!("[B ≥ 1, C ≥ 1, F > {max_lag}, ...]"),
                b.shape_vec(),
            ));
        }
        let k = grid.half_len();
        let per_channel: Vec<Vec<Complex<f64>>> = (0..c)
            .into_par_iter()
            .map(|ch| channel_covariance(b.as_slice(), grid, [n, c, f], ch, max_lag))
            .collect();
        let covariance = per_channel.into_iter().flatten().collect::<Vec<_>>();
        debug_assert_eq!(covariance.len(), c * (max_lag + 1) * k);
        Ok(Self { grid: grid.clone(), channels: c, max_lag, covariance })
    }

    /// Rebuilds the statistics from stored parts (see [`covariance_parts`](Self::covariance_parts)):
    /// `re`, `im` laid out `[C, L + 1, K]`. Fails on a length mismatch, a non-finite value or a
    /// negative power.
    pub fn from_parts(
        grid: &Grid,
        channels: usize,
        max_lag: usize,
        re: &[f64],
        im: &[f64],
    ) -> Result<Self> {
        let len = channels * (max_lag + 1) * grid.half_len();
        if re.len() != len || im.len() != len || channels == 0 {
            return Err(Error::shape("second-order statistics", len, (re.len(), im.len())));
        }
        crate::error::ensure_finite(re, "second-order statistics (real part)")?;
        crate::error::ensure_finite(im, "second-order statistics (imaginary part)")?;
        let covariance = re.iter().zip(im).map(|(&a, &b)| Complex::new(a, b)).collect();
        let s = Self { grid: grid.clone(), channels, max_lag, covariance };
        if (0..channels).any(|c| s.power(c).iter().any(|&p| p < 0.0)) {
            return Err(Error::config("second-order statistics", "negative power"));
        }
        Ok(s)
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Channels `C`.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The largest lag `L`.
    pub fn max_lag(&self) -> usize {
        self.max_lag
    }

    /// `C_c(·, τ)` over the half spectrum (`K` values). Panics if `c ≥ C` or `τ > L`.
    pub fn covariance(&self, c: usize, lag: usize) -> &[Complex<f64>] {
        assert!(c < self.channels && lag <= self.max_lag, "channel {c} / lag {lag} out of range");
        let k = self.grid.half_len();
        let start = (c * (self.max_lag + 1) + lag) * k;
        &self.covariance[start..start + k]
    }

    /// `S_c(k)` over the half spectrum.
    pub fn power(&self, c: usize) -> Vec<f64> {
        self.covariance(c, 0).iter().map(|z| z.re).collect()
    }

    /// `ρ_c(k, τ) = C_c(k, τ)/S_c(k)` (0 where `S_c(k) = 0`).
    pub fn correlation(&self, c: usize, lag: usize) -> Vec<Complex<f64>> {
        let s = self.power(c);
        let cov = self.covariance(c, lag);
        cov.iter()
            .zip(&s)
            .map(|(z, &p)| if p > 0.0 { z / p } else { Complex::new(0.0, 0.0) })
            .collect()
    }

    /// The covariance as real and imaginary parts, each `[C, L + 1, K]` row-major.
    pub fn covariance_parts(&self) -> (Vec<f64>, Vec<f64>) {
        (
            self.covariance.iter().map(|z| z.re).collect(),
            self.covariance.iter().map(|z| z.im).collect(),
        )
    }
}

/// `C_c(k, τ)` of one channel, `[L + 1, K]`.
fn channel_covariance(
    data: &[f32],
    grid: &Grid,
    [n, c, f]: [usize; 3],
    ch: usize,
    max_lag: usize,
) -> Vec<Complex<f64>> {
    let (len, k) = (grid.len(), grid.half_len());
    let plan = SpectralPlan::<f64>::new(grid);
    let mut scratch = plan.make_scratch();
    let norm = 1.0 / (len as f64).sqrt();
    let mut acc = vec![Complex::new(0.0, 0.0); (max_lag + 1) * k];
    let mut field = vec![0.0f64; len];
    let mut spectra = vec![Complex::new(0.0, 0.0); f * k];
    for b in 0..n {
        for fr in 0..f {
            let start = ((b * c + ch) * f + fr) * len;
            field.iter_mut().zip(&data[start..start + len]).for_each(|(o, &v)| *o = v as f64);
            plan.forward(&field, &mut spectra[fr * k..(fr + 1) * k], &mut scratch);
        }
        spectra.iter_mut().for_each(|z| *z *= norm);
        for lag in 0..=max_lag {
            let row = &mut acc[lag * k..(lag + 1) * k];
            for fr in 0..f - lag {
                let (later, earlier) = (&spectra[(fr + lag) * k..], &spectra[fr * k..]);
                for (q, a) in row.iter_mut().enumerate() {
                    *a += later[q] * earlier[q].conj();
                }
            }
        }
    }
    let frames = (n * f) as f64;
    acc.iter_mut().for_each(|z| *z /= frames);
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array;

    #[test]
    fn a_travelling_wave_has_unit_power_on_its_mode_and_a_rotating_covariance() {
        // u(x, f) = √2 cos(2π(3x/N − f/8)): all power on k = 3, phase turning by −2π/8 per frame
        let (n, frames) = (16usize, 9usize);
        let grid = Grid::line(n);
        let x = Array::from_shape_fn((1, 1, frames, n), |(_, _, f, i)| {
            let phase = std::f64::consts::TAU * (3.0 * i as f64 / n as f64 - f as f64 / 8.0);
            (2f64.sqrt() * phase.cos()) as f32
        })
        .into_dyn();
        let s = SecondOrder::estimate(&x.view(), &grid, 2).unwrap();
        let p = s.power(0);
        // N/2 of the variance 1 on k = 3 (the other half on the mirrored, unstored −3)
        assert!((p[3] - n as f64 / 2.0).abs() < 1e-4, "{p:?}");
        assert!(p.iter().enumerate().all(|(k, &v)| k == 3 || v.abs() < 1e-8));
        // û_3(f) = √(N/2) e^{−2πi f/8}, so C(τ)/S = e^{−2πiτ/8}, shrunk by the biased
        // estimate's (F − τ)/F
        let rho = s.correlation(0, 2)[3];
        let shrink = (frames - 2) as f64 / frames as f64;
        let expected = Complex::from_polar(shrink, -std::f64::consts::TAU * 2.0 / 8.0);
        assert!((rho - expected).norm() < 1e-5, "{rho} vs {expected}");
    }

    #[test]
    fn the_yule_walker_matrices_are_positive_semi_definite() {
        // a short, strongly correlated series, where the unbiased estimate (1, 0.6, 0, −1, −1, −1
        // in units of the power) gives an indefinite Toeplitz matrix: û(f) = 1 for f < 3, −1 after
        let (n, frames) = (4usize, 6usize);
        let x = Array::from_shape_fn(
            (1, 1, frames, n),
            |(_, _, f, _)| if f < 3 { 1.0f32 } else { -1.0 },
        )
        .into_dyn();
        let s = SecondOrder::estimate(&x.view(), &Grid::line(n), 5).unwrap();
        // mode 0 carries everything: C(τ) = (1/F) Σ_f u(f+τ) u(f) · N (orthonormal transform)
        let c: Vec<f64> = (0..=5).map(|t| s.covariance(0, t)[0].re).collect();
        let u = [1.0, 1.0, 1.0, -1.0, -1.0, -1.0];
        for (t, ct) in c.iter().enumerate() {
            let sum: f64 = (0..frames - t).map(|f| u[f + t] * u[f]).sum();
            assert!((ct - sum * n as f64 / frames as f64).abs() < 1e-9, "lag {t}: {ct}");
        }
        // the 6 × 6 Toeplitz matrix has no negative eigenvalue: all leading minors ≥ 0
        // (Sylvester), checked by a Cholesky with a tiny tolerance
        let m = 6usize;
        let a: Vec<f64> = (0..m * m).map(|ij| c[(ij / m).abs_diff(ij % m)]).collect();
        let mut l = vec![0.0f64; m * m];
        for i in 0..m {
            for j in 0..=i {
                let s: f64 = (0..j).map(|q| l[i * m + q] * l[j * m + q]).sum();
                if i == j {
                    let d = a[i * m + i] - s;
                    assert!(d > -1e-9, "negative pivot {d} at {i}: not positive semi-definite");
                    l[i * m + i] = d.max(0.0).sqrt();
                } else if l[j * m + j] > 1e-12 {
                    l[i * m + j] = (a[i * m + j] - s) / l[j * m + j];
                }
            }
        }
    }

    #[test]
    fn white_noise_has_flat_power_and_no_lagged_covariance() {
        let grid = Grid::plane(4, 6);
        let mut v = vec![0f32; 200 * 10 * 24];
        crate::rng::fill_normal(&mut crate::rng::stream(7, 0), &mut v);
        let x = Array::from_shape_vec(vec![200, 1, 10, 4, 6], v).unwrap();
        let s = SecondOrder::estimate(&x.view(), &grid, 1).unwrap();
        let p = s.power(0);
        assert!(p.iter().all(|&v| (v - 1.0).abs() < 0.1), "{p:?}");
        assert!(s.covariance(0, 1).iter().all(|z| z.norm() < 0.1));
        let (re, im) = s.covariance_parts();
        assert_eq!(SecondOrder::from_parts(&grid, 1, 1, &re, &im).unwrap(), s);
        assert!(SecondOrder::estimate(&x.view(), &grid, 10).is_err(), "needs F > L");
    }
}
