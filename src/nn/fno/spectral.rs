//! The spectral convolution of the Fourier Neural Operator (Li et al. 2021, Eq. 4–5): a truncated
//! Fourier transform, a complex channel mixing per retained mode, and the inverse transform.
//!
//! The transforms are real matrix products with cos/sin bases built for the grid of the input
//! (burn's FFT takes only power-of-two sizes and the Kolmogorov grid is 40 × 40; see also
//! `diffusion::device`). They are exact, differentiable like any matmul and cheap for the grids
//! of this crate. The bases are rebuilt per call from the input's shape, so a layer is not tied
//! to one grid.

use crate::error::{Error, Result};
use crate::nn::Spatial;
use burn::config::Config;
use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;
use std::f64::consts::TAU;

/// Configuration of a [`SpectralConv`].
///
/// ```
/// use burn::prelude::*;
/// use pdd::nn::{Spatial, SpectralConvConfig};
/// let device = Device::flex();
/// let conv = SpectralConvConfig::new(Spatial::Line, 3, 4, 5).init(&device).unwrap();
/// let y = conv.forward(Tensor::zeros([2, 3, 1, 16], &device));
/// assert_eq!(y.dims(), [2, 4, 1, 16]);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct SpectralConvConfig {
    /// 1-D (`Line`, fields `[N, C, 1, L]`) or 2-D (`Plane`, `[N, C, Ny, Nx]`).
    pub spatial: Spatial,
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Retained modes per axis: `k_x = 0…m−1` along x (half spectrum) and, in 2-D,
    /// `k_y = −m…m−1` along y.
    pub modes: usize,
}

impl SpectralConvConfig {
    /// Checks the configuration, naming the offending field.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("in_channels", self.in_channels),
            ("out_channels", self.out_channels),
            ("modes", self.modes),
        ] {
            if v == 0 {
                return Err(Error::config(format!("model.{name}"), "must be > 0"));
            }
        }
        Ok(())
    }

    /// Checks that fields of `dims` (`[L]` or `[Ny, Nx]`) have the retained modes:
    /// `modes ≤ Nx/2 + 1` along x and, in 2-D, `2·modes ≤ Ny` along y.
    pub fn check_grid(&self, dims: &[usize]) -> Result<()> {
        check_modes(self.spatial, self.modes, dims)
    }

    /// Builds the layer; the complex weights are drawn as in Li et al. (2021): real and
    /// imaginary parts `U[0, 1/(C_in·C_out))`.
    pub fn init(&self, device: &Device) -> Result<SpectralConv> {
        self.validate()?;
        let (ci, co) = (self.in_channels, self.out_channels);
        let modes = match self.spatial {
            Spatial::Line => [0, self.modes],
            Spatial::Plane => [self.modes, self.modes],
        };
        let shape = [rows(modes) * modes[1], ci, co];
        let init = Initializer::Uniform { min: 0.0, max: 1.0 / (ci * co) as f64 };
        Ok(SpectralConv {
            weight_re: init.init(shape, device),
            weight_im: init.init(shape, device),
            modes,
        })
    }
}

/// Number of retained `k_y` rows for modes `[m_y, m_x]`: `2·m_y` in 2-D, 1 (`k_y = 0`) in 1-D.
fn rows([my, _]: [usize; 2]) -> usize {
    if my == 0 { 1 } else { 2 * my }
}

/// The `k_y` of retained row `r`: `0…m−1`, then `−m…−1` (the layout of Li et al.).
fn row_wavenumber(r: usize, my: usize) -> f64 {
    if r < my { r as f64 } else { r as f64 - 2.0 * my as f64 }
}

/// The grid check shared by [`SpectralConvConfig`] and [`FnoConfig`](super::FnoConfig).
pub(super) fn check_modes(spatial: Spatial, modes: usize, dims: &[usize]) -> Result<()> {
    let (ny, nx) = match (spatial, dims) {
        (Spatial::Line, [l]) => (None, *l),
        (Spatial::Plane, [ny, nx]) => (Some(*ny), *nx),
        (Spatial::Line, _) => return Err(Error::shape("FNO grid", "1 spatial axis", dims)),
        (Spatial::Plane, _) => return Err(Error::shape("FNO grid", "2 spatial axes", dims)),
    };
    if modes > nx / 2 + 1 {
        return Err(Error::config(
            "model.modes",
            format!("{modes} modes exceed the {} of an axis of {nx} points (N/2 + 1)", nx / 2 + 1),
        ));
    }
    if let Some(ny) = ny.filter(|&ny| 2 * modes > ny) {
        return Err(Error::config(
            "model.modes",
            format!("{modes} modes need 2·{modes} = {} rows along y, the grid has {ny}", 2 * modes),
        ));
    }
    Ok(())
}

