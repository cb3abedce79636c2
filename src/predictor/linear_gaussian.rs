//! The linear-Gaussian predictor: for every diffusion index `t`, channel and Fourier mode, the
//! best linear causal predictor of the noised field's next increment from the window's frames
//! (docs/method.md, "The linear-Gaussian yardstick"). It has no trainable parameter.
//!
//! The forward marginal of one mode at index `t` is `y_f = Â_t(k) û_f + B̂_t(k) ε̂_f`, the
//! noise independent across frames, so its lagged covariance is
//!
//! ```text
//! R_t(k, τ) = E[y_{f+τ} conj(y_f)] = Â_t(k)² C(k, τ) + Q̂_t(k) δ_{τ0},   R(−τ) = conj R(τ)
//! ```
//!
//! with `C(k, τ) = S(k) ρ(k, τ)` the data's second-order statistics
//! ([`SecondOrder`](crate::spectral::SecondOrder)). The Yule–Walker equations
//! `Σ_j R(i − j) b_j = R(1 + i)`, `i, j = 0 … w − 1`, give `E[y_{f+1} | y_f … y_{f−w+1}] =
//! Σ_j b_j y_{f−j}`; the drift (one-frame increment) has coefficients `a_0 = b_0 − 1`,
//! `a_j = b_j`. With the same matrix, `Σ_j R(i − j) c_j = B̂ δ_{i0}` gives the linear estimate
//! of the forward noise `ε̂_f = Σ_j c_j y_{f−j}`, SA-PDD's noise head.
//!
//! Frames before the first see zeros, as the network's window does.

use super::window::{PathPrediction, Predictor};
use crate::diffusion::{ForwardProcess, HalfSpectrum};
use crate::error::{Error, Result};
use crate::nn::Heads;
use crate::spectral::{Complex, Grid, SecondOrder};
use burn::prelude::*;
use rayon::prelude::*;
use std::sync::Arc;

type C64 = Complex<f64>;

/// Drift and noise coefficients of one index, each `[C, w, K]` as (re, im).
type IndexCoefficients = (Vec<[f32; 2]>, Vec<[f32; 2]>);

/// The per-index, per-mode coefficients of the linear-Gaussian predictor (host tables).
#[derive(Clone, PartialEq)]
pub struct LinearGaussian {
    grid: Grid,
    channels: usize,
    window: usize,
    steps: usize,
    /// Drift coefficients `a_{t,c,j}(k)`, `[T, C, w, K]`, as (re, im).
    drift: Vec<[f32; 2]>,
    /// Noise-estimate coefficients `c_{t,c,j}(k)`, same layout.
    noise: Vec<[f32; 2]>,
}

impl std::fmt::Debug for LinearGaussian {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LinearGaussian {{ grid: {:?}, channels: {}, window: {}, steps: {} }}",
            self.grid.dims(),
            self.channels,
            self.window,
            self.steps
        )
    }
}

/// Solves `M z = r` for the Hermitian `n × n` matrix `M` (row-major) and each right-hand side,
/// by Gaussian elimination with partial pivoting. `None` if `M` is singular.
fn solve(mut m: Vec<C64>, mut rhs: Vec<Vec<C64>>, n: usize) -> Option<Vec<Vec<C64>>> {
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&a, &b| m[a * n + col].norm().total_cmp(&m[b * n + col].norm()))?;
        if m[pivot * n + col].norm() <= 1e-300 {
            return None;
        }
        for j in 0..n {
            m.swap(col * n + j, pivot * n + j);
        }
        rhs.iter_mut().for_each(|r| r.swap(col, pivot));
        for row in col + 1..n {
            let factor = m[row * n + col] / m[col * n + col];
            for j in col..n {
                let v = m[col * n + j];
                m[row * n + j] -= factor * v;
            }
            rhs.iter_mut().for_each(|r| {
                let v = r[col];
                r[row] -= factor * v;
            });
        }
    }
    for r in rhs.iter_mut() {
        for row in (0..n).rev() {
            let s: C64 = (row + 1..n).map(|j| m[row * n + j] * r[j]).sum();
            r[row] = (r[row] - s) / m[row * n + row];
        }
    }
    Some(rhs)
}

