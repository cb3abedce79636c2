//! Probabilistic scores of an ensemble against one truth (../shared/spec/metrics.md §2–§3):
//! the fair CRPS and the spread/skill ratio.
//!
//! Both take the ensemble as `[M, n]` (member-major; `n` points, e.g. every grid value of every
//! frame of one path, flattened) and the truth as `[n]`, and average over the `n` points. For
//! several paths with the same `n`, average the per-path numbers (CRPS) or pool the sums
//! ([`SpreadSkill`] adds up).

use crate::error::{Error, Result};
use ndarray::{ArrayView1, ArrayView2};

fn check(members: &ArrayView2<f32>, truth: &ArrayView1<f32>, context: &str) -> Result<usize> {
    let [m, n] = [members.nrows(), members.ncols()];
    if m < 2 {
        return Err(Error::shape(context, "[M ≥ 2 members, n]", members.shape()));
    }
    if n == 0 || truth.len() != n {
        return Err(Error::shape(format!("{context} (truth [n])"), [n], truth.shape()));
    }
    if members.iter().chain(truth.iter()).any(|v| !v.is_finite()) {
        return Err(Error::NonFinite { context: context.into() });
    }
    Ok(m)
}

/// The fair (unbiased) CRPS of an ensemble, averaged over points:
/// `(1/m) Σ_i |x_i − y| − 1/(2m(m − 1)) Σ_{i,j} |x_i − x_j|` (metrics.md §2). Lower is better;
/// `E[CRPS] = 1/√π` for `y` and the members i.i.d. N(0, 1).
///
/// `members` `[M, n]` (`M ≥ 2`), `truth` `[n]`. Errors: shapes, NaN.
pub fn crps(members: ArrayView2<f32>, truth: ArrayView1<f32>) -> Result<f64> {
    let m = check(&members, &truth, "CRPS ensemble")?;
    let mut column = vec![0.0f64; m];
    let mut total = 0.0;
    for (j, &y) in truth.iter().enumerate() {
        for (c, &x) in column.iter_mut().zip(members.column(j)) {
            *c = f64::from(x);
        }
        let skill: f64 = column.iter().map(|x| (x - f64::from(y)).abs()).sum::<f64>() / m as f64;
        column.sort_by(f64::total_cmp);
        // Σ_{i,j} |x_i − x_j| = 2 Σ_i (2i − m + 1) x_(i) over the sorted members
        let pairs: f64 =
            column.iter().enumerate().map(|(i, x)| (2.0 * i as f64 - m as f64 + 1.0) * x).sum();
        total += skill - 2.0 * pairs / (2.0 * (m * (m - 1)) as f64);
    }
    Ok(total / truth.len() as f64)
}

/// The sums behind the spread/skill ratio (metrics.md §3), which add up over paths.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SpreadSkill {
    /// Σ over points of the ensemble variance `s²` (divisor `m − 1`).
    pub variance_sum: f64,
    /// Σ over points of `(x̄ − y)²`.
    pub error_sum: f64,
    /// Number of points.
    pub points: usize,
    /// Ensemble size `m`.
    pub members: usize,
}

impl SpreadSkill {
    /// The sums of one ensemble `members` `[M, n]` (`M ≥ 2`) against `truth` `[n]`.
    pub fn new(members: ArrayView2<f32>, truth: ArrayView1<f32>) -> Result<Self> {
        let m = check(&members, &truth, "spread/skill ensemble")?;
        let mut out = Self { members: m, points: truth.len(), ..Self::default() };
        for (j, &y) in truth.iter().enumerate() {
            let col = members.column(j);
            let mean = col.iter().map(|&x| f64::from(x)).sum::<f64>() / m as f64;
            let var =
                col.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / (m - 1) as f64;
            out.variance_sum += var;
            out.error_sum += (mean - f64::from(y)).powi(2);
        }
        Ok(out)
    }

    /// Pools two sets of sums (same ensemble size).
    pub fn pooled(self, other: Self) -> Self {
        Self {
            variance_sum: self.variance_sum + other.variance_sum,
            error_sum: self.error_sum + other.error_sum,
            points: self.points + other.points,
            members: self.members.max(other.members),
        }
    }

