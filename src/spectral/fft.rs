//! Real FFTs over a [`Grid`] (realfft along the last axis, rustfft along the first in 2-D).

use super::Grid;
use num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftNum, FftPlanner};
use std::sync::Arc;

/// Columns transformed together along axis 0 (2-D): a block of this many half-spectrum columns
/// is gathered into contiguous memory per batched FFT call.
const COLUMN_BLOCK: usize = 16;

/// A reusable FFT plan for real fields on one [`Grid`]; the front door to pdd's spectral work.
///
/// `forward` is unnormalised (`X_k = Σ_n x_n e^{−2πi k·n/N}`) and `inverse` divides by the number
/// of points, so `inverse(forward(x)) == x`. Diagonal multipliers applied between the two do not
/// depend on the convention. Plans are `Send + Sync`; each thread needs its own [`Scratch`].
///
/// ```
/// use pdd::spectral::{Grid, SpectralPlan};
/// let plan = SpectralPlan::<f64>::new(&Grid::plane(4, 6));
/// let x: Vec<f64> = (0..24).map(|i| (i as f64).sin()).collect();
/// let mut s = plan.make_scratch();
/// let mut spec = plan.spectrum_buffer();
/// plan.forward(&x, &mut spec, &mut s);
/// let mut back = vec![0.0; 24];
/// plan.inverse(&mut spec, &mut back, &mut s);
/// assert!(x.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-12));
/// ```
#[derive(Clone)]
pub struct SpectralPlan<T: FftNum> {
    grid: Grid,
    r2c: Arc<dyn RealToComplex<T>>,
    c2r: Arc<dyn ComplexToReal<T>>,
    /// Forward/inverse complex FFT along axis 0 (2-D only).
    col_fwd: Option<Arc<dyn Fft<T>>>,
    col_inv: Option<Arc<dyn Fft<T>>>,
}

/// Per-thread scratch buffers for a [`SpectralPlan`].
pub struct Scratch<T: FftNum> {
    row_in: Vec<T>,
    row_out: Vec<Complex<T>>,
    r2c: Vec<Complex<T>>,
    c2r: Vec<Complex<T>>,
    col: Vec<Complex<T>>,
    col_fft: Vec<Complex<T>>,
}

impl<T: FftNum> SpectralPlan<T> {
    /// Plans transforms for fields on `grid`.
    pub fn new(grid: &Grid) -> Self {
        let dims = grid.dims();
        let nx = *dims.last().unwrap();
        let mut rp = RealFftPlanner::<T>::new();
        let r2c = rp.plan_fft_forward(nx);
        let c2r = rp.plan_fft_inverse(nx);
        let (col_fwd, col_inv) = if dims.len() == 2 {
            let mut cp = FftPlanner::<T>::new();
            (Some(cp.plan_fft_forward(dims[0])), Some(cp.plan_fft_inverse(dims[0])))
        } else {
            (None, None)
        };
        Self { grid: grid.clone(), r2c, c2r, col_fwd, col_inv }
    }

    /// The grid this plan transforms.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Fresh scratch buffers for one thread.
    pub fn make_scratch(&self) -> Scratch<T> {
        let nx = *self.grid.dims().last().unwrap();
        let ny = if self.grid.ndim() == 2 { self.grid.dims()[0] } else { 0 };
        let col_len = self.col_fwd.as_ref().map_or(0, |f| {
            f.get_inplace_scratch_len()
                .max(self.col_inv.as_ref().unwrap().get_inplace_scratch_len())
        });
        Scratch {
            row_in: vec![T::zero(); nx],
            row_out: vec![Complex::new(T::zero(), T::zero()); nx / 2 + 1],
            r2c: self.r2c.make_scratch_vec(),
            c2r: self.c2r.make_scratch_vec(),
            col: vec![Complex::new(T::zero(), T::zero()); ny * COLUMN_BLOCK],
            col_fft: vec![Complex::new(T::zero(), T::zero()); col_len],
        }
    }

    /// A zeroed buffer of the half-spectrum size.
    pub fn spectrum_buffer(&self) -> Vec<Complex<T>> {
        vec![Complex::new(T::zero(), T::zero()); self.grid.half_len()]
    }

    /// Unnormalised forward transform of one real field (`grid.len()` values, row-major) into
    /// its half spectrum (`grid.half_len()` values).
    ///
    /// # Panics
    /// If the slice lengths do not match the grid.
    pub fn forward(&self, field: &[T], spectrum: &mut [Complex<T>], s: &mut Scratch<T>) {
        let dims = self.grid.dims();
        let nx = *dims.last().unwrap();
        let h = nx / 2 + 1;
        assert_eq!(field.len(), self.grid.len(), "field length does not match the grid");
        assert_eq!(spectrum.len(), self.grid.half_len(), "spectrum length does not match the grid");
        for (row, out) in field.chunks_exact(nx).zip(spectrum.chunks_exact_mut(h)) {
            s.row_in.copy_from_slice(row);
            self.r2c
                .process_with_scratch(&mut s.row_in, &mut s.row_out, &mut s.r2c)
                .expect("r2c sizes match");
            out.copy_from_slice(&s.row_out);
        }
        if let Some(f) = &self.col_fwd {
            self.columns(spectrum, f.as_ref(), dims[0], h, s);
        }
    }