/// `(a, c)`: the drift and noise coefficients of one mode, lags `0 … w − 1`, from the marginal's
/// covariance `r(τ)`, `τ = 0 … w`, and the noise amplitude `b_hat`.
fn mode_coefficients(r: &[C64], b_hat: f64, w: usize) -> Option<(Vec<C64>, Vec<C64>)> {
    let cov = |d: isize| if d >= 0 { r[d as usize] } else { r[(-d) as usize].conj() };
    let m: Vec<C64> = (0..w * w).map(|i| cov((i / w) as isize - (i % w) as isize)).collect();
    let next: Vec<C64> = (0..w).map(|i| r[i + 1]).collect();
    let mut unit = vec![C64::new(0.0, 0.0); w];
    unit[0] = C64::new(b_hat, 0.0);
    let mut z = solve(m, vec![next, unit], w)?;
    let noise = z.pop()?;
    let mut drift = z.pop()?;
    drift[0] -= 1.0;
    Some((drift, noise))
}

impl LinearGaussian {
    /// The predictor of window `window` for the data statistics `stats` under `process` (same
    /// grid; `stats.max_lag() ≥ window`). Fails on a mismatch or a singular Yule–Walker system.
    pub fn new(stats: &SecondOrder, process: &ForwardProcess, window: usize) -> Result<Self> {
        if window == 0 || stats.max_lag() < window {
            return Err(Error::config(
                "linear-Gaussian predictor",
                format!(
                    "window {window} needs statistics up to lag {window} (have {})",
                    stats.max_lag()
                ),
            ));
        }
        if stats.grid().dims() != process.grid().dims() {
            return Err(Error::shape(
                "linear-Gaussian predictor: statistics vs process grid",
                process.grid().dims().to_vec(),
                stats.grid().dims().to_vec(),
            ));
        }
        let (c, k, steps) = (stats.channels(), process.grid().half_len(), process.steps());
        let per_index: Vec<IndexCoefficients> = (0..steps)
            .into_par_iter()
            .map(|t| index_coefficients(stats, process, t, window))
            .collect::<Result<_>>()?;
        let (mut drift, mut noise) = (Vec::with_capacity(steps * c * window * k), Vec::new());
        noise.reserve(steps * c * window * k);
        for (d, n) in per_index {
            drift.extend(d);
            noise.extend(n);
        }
        Ok(Self { grid: process.grid().clone(), channels: c, window, steps, drift, noise })
    }

    /// Slices it sees.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Diffusion indices `T` it has coefficients for.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The drift coefficient `a_{t,c,j}(k)` of half-spectrum bin `k` (lag `j`: frame `f − j`).
    pub fn drift_coefficient(&self, t: usize, c: usize, j: usize, k: usize) -> Complex<f32> {
        let [re, im] = self.drift[self.offset(t, c, j) + k];
        Complex::new(re, im)
    }

    /// The noise-estimate coefficient `c_{t,c,j}(k)`.
    pub fn noise_coefficient(&self, t: usize, c: usize, j: usize, k: usize) -> Complex<f32> {
        let [re, im] = self.noise[self.offset(t, c, j) + k];
        Complex::new(re, im)
    }

    fn offset(&self, t: usize, c: usize, j: usize) -> usize {
        ((t * self.channels + c) * self.window + j) * self.grid.half_len()
    }

    /// The coefficients of examples at indices `t` as `(re, im)` tensors `[B, C, w, Ny, h]`.
    fn table(&self, which: &[[f32; 2]], t: &[usize], device: &Device) -> (Tensor<5>, Tensor<5>) {
        let block = self.channels * self.window * self.grid.half_len();
        let (mut re, mut im) = (Vec::with_capacity(t.len() * block), Vec::new());
        im.reserve(t.len() * block);
        for &i in t {
            for &[a, b] in &which[i * block..(i + 1) * block] {
                re.push(a);
                im.push(b);
            }
        }
        let half = self.grid.half_dims();
        let (ny, h) = if half.len() == 2 { (half[0], half[1]) } else { (1, half[0]) };
        let shape = [t.len(), self.channels, self.window, ny, h];
        let up = |v: Vec<f32>| Tensor::<5>::from_data(TensorData::new(v, shape), device);
        (up(re), up(im))
    }

