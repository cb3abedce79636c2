//! The paper's metrics (§5, Eq. 63–64) and spectral diagnostics, on host batches
//! `[B, C, F, *grid]`.
//!
//! Every metric takes `skip_frames`: the leading conditioning (initial-window) frames, which are
//! excluded (the paper excludes them from every metric). One code path serves 1-D and 2-D
//! grids; spatial transforms use [`SpectralPlan`](crate::spectral::SpectralPlan) (f64) and the
//! time axis uses rustfft.
//!
//! - [`relative_l2_at_step`] / [`relative_l2_per_frame`]: Eq. 63, per sample then mean ± std.
//! - [`relative_spectral_error`]: Eq. 64, on the spatio-temporal power spectrum
//!   ([`SpatiotemporalPower`]) averaged over samples.
//! - [`spatial_psd`]: time- and sample-averaged spatial PSD per |k| shell ([`SpatialPsd`]).
//! - [`spectral_floor`]: what two independent sets of true paths score on Eq. 64 (the floor of a
//!   sampler evaluated with that many paths).
//! - [`sweep_lambda`]: a metric as a function of λ ([`LambdaSweep`], the paper's Fig. 7).
//! - [`wasserstein1`]: the pointwise one-point distance, per channel, with its floor
//!   ([`Wasserstein`]): a metric a Gaussian field with the right spectrum cannot fake.
//! - [`crps`] and [`spread_skill`] ([`SpreadSkill`]): probabilistic scores of an ensemble
//!   (../shared/spec/metrics.md §2–§3), used by data assimilation.

mod ensemble;
mod floor;
mod l2;
mod psd;
mod spectral_error;
mod summary;
mod sweep;
mod wasserstein;

pub use ensemble::{SpreadSkill, crps, spread_skill};
pub use floor::{SpectralFloor, spectral_floor};
pub use l2::{relative_l2_at_step, relative_l2_per_frame};
pub use psd::{SpatialPsd, spatial_psd};
pub use spectral_error::{SpatiotemporalPower, relative_spectral_error};
pub use summary::MeanStd;
pub use sweep::{LambdaSweep, sweep_lambda};
pub use wasserstein::{Wasserstein, wasserstein1, wasserstein1_floor};

use crate::error::{Error, Result};
use crate::spectral::{CheckedBatch, Grid};
use ndarray::ArrayViewD;

/// Checks a sample set `[B, C, F, *grid]` (finite, at least one sample, more frames than
/// `skip_frames`).
fn checked_set<'a>(
    x: &'a ArrayViewD<'_, f32>,
    grid: &Grid,
    skip_frames: usize,
    context: &str,
) -> Result<CheckedBatch<'a>> {
    let c = grid.checked_batch(x, context)?;
    if c.shape.batch == 0 || c.shape.channels == 0 {
        return Err(Error::shape(context, "at least one sample and one channel", x.shape()));
    }
    if skip_frames >= c.shape.frames {
        return Err(Error::OutOfRange {
            name: format!("skip_frames of {context}"),
            value: skip_frames as f64,
            range: format!("0 ..= {} (frames − 1)", c.shape.frames.saturating_sub(1)),
        });
    }
    Ok(c)
}
