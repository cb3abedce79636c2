//! Relative L² error (paper Eq. 63).

use super::{MeanStd, checked_set};
use crate::error::{Error, Result};
use crate::spectral::Grid;
use ndarray::ArrayViewD;

/// Relative L² error of every frame after the conditioning window: for frame
/// `f = skip_frames + s − 1` (step `s = 1, 2, …`), per sample
/// `‖u(·, f) − û(·, f)‖₂ / ‖u(·, f)‖₂` over all channels and grid points, summarised as mean ±
/// std over samples. Element `s − 1` of the result is step `s`.
///
/// `truth`, `pred`: `[B, C, F, *grid]`, same shape. Errors: shape mismatch, NaN, a truth frame
/// of zero norm, `skip_frames ≥ F`.
pub fn relative_l2_per_frame(
    truth: &ArrayViewD<f32>,
    pred: &ArrayViewD<f32>,
    grid: &Grid,
    skip_frames: usize,
) -> Result<Vec<MeanStd>> {
    let t = checked_set(truth, grid, skip_frames, "relative L² truth")?;
    let p = checked_set(pred, grid, skip_frames, "relative L² prediction")?;
    if truth.shape() != pred.shape() {
        return Err(Error::shape("relative L² (prediction vs truth)", truth.shape(), pred.shape()));
    }
    let s = t.shape;
    (skip_frames..s.frames)
        .map(|f| {
            let per_sample = (0..s.batch)
                .map(|b| {
                    let (mut num, mut den) = (0.0f64, 0.0f64);
                    for c in 0..s.channels {
                        let start = (c * s.frames + f) * s.field_len;
                        let range = start..start + s.field_len;
                        for (&u, &v) in t.example(b)[range.clone()].iter().zip(&p.example(b)[range])
                        {
                            num += (u as f64 - v as f64).powi(2);
                            den += (u as f64).powi(2);
                        }
                    }
                    if den > 0.0 {
                        Ok((num / den).sqrt())
                    } else {
                        Err(Error::NonFinite {
                            context: format!(
                                "relative L²: truth sample {b} frame {f} has zero norm"
                            ),
                        })
                    }
                })
                .collect::<Result<Vec<f64>>>()?;
            Ok(MeanStd::of(&per_sample))
        })
        .collect()
}

/// Relative L² error at step `step` (1-based) after the `skip_frames` conditioning frames,
/// i.e. at frame `skip_frames + step − 1` (the paper reports step 6). See
/// [`relative_l2_per_frame`].
pub fn relative_l2_at_step(
    truth: &ArrayViewD<f32>,
    pred: &ArrayViewD<f32>,
    grid: &Grid,
    skip_frames: usize,
    step: usize,
) -> Result<MeanStd> {
    let all = relative_l2_per_frame(truth, pred, grid, skip_frames)?;
    if step == 0 || step > all.len() {
        return Err(Error::OutOfRange {
            name: "relative L² step".into(),
            value: step as f64,
            range: format!("1 ..= {} (frames after the conditioning window)", all.len()),
        });
    }
    Ok(all[step - 1])
}
