//! Forward sampling on the host: `u_λ = C_λ u_0 + √Σ_λ ε` for a batch `[B, C, F, *grid]` with a
//! diffusion index per example (docs/reference.md §2.5).
//!
//! Every field (one example, channel and frame) is transformed with the process's
//! [`SpectralPlan`](crate::spectral::SpectralPlan); examples run in parallel with rayon. White
//! noise for example `b` is drawn in real space from [`rng::stream(seed, b)`](crate::rng::stream),
//! so results do not depend on the thread count.

use super::process::{ForwardProcess, Table};
use crate::error::{Error, Result};
use crate::rng;
use crate::spectral::{BatchShape, CheckedBatch};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rayon::prelude::*;

/// White standard-normal noise of `shape` (`[B, …]`): the values of example `b` (everything
/// under leading index `b`, in row-major order) come from `rng::stream(seed, b)`.
///
/// Callers that draw noise for many batches should vary `seed` per batch (for example
/// `seed + step`), since example `b` of two calls with the same seed gets the same noise.
pub fn white_noise(shape: &[usize], seed: u64) -> ArrayD<f32> {
    white_noise_rows(shape, seed, 0)
}

/// Rows `first .. first + shape[0]` of [`white_noise`] of a larger batch: example `b` of the
/// result `[B, …]` comes from `rng::stream(seed, first + b)`. Data-parallel training draws
/// each replica's shard of a batch with it (docs/scaling.md), so the shards together hold
/// exactly the noise of the whole batch.
pub fn white_noise_rows(shape: &[usize], seed: u64, first: usize) -> ArrayD<f32> {
    let mut out = ArrayD::<f32>::zeros(IxDyn(shape));
    let per = shape.iter().skip(1).product::<usize>();
    if per > 0 {
        let data = out.as_slice_mut().expect("fresh arrays are contiguous");
        data.par_chunks_mut(per).enumerate().for_each(|(b, chunk)| {
            let mut r = rng::stream(seed, (first + b) as u64);
            rng::fill_normal(&mut r, chunk);
        });
    }
    out
}

impl ForwardProcess {
    /// Checks per-example indices `t` against a batch of `batch` examples.
    pub(crate) fn check_indices(&self, t: &[usize], batch: usize, context: &str) -> Result<()> {
        if t.len() != batch {
            return Err(Error::shape(
                format!("{context}: one diffusion index per example"),
                batch,
                t.len(),
            ));
        }
        t.iter().try_for_each(|&i| self.check_index(i))
    }

    /// For every field `f` of example `b`: `F⁻¹{ mx_b ⊙ F{x_f} + my_b ⊙ F{y_f} }` (the `y` term
    /// only when `y` is given). `rows[b] = (mx_b, my_b)` are half-spectrum multipliers.
    pub(crate) fn spectral_combine(
        &self,
        shape: &BatchShape,
        x: &[f32],
        y: Option<&[f32]>,
        rows: &[(&[f32], &[f32])],
    ) -> Vec<f32> {
        let mut out = vec![0.0f32; x.len()];
        let (n, per) = (shape.field_len, shape.per_example());
        if per == 0 {
            return out;
        }
        let plan = self.plan();
        out.par_chunks_mut(per).enumerate().for_each_init(
            || (plan.make_scratch(), plan.spectrum_buffer(), plan.spectrum_buffer()),
            |(scratch, sx, sy), (b, out_b)| {
                let (mx, my) = rows[b];
                for (f, out_f) in out_b.chunks_exact_mut(n).enumerate() {
                    let range = b * per + f * n..b * per + (f + 1) * n;
                    plan.forward(&x[range.clone()], sx, scratch);
                    match y {
                        Some(y) => {
                            plan.forward(&y[range], sy, scratch);
                            for (((cx, cy), &a), &c) in sx.iter_mut().zip(sy.iter()).zip(mx).zip(my)
                            {
                                *cx = *cx * a + *cy * c;
                            }
                        }
                        None => {
                            for (cx, &a) in sx.iter_mut().zip(mx) {
                                *cx *= a;
                            }
                        }
                    }
                    plan.inverse(sx, out_f, scratch);
                }
            },
        );
        out
    }

    /// `u_λ = C_λ u_0 + √Σ_λ ε` with white ε drawn from `rng::stream(seed, b)` for example `b`
    /// (see [`white_noise`]).
    ///
    /// `x0`: `[B, C, F, *grid]`; `t`: `B` diffusion indices (`< T`). Returns `[B, C, F, *grid]`.
    /// Errors: shape mismatch with the grid, wrong number of indices, index ≥ T, NaN/∞ in `x0`.
    pub fn q_sample(&self, x0: &ArrayViewD<f32>, t: &[usize], seed: u64) -> Result<ArrayD<f32>> {
        Ok(self.q_sample_with_noise(x0, t, seed)?.0)
    }

