//! Time-averaged spatial power spectral density, binned by integer shells of |k|.

use super::checked_set;
use crate::error::Result;
use crate::spectral::{Grid, SpectralPlan};
use ndarray::{Array2, ArrayView1, ArrayViewD, Axis};
use rayon::prelude::*;

/// A spatial PSD per channel, averaged over samples and frames.
///
/// Bins are integer shells `s = round(|k|)` of the wavenumber vector (in units of
/// `2π/length`): in 1-D simply `s = |k| = 0 … L/2`; in 2-D radial shells (those beyond
/// `min(Ny, Nx)/2` are only partly filled by the square grid). `power[c, s]` is the sum over the
/// full-spectrum bins of shell `s` of `|û_k|²/N²` (orthonormal-DFT power divided by `N`), so
/// `Σ_s power[c, s]` is the mean square of channel `c` (Parseval).
#[derive(Debug, Clone, PartialEq)]
pub struct SpatialPsd {
    /// Shell wavenumbers `|k|` (0, 1, 2, …; shells without any bin are left out).
    pub wavenumbers: Vec<f64>,
    /// `[C, shells]`.
    pub power: Array2<f64>,
    /// Number of full-spectrum bins in each shell.
    pub modes: Vec<usize>,
}

impl SpatialPsd {
    /// The PSD of channel `c` (panics if `c ≥ C`).
    pub fn channel(&self, c: usize) -> ArrayView1<'_, f64> {
        self.power.index_axis(Axis(0), c)
    }

    /// Power per Fourier mode (`power / modes`): flat (= variance / N) for white noise in 1-D
    /// and 2-D alike.
    pub fn per_mode(&self) -> Array2<f64> {
        let mut out = self.power.clone();
        for mut row in out.rows_mut() {
            for (v, &m) in row.iter_mut().zip(&self.modes) {
                *v /= m as f64;
            }
        }
        out
    }
}

/// For each half-spectrum bin: its shell index (compacted to non-empty shells), plus the shell
/// wavenumbers and the number of full-spectrum bins per shell.
pub(crate) fn shells(grid: &Grid) -> (Vec<usize>, Vec<f64>, Vec<usize>) {
    let raw: Vec<usize> = grid
        .half_wavenumbers()
        .iter()
        .map(|k| (k.iter().map(|&v| (v * v) as f64).sum::<f64>()).sqrt().round() as usize)
        .collect();
    let max = raw.iter().copied().max().unwrap_or(0);
    let mut count = vec![0usize; max + 1];
    for (&s, w) in raw.iter().zip(grid.half_weights()) {
        count[s] += w as usize;
    }
    let mut compact = vec![usize::MAX; max + 1];
    let (mut wavenumbers, mut modes) = (Vec::new(), Vec::new());
    for (s, &n) in count.iter().enumerate() {
        if n > 0 {
            compact[s] = wavenumbers.len();
            wavenumbers.push(s as f64);
            modes.push(n);
        }
    }
    (raw.iter().map(|&s| compact[s]).collect(), wavenumbers, modes)
}

/// The time- and sample-averaged spatial PSD of `x` (`[B, C, F, *grid]`), frames
/// `skip_frames..F` only. See [`SpatialPsd`] for the normalisation.
pub fn spatial_psd(x: &ArrayViewD<f32>, grid: &Grid, skip_frames: usize) -> Result<SpatialPsd> {
    let set = checked_set(x, grid, skip_frames, "spatial PSD input")?;
    let s = set.shape;
    let (shell_of, wavenumbers, modes) = shells(grid);
    let weights = grid.half_weights();
    let plan = SpectralPlan::<f64>::new(grid);
    let norm = 1.0 / (s.field_len as f64).powi(2) / (s.batch * (s.frames - skip_frames)) as f64;
    // Per-example sums in parallel, added in example order: the result does not depend on
    // the thread count.
    let per_example: Vec<Array2<f64>> = (0..s.batch)
        .into_par_iter()
        .map_init(
            || (plan.make_scratch(), plan.spectrum_buffer(), vec![0.0f64; s.field_len]),
            |(scratch, spec, field), b| {
                let mut acc = Array2::<f64>::zeros((s.channels, wavenumbers.len()));
                let example = set.example(b);
                for c in 0..s.channels {
                    for f in skip_frames..s.frames {
                        let start = (c * s.frames + f) * s.field_len;
                        for (d, &v) in field.iter_mut().zip(&example[start..start + s.field_len]) {
                            *d = v as f64;
                        }
                        plan.forward(field, spec, scratch);
                        for ((z, &shell), &w) in spec.iter().zip(&shell_of).zip(&weights) {
                            acc[[c, shell]] += w * z.norm_sqr();
                        }
                    }
                }
                acc
            },
        )
        .collect();
    let mut power = Array2::<f64>::zeros((s.channels, wavenumbers.len()));
    for acc in &per_example {
        power += acc;
    }
    Ok(SpatialPsd { wavenumbers, power: power * norm, modes })
}
