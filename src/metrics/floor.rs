//! The sampling floor of the relative spectral error.
//!
//! Eq. 64 compares sample-averaged power spectra. With `n` samples each spectral bin of the
//! average still fluctuates (a single path's bin is roughly exponentially distributed), so two
//! *independent sets of true paths* already differ: measured on the quick test splits,
//! `n = 4` gives 0.54 (Lorenz-96) and 0.51 (Kolmogorov), `n = 16` gives 0.30 (Lorenz-96), and
//! the error falls like `1/√n`. A sampler scored with `n` paths cannot do better than this floor,
//! so the evaluation report prints it beside the generation and super-resolution errors.

use super::relative_spectral_error;
use crate::error::Result;
use crate::spectral::Grid;
use ndarray::{ArrayViewD, Axis};
use serde::{Deserialize, Serialize};

/// The spectral error between disjoint sets of true paths of one size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpectralFloor {
    /// Paths per set.
    pub paths: usize,
    /// Number of disjoint pairs of sets averaged.
    pub pairs: usize,
    /// Mean relative spectral error over the pairs.
    pub value: f64,
}

/// The spectral-error floor of `n`-path sets: the mean of [`relative_spectral_error`] between
/// consecutive disjoint blocks `[2kn, (2k+1)n)` and `[(2k+1)n, (2k+2)n)` of `truth`
/// (`[B, C, F, *grid]`), frames `skip_frames..F`.
///
/// When `B < 2n` the sets shrink to `n' = ⌊B/2⌋` paths (reported in
/// [`SpectralFloor::paths`]); `None` if `B < 2`.
pub fn spectral_floor(
    truth: &ArrayViewD<f32>,
    grid: &Grid,
    skip_frames: usize,
    n: usize,
) -> Result<Option<SpectralFloor>> {
    let b = truth.len_of(Axis(0));
    let n = n.min(b / 2);
    if n == 0 {
        return Ok(None);
    }
    let pairs = b / (2 * n);
    let mut sum = 0.0;
    for k in 0..pairs {
        let a = truth.slice_axis(Axis(0), (2 * k * n..(2 * k + 1) * n).into());
        let c = truth.slice_axis(Axis(0), ((2 * k + 1) * n..(2 * k + 2) * n).into());
        sum += relative_spectral_error(&a, &c, grid, skip_frames)?;
    }
    Ok(Some(SpectralFloor { paths: n, pairs, value: sum / pairs as f64 }))
}

impl std::fmt::Display for SpectralFloor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.3} ({} vs {} true paths, {} pair(s))",
            self.value, self.paths, self.paths, self.pairs
        )
    }
}