    /// Like [`q_sample`](Self::q_sample), and also returns the white noise ε it used
    /// (`[B, C, F, *grid]`; SA-PDD regresses on it). Without forward noise
    /// (`forward_noise = false`, Eq. 68) `u_λ = C_λ u₀` and ε is zero.
    pub fn q_sample_with_noise(
        &self,
        x0: &ArrayViewD<f32>,
        t: &[usize],
        seed: u64,
    ) -> Result<(ArrayD<f32>, ArrayD<f32>)> {
        let x = self.grid().checked_batch(x0, "q_sample x0")?;
        self.check_indices(t, x.shape.batch, "q_sample")?;
        let noise = if self.config().forward_noise {
            white_noise(x0.shape(), seed)
        } else {
            ArrayD::zeros(IxDyn(x0.shape()))
        };
        let u =
            self.q_sample_checked(&x, t, noise.as_slice().expect("fresh arrays are contiguous"));
        Ok((u, noise))
    }

    /// `u_λ = Re F⁻¹{ Â_t F{x0} + B̂_t F{ε} }` with the given white noise `noise`
    /// (same shape as `x0`, `[B, C, F, *grid]`); `C_λ u₀` alone (the noise unused) when the
    /// process has `forward_noise = false` (Eq. 68).
    pub fn q_sample_given_noise(
        &self,
        x0: &ArrayViewD<f32>,
        t: &[usize],
        noise: &ArrayViewD<f32>,
    ) -> Result<ArrayD<f32>> {
        let x = self.grid().checked_batch(x0, "q_sample x0")?;
        let e = self.grid().checked_batch(noise, "q_sample noise")?;
        if x0.shape() != noise.shape() {
            return Err(Error::shape(
                "q_sample noise (same shape as x0)",
                x0.shape(),
                noise.shape(),
            ));
        }
        self.check_indices(t, x.shape.batch, "q_sample")?;
        Ok(self.q_sample_checked(&x, t, e.as_slice()))
    }

    /// q-sample of a validated batch with noise of the same layout.
    fn q_sample_checked(&self, x: &CheckedBatch, t: &[usize], noise: &[f32]) -> ArrayD<f32> {
        let rows: Vec<_> = t.iter().map(|&i| (self.damping(i), self.noise_std(i))).collect();
        let noise = self.config().forward_noise.then_some(noise);
        let out = self.spectral_combine(&x.shape, x.as_slice(), noise, &rows);
        ArrayD::from_shape_vec(IxDyn(x.shape_vec()), out).expect("same shape")
    }

    /// The deterministic coarse-graining `C_λ u_0 = Re F⁻¹{ Â_t F{x0} }` (no noise), used for
    /// the "physics" reference of a surrogate run at scale λ.
    ///
    /// `x0`: `[B, C, F, *grid]`; `t`: `B` indices. Returns `[B, C, F, *grid]`.
    pub fn coarse_grain(&self, x0: &ArrayViewD<f32>, t: &[usize]) -> Result<ArrayD<f32>> {
        self.apply_table(Table::Damping, x0, t)
    }

    /// [`coarse_grain`](Self::coarse_grain) with the same index for every example.
    pub fn coarse_grain_at(&self, x0: &ArrayViewD<f32>, index: usize) -> Result<ArrayD<f32>> {
        let b = x0.shape().first().copied().unwrap_or(0);
        self.coarse_grain(x0, &vec![index; b])
    }

    /// `Re F⁻¹{ table_t(k) F{x} }` per example: any per-index table of the process (for
    /// example [`Table::PrecisionSqrt`] turns SA-PDD's noise estimate into a score).
    ///
    /// `x`: `[B, C, F, *grid]`; `t`: `B` indices. Returns `[B, C, F, *grid]`.
    pub fn apply_table(
        &self,
        which: Table,
        x: &ArrayViewD<f32>,
        t: &[usize],
    ) -> Result<ArrayD<f32>> {
        let c = self.grid().checked_batch(x, which.name())?;
        self.check_indices(t, c.shape.batch, which.name())?;
        let rows: Vec<_> = t.iter().map(|&i| (self.table(which, i), &[][..])).collect();
        let out = self.spectral_combine(&c.shape, c.as_slice(), None, &rows);
        Ok(ArrayD::from_shape_vec(IxDyn(x.shape()), out).expect("same shape"))
    }
}