    /// Inverse of [`forward`](Self::forward) (divides by the number of points). `spectrum` is
    /// used as workspace and left in an unspecified state. Imaginary parts that a real field
    /// cannot have are ignored.
    ///
    /// # Panics
    /// If the slice lengths do not match the grid.
    pub fn inverse(&self, spectrum: &mut [Complex<T>], field: &mut [T], s: &mut Scratch<T>) {
        let dims = self.grid.dims();
        let nx = *dims.last().unwrap();
        let h = nx / 2 + 1;
        assert_eq!(field.len(), self.grid.len(), "field length does not match the grid");
        assert_eq!(spectrum.len(), self.grid.half_len(), "spectrum length does not match the grid");
        if let Some(f) = &self.col_inv {
            self.columns(spectrum, f.as_ref(), dims[0], h, s);
        }
        let norm = T::from_f64(1.0 / self.grid.len() as f64).unwrap();
        for (spec_row, out) in spectrum.chunks_exact(h).zip(field.chunks_exact_mut(nx)) {
            s.row_out.copy_from_slice(spec_row);
            s.row_out[0].im = T::zero();
            if nx.is_multiple_of(2) {
                s.row_out[h - 1].im = T::zero();
            }
            self.c2r
                .process_with_scratch(&mut s.row_out, out, &mut s.c2r)
                .expect("c2r sizes match");
            for v in out.iter_mut() {
                *v = *v * norm;
            }
        }
    }

    /// Applies a complex FFT along axis 0 to every column of a `[ny, h]` half spectrum.
    ///
    /// Columns are processed [`COLUMN_BLOCK`] at a time: gathered row by row (contiguous reads)
    /// into `[block][ny]`, transformed in one batched call, and scattered back.
    fn columns(
        &self,
        spec: &mut [Complex<T>],
        f: &dyn Fft<T>,
        ny: usize,
        h: usize,
        s: &mut Scratch<T>,
    ) {
        let mut kx0 = 0;
        while kx0 < h {
            let b = COLUMN_BLOCK.min(h - kx0);
            let buf = &mut s.col[..b * ny];
            for (y, row) in spec.chunks_exact(h).enumerate() {
                for (c, v) in row[kx0..kx0 + b].iter().enumerate() {
                    buf[c * ny + y] = *v;
                }
            }
            f.process_with_scratch(buf, &mut s.col_fft);
            for (y, row) in spec.chunks_exact_mut(h).enumerate() {
                for (c, v) in row[kx0..kx0 + b].iter_mut().enumerate() {
                    *v = buf[c * ny + y];
                }
            }
            kx0 += b;
        }
    }

    /// Replaces `field` by `F⁻¹{ m ⊙ F{field} }` for a real per-bin multiplier `m` given on the
    /// half spectrum (`grid.half_len()` values).
    pub fn apply_multiplier(
        &self,
        field: &mut [T],
        m: &[T],
        spec: &mut [Complex<T>],
        s: &mut Scratch<T>,
    ) {
        assert_eq!(m.len(), self.grid.half_len(), "multiplier length does not match the grid");
        self.forward(field, spec, s);
        for (c, &w) in spec.iter_mut().zip(m) {
            *c = *c * w;
        }
        self.inverse(spec, field, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(grid: Grid) {
        let plan = SpectralPlan::<f64>::new(&grid);
        let n = grid.len();
        let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
        let mut s = plan.make_scratch();
        let mut spec = plan.spectrum_buffer();
        plan.forward(&x, &mut spec, &mut s);
        // Parseval: Σ x² = (1/N) Σ_full |X|²
        let w = grid.half_weights();
        let e_spec: f64 =
            spec.iter().zip(&w).map(|(c, w)| c.norm_sqr() * w).sum::<f64>() / n as f64;
        let e: f64 = x.iter().map(|v| v * v).sum();
        assert!((e - e_spec).abs() < 1e-9 * e, "{e} vs {e_spec}");
        let mut y = vec![0.0; n];
        plan.inverse(&mut spec, &mut y, &mut s);
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn roundtrip_and_parseval() {
        roundtrip(Grid::line(128));
        roundtrip(Grid::line(15));
        roundtrip(Grid::plane(40, 40));
        roundtrip(Grid::plane(6, 9));
    }

    #[test]
    fn pure_mode_lands_in_its_bin_2d() {
        let g = Grid::plane(8, 8);
        let plan = SpectralPlan::<f64>::new(&g);
        let tau = std::f64::consts::TAU;
        // cos(2x + 3y): bins (ky=3,kx=2) and (ky=-3 → 5, kx=-2 → conj) i.e. (5, 2) holds conj of (3,-2)
        let x: Vec<f64> = (0..64)
            .map(|i| {
                let (y, xx) = ((i / 8) as f64, (i % 8) as f64);
                (tau * (2.0 * xx + 3.0 * y) / 8.0).cos()
            })
            .collect();
        let mut s = plan.make_scratch();
        let mut spec = plan.spectrum_buffer();
        plan.forward(&x, &mut spec, &mut s);
        for (i, c) in spec.iter().enumerate() {
            let expect = if i == 3 * 5 + 2 { 32.0 } else { 0.0 };
            assert!((c.re - expect).abs() < 1e-9 && c.im.abs() < 1e-9, "bin {i}: {c}");
        }
    }
}