    /// `sqrt((m + 1)/m) · sqrt(mean s²) / sqrt(mean (x̄ − y)²)`: ≈ 1 calibrated, < 1
    /// over-confident, > 1 under-confident (infinite for a perfect ensemble mean).
    pub fn ratio(&self) -> f64 {
        let m = self.members as f64;
        ((m + 1.0) / m).sqrt() * (self.variance_sum / self.error_sum).sqrt()
    }

    /// The RMSE of the ensemble mean, `sqrt(mean (x̄ − y)²)`.
    pub fn rmse(&self) -> f64 {
        (self.error_sum / self.points as f64).sqrt()
    }
}

/// [`SpreadSkill::ratio`] of one ensemble `members` `[M, n]` against `truth` `[n]`.
pub fn spread_skill(members: ArrayView2<f32>, truth: ArrayView1<f32>) -> Result<f64> {
    Ok(SpreadSkill::new(members, truth)?.ratio())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};

    fn normals(n: usize, seed: u64) -> Vec<f32> {
        let mut v = vec![0.0f32; n];
        crate::rng::fill_normal(&mut crate::rng::stream(seed, 0), &mut v);
        v
    }

    #[test]
    fn crps_of_calibrated_gaussians_is_one_over_root_pi() {
        let (m, n) = (8, 20_000);
        let members = Array2::from_shape_vec((m, n), normals(m * n, 1)).unwrap();
        let truth = Array1::from(normals(n, 2));
        let c = crps(members.view(), truth.view()).unwrap();
        let want = 1.0 / std::f64::consts::PI.sqrt();
        // per-point CRPS has sd < 0.7, so the mean over 20 000 points has sd < 0.005
        assert!((c - want).abs() < 0.02, "CRPS {c} vs 1/√π = {want}");
        let s = spread_skill(members.view(), truth.view()).unwrap();
        assert!((s - 1.0).abs() < 0.03, "spread/skill {s}");
    }

    #[test]
    fn crps_of_a_point_ensemble_is_the_absolute_error() {
        let n = 20_000;
        let members = Array2::zeros((4, n));
        let truth = Array1::from(normals(n, 3));
        let c = crps(members.view(), truth.view()).unwrap();
        let want = (2.0 / std::f64::consts::PI).sqrt();
        assert!((c - want).abs() < 0.02, "CRPS {c} vs √(2/π) = {want}");
        // exactly the mean absolute error, for any truth
        let mae = truth.iter().map(|y| f64::from(y.abs())).sum::<f64>() / n as f64;
        assert!((c - mae).abs() < 1e-9);
    }

    #[test]
    fn crps_matches_the_pairwise_definition_and_spread_skill_its_formula() {
        let members = Array2::from_shape_vec((3, 2), vec![0.0, 1.0, 2.0, -1.0, 4.0, 3.0]).unwrap();
        let truth = Array1::from(vec![1.0f32, 0.0]);
        // point 0: members 0, 2, 4, y = 1: skill 5/3, pairs 2·(2 + 4 + 2) = 16 → 16/12
        // point 1: members 1, −1, 3, y = 0: skill 5/3, pairs 2·(2 + 2 + 4) = 16 → 16/12
        let want = 5.0 / 3.0 - 16.0 / 12.0;
        assert!((crps(members.view(), truth.view()).unwrap() - want).abs() < 1e-12);
        // means 2 and 1, variances 4 and 4; errors 1 and 1
        let r = spread_skill(members.view(), truth.view()).unwrap();
        assert!((r - (4.0f64 / 3.0).sqrt() * 2.0).abs() < 1e-12, "{r}");
        // over-confident: shrink the spread, the ratio drops below 1
        let narrow = members.mapv(|v| v * 0.01);
        assert!(spread_skill(narrow.view(), truth.view()).unwrap() < 1.0);
    }

    #[test]
    fn refuses_bad_input() {
        let one = Array2::<f32>::zeros((1, 3));
        assert!(crps(one.view(), Array1::zeros(3).view()).is_err());
        let two = Array2::<f32>::zeros((2, 3));
        assert!(crps(two.view(), Array1::zeros(4).view()).is_err());
        let nan = Array1::from(vec![0.0, f32::NAN, 0.0]);
        assert!(spread_skill(two.view(), nan.view()).is_err());
    }
}