    /// Drift and noise estimate of every frame of `x` `[B, C, F, Ny, Nx]` at indices `t` (one
    /// per example): `Σ_j a_j(k) ŷ_{f−j}(k)` and `Σ_j c_j(k) ŷ_{f−j}(k)`, back in grid space.
    pub fn apply(&self, x: Tensor<5>, t: &[usize]) -> Result<(Tensor<5>, Tensor<5>)> {
        let [b, c, f, ny, _] = x.dims();
        if b != t.len() || c != self.channels {
            return Err(Error::shape(
                "linear-Gaussian predictor input",
                (t.len(), self.channels),
                (b, c),
            ));
        }
        if let Some(&bad) = t.iter().find(|&&i| i >= self.steps) {
            return Err(Error::OutOfRange {
                name: "diffusion index".into(),
                value: bad as f64,
                range: format!("0 ..= {}", self.steps - 1),
            });
        }
        let device = x.device();
        let basis = HalfSpectrum::new(&self.grid, &device);
        let (zr, zi) = basis.forward(x);
        let h = zr.dims()[4];
        let w = self.window;
        let pad = |z: Tensor<5>| {
            Tensor::cat(vec![Tensor::<5>::zeros([b, c, w - 1, ny, h], &device), z], 2)
        };
        let (zr, zi) = if w > 1 { (pad(zr), pad(zi)) } else { (zr, zi) };
        let combine = |which: &[[f32; 2]]| {
            let (ar, ai) = self.table(which, t, &device);
            let (mut dr, mut di) = (None::<Tensor<5>>, None::<Tensor<5>>);
            for j in 0..w {
                let (yr, yi) =
                    (zr.clone().narrow(2, w - 1 - j, f), zi.clone().narrow(2, w - 1 - j, f));
                let (cr, ci) = (ar.clone().narrow(2, j, 1), ai.clone().narrow(2, j, 1));
                let re = yr.clone() * cr.clone() - yi.clone() * ci.clone();
                let im = yi * cr + yr * ci;
                dr = Some(dr.map_or(re.clone(), |d| d + re));
                di = Some(di.map_or(im.clone(), |d| d + im));
            }
            basis.inverse(dr.expect("w ≥ 1"), di.expect("w ≥ 1"))
        };
        Ok((combine(&self.drift), combine(&self.noise)))
    }
}

/// The drift and noise coefficients of every channel and bin at index `t`, `[C, w, K]`.
fn index_coefficients(
    stats: &SecondOrder,
    process: &ForwardProcess,
    t: usize,
    w: usize,
) -> Result<IndexCoefficients> {
    let (damping, variance) = (process.damping(t), process.variance(t));
    let k = process.grid().half_len();
    let (mut drift, mut noise) =
        (vec![[0f32; 2]; stats.channels() * w * k], vec![[0f32; 2]; stats.channels() * w * k]);
    for c in 0..stats.channels() {
        let covs: Vec<&[C64]> = (0..=w).map(|tau| stats.covariance(c, tau)).collect();
        for q in 0..k {
            let (a2, var) = ((damping[q] as f64).powi(2), variance[q] as f64);
            let r: Vec<C64> =
                (0..=w).map(|tau| covs[tau][q] * a2 + if tau == 0 { var } else { 0.0 }).collect();
            let (a, e) = mode_coefficients(&r, var.max(0.0).sqrt(), w).ok_or_else(|| {
                Error::config(
                    "linear-Gaussian predictor",
                    format!("singular Yule–Walker system at index {t}, channel {c}, bin {q}"),
                )
            })?;
            for j in 0..w {
                let o = (c * w + j) * k + q;
                drift[o] = [a[j].re as f32, a[j].im as f32];
                noise[o] = [e[j].re as f32, e[j].im as f32];
            }
        }
    }
    Ok((drift, noise))
}

/// The linear-Gaussian model as a [`Predictor`] (a module with no parameter): drift from
/// [`LinearGaussian::apply`], and the noise estimate as its noise head.
#[derive(Module, Debug)]
pub struct LinearGaussianPredictor {
    /// The coefficient tables (not part of the record: rebuilt from the data's statistics).
    #[module(skip)]
    pub model: Arc<LinearGaussian>,
}

impl LinearGaussianPredictor {
    /// Wraps the tables.
    pub fn new(model: Arc<LinearGaussian>) -> Self {
        Self { model }
    }
}

/// The diffusion indices of a float index tensor `[B]` (as predictors receive them).
pub(crate) fn host_indices(t: Tensor<1>) -> Vec<usize> {
    crate::backend::to_vec(t).into_iter().map(|i| i.round().max(0.0) as usize).collect()
}

impl Predictor for LinearGaussianPredictor {
    fn window(&self) -> usize {
        self.model.window
    }

    fn channels(&self) -> usize {
        self.model.channels
    }

    fn forward(&self, x: Tensor<5>, t: Tensor<1>) -> PathPrediction {
        let (drift, noise) =
            self.model.apply(x, &host_indices(t)).expect("linear-Gaussian predictor input");
        PathPrediction { drift, noise: Some(noise) }
    }

    fn step(&self, window: Tensor<5>, t: Tensor<1>) -> Heads {
        let f = window.dims()[2];
        let p = self.forward(window, t);
        let last = |z: Tensor<5>| {
            let [b, c, _, ny, nx] = z.dims();
            z.narrow(2, f - 1, 1).reshape([b, c, ny, nx])
        };
        Heads { drift: last(p.drift), noise: p.noise.map(last) }
    }
}
