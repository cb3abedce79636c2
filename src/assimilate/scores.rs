//! How well an ensemble (or one deterministic estimate) assimilates (../shared/spec/metrics.md
//! §2–§4): RMSE of the ensemble mean against the truth at observed and at unobserved points,
//! spread/skill, CRPS, and the relative spectral error of the members (Eq. 64).

use crate::error::{Error, Result};
use crate::metrics::{SpreadSkill, crps, relative_spectral_error};
use crate::spectral::Grid;
use ndarray::{ArrayViewD, Axis, Ix2};
use serde::Serialize;

/// The scores of one estimate (standardised units).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AssimilationScores {
    /// RMSE of the ensemble mean at the observed points.
    pub rmse_observed: f64,
    /// RMSE of the ensemble mean at the points no observation sees.
    pub rmse_unobserved: f64,
    /// Spread/skill ratio over all points (`None` for a single member).
    pub spread_skill: Option<f64>,
    /// Fair CRPS over all points (the mean absolute error for a single member).
    pub crps: f64,
    /// Relative space–time spectral error of the members against the truth (Eq. 64).
    pub spectral_error: f64,
}

/// Scores `ensemble` `[P · M, C, F, *grid]` (member `m` of path `p` at `p · M + m`) against
/// `truth` `[P, C, F, *grid]`, with `observed` flagging every value of one path.
pub fn score_ensemble(
    ensemble: &ArrayViewD<f32>,
    truth: &ArrayViewD<f32>,
    members: usize,
    observed: &[bool],
    grid: &Grid,
) -> Result<AssimilationScores> {
    let p = truth.shape()[0];
    let per_path: usize = truth.shape()[1..].iter().product();
    if members == 0
        || ensemble.shape()[0] != p * members
        || ensemble.shape()[1..] != truth.shape()[1..]
    {
        let want = format!("[{} · {members}, {:?}]", p, &truth.shape()[1..]);
        return Err(Error::shape("assimilation ensemble", want, ensemble.shape()));
    }
    if observed.len() != per_path {
        return Err(Error::shape("observed mask (one path)", per_path, observed.len()));
    }
    let (mut sq, mut n) = ([0.0f64; 2], [0usize; 2]);
    let (mut spread, mut crps_sum, mut mae) = (SpreadSkill::default(), 0.0, 0.0);
    for (path, t) in truth.axis_iter(Axis(0)).enumerate() {
        let t = t.to_shape(per_path).map_err(|e| Error::Other(e.to_string()))?;
        let e = ensemble.slice_axis(Axis(0), (path * members..(path + 1) * members).into());
        let e = e.to_shape((members, per_path)).map_err(|e| Error::Other(e.to_string()))?;
        let e = e.into_dimensionality::<Ix2>().map_err(|e| Error::Other(e.to_string()))?;
        let mean = e.mean_axis(Axis(0)).expect("members ≥ 1");
        for ((&m, &y), &o) in mean.iter().zip(t.iter()).zip(observed) {
            sq[usize::from(o)] += f64::from(m - y).powi(2);
            n[usize::from(o)] += 1;
            mae += f64::from((m - y).abs());
        }
        if members > 1 {
            spread = spread.pooled(SpreadSkill::new(e.view(), t.view())?);
            crps_sum += crps(e.view(), t.view())?;
        }
    }
    let rmse = |i: usize| if n[i] > 0 { (sq[i] / n[i] as f64).sqrt() } else { f64::NAN };
    Ok(AssimilationScores {
        rmse_observed: rmse(1),
        rmse_unobserved: rmse(0),
        spread_skill: (members > 1).then(|| spread.ratio()),
        crps: if members > 1 { crps_sum / p as f64 } else { mae / (p * per_path) as f64 },
        spectral_error: relative_spectral_error(truth, ensemble, grid, 0)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn a_perfect_point_estimate_scores_zero_and_shapes_are_checked() {
        let g = Grid::line(8);
        let truth = ArrayD::from_shape_fn(IxDyn(&[2, 1, 3, 8]), |i| {
            ((i[0] + i[2] * 8 + i[3]) as f32).sin()
        });
        let mut observed = vec![false; 24];
        observed[0] = true;
        let s = score_ensemble(&truth.view(), &truth.view(), 1, &observed, &g).unwrap();
        assert_eq!(
            (s.rmse_observed, s.rmse_unobserved, s.crps, s.spread_skill),
            (0.0, 0.0, 0.0, None)
        );
        assert!(s.spectral_error.abs() < 1e-9);
        // one member off by 1 at every point of path 0: observed and unobserved RMSE 1/√2
        let mut off = truth.clone();
        off.index_axis_mut(ndarray::Axis(0), 0).mapv_inplace(|v| v + 1.0);
        let s = score_ensemble(&off.view(), &truth.view(), 1, &observed, &g).unwrap();
        assert!((s.rmse_unobserved - 0.5f64.sqrt()).abs() < 1e-6 && (s.crps - 0.5).abs() < 1e-6);
        assert!(score_ensemble(&truth.view(), &truth.view(), 2, &observed, &g).is_err());
        assert!(score_ensemble(&truth.view(), &truth.view(), 1, &observed[..3], &g).is_err());
    }
}
