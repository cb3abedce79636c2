//! The orthonormal complex Fourier transform of real fields on a burn device, as real matrix
//! products: `û_k = N^{−1/2} Σ_x u(x) e^{−i k·x}` over the half spectrum of the grid (the layout
//! of [`Grid`]: `[Ny, Nx/2 + 1]`, 1-D `[1, L/2 + 1]`), kept as a pair `(re, im)`.
//!
//! [`RealFourierBasis`](super::RealFourierBasis) serves multipliers that are real and even in
//! each axis; this transform serves *complex* per-mode multipliers (a travelling wave's phase
//! rotation), which the linear-Gaussian predictor needs. With `C_y, S_y` the `Ny × Ny` cosine and
//! sine matrices and `C_x, S_x` the `Nx × h` ones (scaled by `N^{−1/2}`):
//!
//! ```text
//! forward:  re = C_y X C_x − S_y X S_x,       im = −(S_y X C_x + C_y X S_x)
//! inverse:  X = C_y P − S_y Q,  P = re W_c − im W_s,  Q = re W_s + im W_c
//! ```
//!
//! where `W_c, W_s` (`h × Nx`) carry the weight 2 of every x bin whose mirror is not stored
//! (1 for `k_x = 0` and the Nyquist bin). The inverse takes the real part, i.e. it projects a
//! spectrum that is not Hermitian onto the real fields. Both are differentiable.

use super::device::plane_dims;
use crate::spectral::Grid;
use burn::prelude::*;
use std::f64::consts::TAU;

/// The half-spectrum transform of one grid on one device.
#[derive(Debug, Clone)]
pub struct HalfSpectrum {
    ny: usize,
    nx: usize,
    h: usize,
    /// `[1, Ny, Ny]` cosine / sine in y.
    cy: Tensor<3>,
    sy: Tensor<3>,
    /// `[Nx, h]` forward cosine / sine in x, scaled by `N^{−1/2}`.
    cx: Tensor<2>,
    sx: Tensor<2>,
    /// `[h, Nx]` inverse cosine / sine in x, with the mirror weights and `N^{−1/2}`.
    wc: Tensor<2>,
    ws: Tensor<2>,
}

fn trig(rows: usize, cols: usize, n: usize, scale: impl Fn(usize) -> f64, sin: bool) -> Vec<f32> {
    (0..rows * cols)
        .map(|i| {
            let (r, c) = (i / cols, i % cols);
            let a = TAU * ((r * c) % n) as f64 / n as f64;
            ((if sin { a.sin() } else { a.cos() }) * scale(i)) as f32
        })
        .collect()
}