/// The real transform matrices of one grid (see [`SpectralConv`] for the layouts).
#[derive(Debug, Clone)]
pub(super) struct Basis {
    /// `[Nx, 2m_x]`: `x ↦ (Re X_k | Im X_k)`, `X_k = Σ_n x_n e^{−2πi k n/Nx}`.
    fwd_x: Tensor<2>,
    /// `[2m_x, Nx]`: the `irfft` of the kept half spectrum (imaginary parts of `k = 0` and
    /// Nyquist ignored, as `irfft`).
    inv_x: Tensor<2>,
    /// `[2Ny, 2K]` and `[2K, 2Ny]`: the complex DFT along y restricted to the kept rows and its
    /// inverse, acting on `(Re | Im)` stacks (2-D only).
    y: Option<(Tensor<2>, Tensor<2>)>,
}

impl Basis {
    /// Bases for a `ny × nx` grid and modes `[m_y, m_x]` (`m_y = 0`: 1-D).
    pub(super) fn new(ny: usize, nx: usize, [my, mx]: [usize; 2], device: &Device) -> Self {
        let mut fwd = vec![0.0f32; nx * 2 * mx];
        let mut inv = vec![0.0f32; 2 * mx * nx];
        for k in 0..mx {
            let c = if k == 0 || 2 * k == nx { 1.0 } else { 2.0 } / nx as f64;
            for n in 0..nx {
                let (s, co) = (TAU * (k * n) as f64 / nx as f64).sin_cos();
                fwd[n * 2 * mx + k] = co as f32;
                fwd[n * 2 * mx + mx + k] = -s as f32;
                inv[k * nx + n] = (c * co) as f32;
                inv[(mx + k) * nx + n] = (-c * s) as f32;
            }
        }
        let mat =
            |v: Vec<f32>, shape: [usize; 2]| Tensor::from_data(TensorData::new(v, shape), device);
        let y = (my > 0).then(|| {
            let (f, i) = y_matrices(ny, my);
            (mat(f, [2 * ny, 4 * my]), mat(i, [4 * my, 2 * ny]))
        });
        Self { fwd_x: mat(fwd, [nx, 2 * mx]), inv_x: mat(inv, [2 * mx, nx]), y }
    }
}

/// Row-major `[2Ny, 2K]` forward and `[2K, 2Ny]` inverse matrices of the complex DFT along y over
/// the `K = 2m` kept rows: `(a | b) ↦ (Re | Im)` of `Σ_n (a_n + i b_n) e^{−2πi k n/Ny}`, and
/// `(p | q) ↦ (Re | Im)` of `(1/Ny) Σ_k (p_k + i q_k) e^{+2πi k n/Ny}`.
fn y_matrices(ny: usize, my: usize) -> (Vec<f32>, Vec<f32>) {
    let k = 2 * my;
    let mut fwd = vec![0.0f32; 2 * ny * 2 * k];
    let mut inv = vec![0.0f32; 2 * k * 2 * ny];
    for r in 0..k {
        let ky = row_wavenumber(r, my);
        for n in 0..ny {
            let (s, c) = (TAU * ky * n as f64 / ny as f64).sin_cos();
            let (s, c) = (s as f32, c as f32);
            let w = 2 * k;
            fwd[n * w + r] = c;
            fwd[(ny + n) * w + r] = s;
            fwd[n * w + k + r] = -s;
            fwd[(ny + n) * w + k + r] = c;
            let (s, c, w) = (s / ny as f32, c / ny as f32, 2 * ny);
            inv[r * w + n] = c;
            inv[(k + r) * w + n] = -s;
            inv[r * w + ny + n] = s;
            inv[(k + r) * w + ny + n] = c;
        }
    }
    (fwd, inv)
}

