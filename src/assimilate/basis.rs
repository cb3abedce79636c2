//! The orthonormal real Fourier basis of a grid on the host (f64), in the layout of
//! [`RealFourierBasis`](crate::diffusion::RealFourierBasis): coefficient `(p, q)` (row-major
//! `Ny × Nx`) of `Z = R_y X R_xᵀ` belongs to the half-spectrum bin `k_y(p)·(Nx/2 + 1) + k_x(q)`,
//! `k(p) = ⌈p/2⌉`. A real multiplier that is even in each axis is diagonal in it, so a
//! stationary covariance is a vector of per-coefficient variances.

use crate::diffusion::{plane_dims, real_fourier_basis};
use crate::spectral::Grid;

/// The bases `R_y`, `R_x` of a grid and the half-spectrum bin of every coefficient.
#[derive(Debug, Clone)]
pub struct HostBasis {
    ny: usize,
    nx: usize,
    ry: Vec<f64>,
    rx: Vec<f64>,
    bins: Vec<usize>,
}

impl HostBasis {
    /// The basis of `grid`.
    pub fn new(grid: &Grid) -> Self {
        let (ny, nx) = plane_dims(grid);
        let (ry, ky) = real_fourier_basis(ny);
        let (rx, kx) = real_fourier_basis(nx);
        let h = nx / 2 + 1;
        let bins = ky.iter().flat_map(|&a| kx.iter().map(move |&b| a * h + b)).collect();
        let wide = |v: Vec<f32>| v.into_iter().map(f64::from).collect();
        Self { ny, nx, ry: wide(ry), rx: wide(rx), bins }
    }

    /// `Ny · Nx`.
    pub fn len(&self) -> usize {
        self.ny * self.nx
    }

    /// Always false (a grid has at least one point).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The half-spectrum bin of every coefficient (`Ny · Nx` values).
    pub fn bins(&self) -> &[usize] {
        &self.bins
    }

    /// A half-spectrum quantity (`grid.half_len()` values) in the basis layout.
    pub fn from_half<T: Copy + Into<f64>>(&self, half: &[T]) -> Vec<f64> {
        self.bins.iter().map(|&b| half[b].into()).collect()
    }

    /// `Z = R_y X R_xᵀ` of one field `X` (`Ny · Nx` values, row-major).
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        let (ny, nx) = (self.ny, self.nx);
        // T = X R_xᵀ, then Z = R_y T
        let mut t = vec![0.0; ny * nx];
        for i in 0..ny {
            for q in 0..nx {
                t[i * nx + q] = (0..nx).map(|j| x[i * nx + j] * self.rx[q * nx + j]).sum();
            }
        }
        let mut z = vec![0.0; ny * nx];
        for p in 0..ny {
            for q in 0..nx {
                z[p * nx + q] = (0..ny).map(|i| self.ry[p * ny + i] * t[i * nx + q]).sum();
            }
        }
        z
    }

    /// `X = R_yᵀ Z R_x`, the inverse of [`forward`](Self::forward).
    pub fn inverse(&self, z: &[f64]) -> Vec<f64> {
        let (ny, nx) = (self.ny, self.nx);
        let mut t = vec![0.0; ny * nx];
        for p in 0..ny {
            for j in 0..nx {
                t[p * nx + j] = (0..nx).map(|q| z[p * nx + q] * self.rx[q * nx + j]).sum();
            }
        }
        let mut x = vec![0.0; ny * nx];
        for i in 0..ny {
            for j in 0..nx {
                x[i * nx + j] = (0..ny).map(|p| self.ry[p * ny + i] * t[p * nx + j]).sum();
            }
        }
        x
    }

    /// The covariance between the point `(i, j)` and the origin of a stationary field whose
    /// coefficients have variances `m` (basis layout), for every `(i, j)`: `R_yᵀ (m ⊙ Z₀) R_x`
    /// with `Z₀` the transform of a unit impulse at the origin. By stationarity the covariance
    /// of points `a` and `b` is this at `a − b` (periodic).
    pub fn covariance_kernel(&self, m: &[f64]) -> Vec<f64> {
        let (ny, nx) = (self.ny, self.nx);
        // A[p, j] = Σ_q m[p, q] R_x[q, 0] R_x[q, j]
        let mut a = vec![0.0; ny * nx];
        for p in 0..ny {
            for j in 0..nx {
                a[p * nx + j] =
                    (0..nx).map(|q| m[p * nx + q] * self.rx[q * nx] * self.rx[q * nx + j]).sum();
            }
        }
        let mut out = vec![0.0; ny * nx];
        for i in 0..ny {
            for j in 0..nx {
                out[i * nx + j] =
                    (0..ny).map(|p| self.ry[p * ny + i] * self.ry[p * ny] * a[p * nx + j]).sum();
            }
        }
        out
    }

    /// The flat index of the periodic difference `a − b` of two flat grid indices.
    pub fn difference(&self, a: usize, b: usize) -> usize {
        let (ny, nx) = (self.ny, self.nx);
        let dy = (a / nx + ny - b / nx) % ny;
        let dx = (a % nx + nx - b % nx) % nx;
        dy * nx + dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_noise_has_a_delta_kernel_and_the_transform_is_orthonormal() {
        let b = HostBasis::new(&Grid::plane(4, 6));
        let k = b.covariance_kernel(&[2.0; 24]);
        assert!((k[0] - 2.0).abs() < 1e-6 && k[1..].iter().all(|v| v.abs() < 1e-6), "{k:?}");
        let x: Vec<f64> = (0..24).map(|i| (i as f64 * 0.37).cos()).collect();
        let z = b.forward(&x);
        let (nx2, nz2): (f64, f64) = (x.iter().map(|v| v * v).sum(), z.iter().map(|v| v * v).sum());
        assert!((nx2 - nz2).abs() < 1e-5 * nx2);
        let back = b.inverse(&z);
        assert!(back.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-5));
        assert_eq!(b.difference(0, 7), 3 * 6 + 5);
        // a single cosine mode k_x = 1 of variance 1 per coefficient: kernel cos(2π j/6)·(2/24)
        let mut m = vec![0.0; 24];
        for (i, &bin) in b.bins().iter().enumerate() {
            if bin == 1 {
                m[i] = 1.0; // the cos and sin coefficients of (k_y, k_x) = (0, 1)
            }
        }
        let k = b.covariance_kernel(&m);
        let want = 2.0 / 24.0 * (std::f64::consts::TAU / 6.0).cos();
        assert!((k[1] - want).abs() < 1e-6, "{} vs {want}", k[1]);
    }
}