impl HalfSpectrum {
    /// The transform of `grid` on `device`.
    pub fn new(grid: &Grid, device: &Device) -> Self {
        let (ny, nx) = plane_dims(grid);
        let h = nx / 2 + 1;
        let norm = 1.0 / ((ny * nx) as f64).sqrt();
        let weight = |q: usize| if q == 0 || 2 * q == nx { 1.0 } else { 2.0 };
        let t3 = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, [1, ny, ny]), device);
        let t2 = |v: Vec<f32>, s: [usize; 2]| Tensor::<2>::from_data(TensorData::new(v, s), device);
        Self {
            ny,
            nx,
            h,
            cy: t3(trig(ny, ny, ny, |_| 1.0, false)),
            sy: t3(trig(ny, ny, ny, |_| 1.0, true)),
            cx: t2(trig(nx, h, nx, |_| norm, false), [nx, h]),
            sx: t2(trig(nx, h, nx, |_| norm, true), [nx, h]),
            wc: t2(trig(h, nx, nx, |i| norm * weight(i / nx), false), [h, nx]),
            ws: t2(trig(h, nx, nx, |i| norm * weight(i / nx), true), [h, nx]),
        }
    }

    /// Half-spectrum bins per field, `Ny · h`.
    pub fn bins(&self) -> usize {
        self.ny * self.h
    }

    /// `x` `[B, C, F, Ny, Nx]` → `(re, im)`, each `[B, C, F, Ny, h]`.
    pub fn forward(&self, x: Tensor<5>) -> (Tensor<5>, Tensor<5>) {
        let [b, c, f, ny, nx] = x.dims();
        let flat = x.reshape([b * c * f * ny, nx]);
        let (a, s) = (flat.clone().matmul(self.cx.clone()), flat.matmul(self.sx.clone()));
        let (re, im) = if self.ny > 1 {
            let n = b * c * f;
            let a = a.reshape([n, ny, self.h]);
            let s = s.reshape([n, ny, self.h]);
            let re = self.cy.clone().matmul(a.clone()) - self.sy.clone().matmul(s.clone());
            let im = (self.sy.clone().matmul(a) + self.cy.clone().matmul(s)).neg();
            (re.reshape([b, c, f, ny, self.h]), im.reshape([b, c, f, ny, self.h]))
        } else {
            (a.reshape([b, c, f, ny, self.h]), s.neg().reshape([b, c, f, ny, self.h]))
        };
        (re, im)
    }

    /// `(re, im)` `[B, C, F, Ny, h]` → the real field `[B, C, F, Ny, Nx]`.
    pub fn inverse(&self, re: Tensor<5>, im: Tensor<5>) -> Tensor<5> {
        let [b, c, f, ny, h] = re.dims();
        let (re, im) = (re.reshape([b * c * f * ny, h]), im.reshape([b * c * f * ny, h]));
        let p = re.clone().matmul(self.wc.clone()) - im.clone().matmul(self.ws.clone());
        let x = if self.ny > 1 {
            let q = re.matmul(self.ws.clone()) + im.matmul(self.wc.clone());
            let n = b * c * f;
            let p = p.reshape([n, ny, self.nx]);
            let q = q.reshape([n, ny, self.nx]);
            self.cy.clone().matmul(p) - self.sy.clone().matmul(q)
        } else {
            p.reshape([b * c * f, ny, self.nx])
        };
        x.reshape([b, c, f, ny, self.nx])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::SpectralPlan;

    fn host_spectrum(grid: &Grid, field: &[f32]) -> Vec<(f64, f64)> {
        let plan = SpectralPlan::<f64>::new(grid);
        let mut s = plan.make_scratch();
        let mut spec = plan.spectrum_buffer();
        let x: Vec<f64> = field.iter().map(|&v| v as f64).collect();
        plan.forward(&x, &mut spec, &mut s);
        let norm = 1.0 / (grid.len() as f64).sqrt();
        spec.iter().map(|z| (z.re * norm, z.im * norm)).collect()
    }

    #[test]
    fn matches_the_host_fft_and_inverts_in_1d_and_2d() {
        let device = Device::flex();
        for grid in [Grid::line(10), Grid::line(9), Grid::plane(6, 8), Grid::plane(5, 7)] {
            let (ny, nx) = plane_dims(&grid);
            let field: Vec<f32> = (0..ny * nx).map(|i| ((i * 7 % 11) as f32 - 5.0) / 3.0).collect();
            let x =
                Tensor::<5>::from_data(TensorData::new(field.clone(), [1, 1, 1, ny, nx]), &device);
            let t = HalfSpectrum::new(&grid, &device);
            let (re, im) = t.forward(x.clone());
            let re: Vec<f32> = crate::backend::to_vec(re.clone());
            let im_v: Vec<f32> = crate::backend::to_vec(im.clone());
            for (q, (a, b)) in host_spectrum(&grid, &field).into_iter().enumerate() {
                assert!((re[q] as f64 - a).abs() < 1e-5 && (im_v[q] as f64 - b).abs() < 1e-5);
            }
            let re_t =
                Tensor::<5>::from_data(TensorData::new(re, [1, 1, 1, ny, nx / 2 + 1]), &device);
            let back: Vec<f32> = crate::backend::to_vec(t.inverse(re_t, im));
            assert!(field.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-5), "{grid:?}");
        }
    }
}