/// Fourier-space channel mixing (Li et al. 2021): `y = F⁻¹(R · F x)` with a complex matrix
/// `R_k ∈ ℂ^{C_in × C_out}` per retained mode `k` and all other modes set to zero.
///
/// Input `[N, C_in, Ny, Nx]` (`Ny = 1` in 1-D), output `[N, C_out, Ny, Nx]`. 1-D: `rfft` along x,
/// modes `k_x = 0…m−1`. 2-D: `rfft` along x (`k_x = 0…m−1`) and a full DFT along y
/// (`k_y = 0…m−1, −m…−1`). A periodic-domain operator, so it commutes with translations.
#[derive(Module, Debug)]
pub struct SpectralConv {
    /// Real parts of `R`, `[M, C_in, C_out]`; mode index `r·m_x + k_x` over the retained `k_y`
    /// rows `r` (`M = m` in 1-D, `2m·m` in 2-D).
    pub weight_re: Param<Tensor<3>>,
    /// Imaginary parts of `R`, same layout.
    pub weight_im: Param<Tensor<3>>,
    /// Retained modes `[m_y, m_x]`; `m_y = 0` for 1-D fields.
    pub modes: [usize; 2],
}

impl SpectralConv {
    /// Applies the layer: `[N, C_in, Ny, Nx] → [N, C_out, Ny, Nx]`.
    ///
    /// # Panics
    /// If the grid cannot hold the retained modes (see [`SpectralConvConfig::check_grid`]) or
    /// the channel count differs from `C_in`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, ny, nx] = x.dims();
        let basis = Basis::new(ny, nx, self.modes, &x.device());
        self.forward_with(x, &basis)
    }

    /// Checks the grid `[Ny, Nx]` of an input against the modes.
    ///
    /// # Panics
    /// With the message of [`check_modes`] when the grid is too small.
    pub(super) fn assert_grid(&self, ny: usize, nx: usize) {
        let (spatial, dims) = match self.modes[0] {
            0 => (Spatial::Line, vec![nx]),
            _ => (Spatial::Plane, vec![ny, nx]),
        };
        let ok = spatial != Spatial::Line || ny == 1;
        assert!(ok, "a 1-D spectral convolution needs Ny = 1, got fields {ny} × {nx}");
        if let Err(e) = check_modes(spatial, self.modes[1], &dims) {
            panic!("spectral convolution on a {ny} × {nx} grid: {e}");
        }
    }

    /// [`forward`](Self::forward) with the bases of the input's grid already built.
    pub(super) fn forward_with(&self, x: Tensor<4>, basis: &Basis) -> Tensor<4> {
        let [n, ci, ny, nx] = x.dims();
        self.assert_grid(ny, nx);
        let [_, mx] = self.modes;
        let k = rows(self.modes);
        let co = self.weight_re.dims()[2];
        // along x: [N·C·Ny, Nx] → [N, C, Ny, 2, m_x]
        let h: Tensor<5> =
            x.reshape([n * ci * ny, nx]).matmul(basis.fwd_x.clone()).reshape([n, ci, ny, 2, mx]);
        // along y: [N, C, m_x, 2·Ny] → [N, C, K, 2, m_x]
        let h = along_y(h, basis.y.as_ref().map(|(f, _)| f), k);
        // mixing per mode: [K·m_x, N, 2C_in] @ [K·m_x, 2C_in, 2C_out]
        let h = h.permute([2, 4, 0, 3, 1]).reshape([k * mx, n, 2 * ci]).matmul(self.mixing());
        let h = h.reshape([k, mx, n, 2, co]).permute([2, 4, 0, 3, 1]);
        let h = along_y(h, basis.y.as_ref().map(|(_, i)| i), ny);
        h.reshape([n * co * ny, 2 * mx]).matmul(basis.inv_x.clone()).reshape([n, co, ny, nx])
    }

    /// The real form `[[Re R, Im R], [−Im R, Re R]]` `[M, 2C_in, 2C_out]` of the complex weights,
    /// acting on `(Re | Im)` stacked channel rows.
    fn mixing(&self) -> Tensor<3> {
        let (re, im) = (self.weight_re.val(), self.weight_im.val());
        let top = Tensor::cat(vec![re.clone(), im.clone()], 2);
        let bottom = Tensor::cat(vec![im.neg(), re], 2);
        Tensor::cat(vec![top, bottom], 1)
    }
}

/// Applies a y-matrix (`[2A, 2B]`) to `h` `[N, C, A, 2, m_x]` → `[N, C, B, 2, m_x]`; identity
/// when `m` is `None` (1-D, `A = B = 1`).
fn along_y(h: Tensor<5>, m: Option<&Tensor<2>>, b: usize) -> Tensor<5> {
    let Some(m) = m else { return h };
    let [n, c, a, _, mx] = h.dims();
    h.permute([0, 1, 4, 3, 2])
        .reshape([n * c * mx, 2 * a])
        .matmul(m.clone())
        .reshape([n, c, mx, 2, b])
        .permute([0, 1, 4, 3, 2])
}
