//! The pointwise Wasserstein-1 distance (docs/method.md, "Beyond second order";
//! shared/spec/metrics.md §1): per channel, pool every grid value of every frame after the
//! conditioning frames of every path, and compare the two empirical distributions,
//!
//! ```text
//! W₁(P, Q) = ∫₀¹ |F_P⁻¹(q) − F_Q⁻¹(q)| dq  /  std(truth)
//! ```
//!
//! With equal sizes this is `mean |sort(a) − sort(b)|`; with unequal sizes both quantile
//! functions are evaluated at the midpoints `q_i = (i + ½)/n` of the larger set. A Gaussian field
//! with the right spectrum has the wrong one-point distribution where the truth is skewed or
//! intermittent, which the paper's second-order metrics cannot see.

use super::checked_set;
use crate::error::Result;
use crate::spectral::Grid;
use ndarray::{ArrayViewD, Axis};
use serde::{Deserialize, Serialize};

/// W₁ per channel of a sample set against the truth, beside its two-sample floor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wasserstein {
    /// `W₁ / std(truth)` per channel.
    pub value: Vec<f64>,
    /// The same between disjoint sets of true paths of the compared size, per channel (`None`
    /// when the split is too small).
    pub floor: Option<Vec<f64>>,
}

impl Wasserstein {
    /// The mean over channels.
    pub fn mean(&self) -> f64 {
        self.value.iter().sum::<f64>() / self.value.len().max(1) as f64
    }
}

fn join(v: &[f64]) -> String {
    v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(" / ")
}

impl std::fmt::Display for Wasserstein {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", join(&self.value))?;
        if let Some(fl) = &self.floor {
            write!(f, " (floor {})", join(fl))?;
        }
        Ok(())
    }
}

/// `∫|F_a⁻¹ − F_b⁻¹|` of two sorted samples.
fn w1_sorted(a: &[f64], b: &[f64]) -> f64 {
    let (big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let (n, m) = (big.len(), small.len());
    let at = |i: usize| {
        let q = (i as f64 + 0.5) / n as f64;
        small[((q * m as f64) as usize).min(m - 1)]
    };
    (0..n).map(|i| (big[i] - at(i)).abs()).sum::<f64>() / n as f64
}

/// The sorted values of channel `c`, frames `skip..F`, of a checked set.
fn pooled(x: &ArrayViewD<f32>, c: usize, skip: usize) -> Vec<f64> {
    let ch = x.index_axis(Axis(1), c);
    let frames = ch.slice_axis(Axis(1), (skip..).into());
    let mut v: Vec<f64> = frames.iter().map(|&a| a as f64).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// `W₁ / std(truth)` per channel between `truth` and `sample` (`[B, C, F, *grid]`, the same
/// `C`, any `B` and `F`), frames `skip_frames..F` of each.
pub fn wasserstein1(
    truth: &ArrayViewD<f32>,
    sample: &ArrayViewD<f32>,
    grid: &Grid,
    skip_frames: usize,
) -> Result<Vec<f64>> {
    let t = checked_set(truth, grid, skip_frames, "W1: truth")?;
    let s = checked_set(sample, grid, skip_frames, "W1: samples")?;
    if t.shape.channels != s.shape.channels {
        return Err(crate::Error::shape(
            "W1: samples' channels",
            t.shape.channels,
            s.shape.channels,
        ));
    }
    Ok((0..t.shape.channels)
        .map(|c| {
            let (a, b) = (pooled(truth, c, skip_frames), pooled(sample, c, skip_frames));
            let mean = a.iter().sum::<f64>() / a.len() as f64;
            let var = a.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / a.len() as f64;
            w1_sorted(&a, &b) / var.sqrt().max(f64::MIN_POSITIVE)
        })
        .collect())
}

/// [`wasserstein1`] between disjoint blocks of `n` true paths (consecutive pairs, as
/// [`spectral_floor`](super::spectral_floor)), averaged per channel; `None` if `B < 2`.
pub fn wasserstein1_floor(
    truth: &ArrayViewD<f32>,
    grid: &Grid,
    skip_frames: usize,
    n: usize,
) -> Result<Option<Vec<f64>>> {
    let b = truth.len_of(Axis(0));
    let n = n.min(b / 2);
    if n == 0 {
        return Ok(None);
    }
    let pairs = b / (2 * n);
    let mut sum: Vec<f64> = Vec::new();
    for k in 0..pairs {
        let a = truth.slice_axis(Axis(0), (2 * k * n..(2 * k + 1) * n).into());
        let c = truth.slice_axis(Axis(0), ((2 * k + 1) * n..(2 * k + 2) * n).into());
        let w = wasserstein1(&a, &c, grid, skip_frames)?;
        sum.resize(w.len(), 0.0);
        sum.iter_mut().zip(w).for_each(|(s, v)| *s += v);
    }
    Ok(Some(sum.into_iter().map(|s| s / pairs as f64).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array;

    fn normal(n: usize, seed: u64, scale: f32, shift: f32) -> ndarray::ArrayD<f32> {
        let mut v = vec![0f32; n];
        crate::rng::fill_normal(&mut crate::rng::stream(seed, 0), &mut v);
        Array::from_shape_vec(vec![n / 64, 1, 1, 64], v.iter().map(|x| x * scale + shift).collect())
            .unwrap()
    }

    #[test]
    fn closed_forms_of_the_spec() {
        let g = Grid::line(64);
        let p = normal(64 * 2000, 1, 1.0, 0.0);
        // W1(P, P) = 0
        assert_eq!(wasserstein1(&p.view(), &p.view(), &g, 0).unwrap()[0], 0.0);
        // a shift by c gives |c| (in units of the truth's std, ≈ 1 here)
        let shifted = p.mapv(|v| v + 0.3);
        let w = wasserstein1(&p.view(), &shifted.view(), &g, 0).unwrap()[0];
        let sd = {
            let m = p.mean().unwrap();
            (p.mapv(|v| (v - m).powi(2)).mean().unwrap()).sqrt()
        } as f64;
        assert!((w * sd - 0.3).abs() < 1e-5, "{w}");
        // N(0,1) vs N(0, s²): |s − 1| √(2/π), here with unequal sizes
        let q = normal(64 * 1000, 2, 2.0, 0.0);
        let w = wasserstein1(&p.view(), &q.view(), &g, 0).unwrap()[0];
        let expected = (2.0f64 / std::f64::consts::PI).sqrt();
        assert!((w - expected).abs() < 0.03, "{w} vs {expected}");
    }

    #[test]
    fn the_floor_of_one_distribution_is_small_and_shrinks_with_size() {
        let g = Grid::line(64);
        let p = normal(64 * 400, 3, 1.0, 0.0);
        let f4 = wasserstein1_floor(&p.view(), &g, 0, 4).unwrap().unwrap()[0];
        let f100 = wasserstein1_floor(&p.view(), &g, 0, 100).unwrap().unwrap()[0];
        assert!(f100 < f4 && f100 < 0.05, "{f4} {f100}");
        assert!(
            wasserstein1_floor(&p.slice_axis(Axis(0), (0..1).into()), &g, 0, 4).unwrap().is_none()
        );
    }
}
