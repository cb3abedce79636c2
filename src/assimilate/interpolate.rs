//! The plain-interpolation baseline of data assimilation: the observed values, filled in
//! periodically-linearly along x, then along y (2-D), then linearly in time between observed
//! frames (held constant before the first and after the last); a channel never observed is
//! its climatological mean, 0 in standardised units. It ignores noise and the coarse-graining
//! filter: perfect at noise-free observed points, no prior anywhere else.

use super::observations::Observations;
use super::operator::ObservationOperator;
use ndarray::{ArrayD, IxDyn};

/// Fills the unknown entries of a periodic sequence linearly between its nearest known
/// neighbours. Leaves it unchanged if nothing is known.
pub fn periodic_linear(values: &mut [f64], known: &[bool]) {
    let n = values.len();
    let Some(first) = known.iter().position(|&k| k) else { return };
    let mut last = first;
    for step in 1..=n {
        let i = (first + step) % n;
        if !known[i] {
            continue;
        }
        let gap = (i + n - last) % n;
        let gap = if gap == 0 { n } else { gap };
        for d in 1..gap {
            let w = d as f64 / gap as f64;
            values[(last + d) % n] = (1.0 - w) * values[last] + w * values[i];
        }
        last = i;
    }
}

/// The interpolated paths `[P, C, F, *grid]` (standardised) of every observed path.
pub fn interpolate(observations: &Observations) -> ArrayD<f32> {
    let h = observations.operator();
    let fields = observations.to_fields();
    let [c, f] = h.path_dims();
    let dims = h.grid().dims().to_vec();
    let (ny, nx) = if dims.len() == 2 { (dims[0], dims[1]) } else { (1, dims[0]) };
    let n = ny * nx;
    let mut out: Vec<f64> =
        fields.iter().map(|&v| if v.is_nan() { 0.0 } else { f64::from(v) }).collect();
    for path in out.chunks_mut(c * f * n) {
        for (ch, channel) in path.chunks_mut(f * n).enumerate() {
            let mut seen = vec![false; f];
            for (fr, field) in channel.chunks_mut(n).enumerate() {
                let mut known = vec![false; n];
                h.points(ch, fr).iter().for_each(|&p| known[p] = true);
                seen[fr] = known.iter().any(|&k| k);
                fill_plane(field, &mut known, ny, nx);
            }
            fill_time(channel, &seen, n);
        }
    }
    let mut shape = vec![observations.paths(), c, f];
    shape.extend(dims);
    ArrayD::from_shape_vec(IxDyn(&shape), out.into_iter().map(|v| v as f32).collect())
        .expect("sizes match")
}

/// Along x in every row with a known point, then along y in every column.
fn fill_plane(field: &mut [f64], known: &mut [bool], ny: usize, nx: usize) {
    let mut rows = vec![false; ny];
    for (y, (row, k)) in field.chunks_mut(nx).zip(known.chunks_mut(nx)).enumerate() {
        rows[y] = k.iter().any(|&v| v);
        periodic_linear(row, k);
    }
    if ny > 1 && rows.iter().any(|&r| r) {
        for x in 0..nx {
            let mut col: Vec<f64> = (0..ny).map(|y| field[y * nx + x]).collect();
            periodic_linear(&mut col, &rows);
            (0..ny).for_each(|y| field[y * nx + x] = col[y]);
        }
    }
}

/// Frames without observations: linear between the nearest observed frames, held at the ends.
fn fill_time(channel: &mut [f64], seen: &[bool], n: usize) {
    let observed: Vec<usize> = (0..seen.len()).filter(|&f| seen[f]).collect();
    let (Some(&first), Some(&last)) = (observed.first(), observed.last()) else { return };
    for fr in (0..seen.len()).filter(|&f| !seen[f]) {
        let (a, b) = if fr < first {
            (first, first)
        } else if fr > last {
            (last, last)
        } else {
            let b = *observed.iter().find(|&&o| o > fr).expect("fr < last");
            let a = *observed.iter().rev().find(|&&o| o < fr).expect("fr > first");
            (a, b)
        };
        let w = if b == a { 0.0 } else { (fr - a) as f64 / (b - a) as f64 };
        for i in 0..n {
            channel[fr * n + i] = (1.0 - w) * channel[a * n + i] + w * channel[b * n + i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assimilate::Observer;
    use crate::spectral::Grid;

    #[test]
    fn linear_fields_are_recovered_between_observations() {
        let mut v = vec![0.0, 9.0, 9.0, 3.0, 9.0, 9.0];
        periodic_linear(&mut v, &[true, false, false, true, false, false]);
        assert_eq!(v, vec![0.0, 1.0, 2.0, 3.0, 2.0, 1.0]);
        // u(f, x) = f + (x ≤ 4 ? x : 8 − x) on 8 points, every 4th point, frames 0 and 2 of 4
        let g = Grid::line(8);
        let truth = ndarray::ArrayD::from_shape_fn(IxDyn(&[1, 1, 4, 8]), |i| {
            (i[2] + i[3].min(8 - i[3])) as f32
        });
        let h = Observer::subgrid(g, [1, 4], 4).unwrap().every_frame(2, 0).unwrap();
        let obs = Observations::from_truth(h.with_noise(1e-9).unwrap(), &truth.view(), 0).unwrap();
        let got = interpolate(&obs);
        for f in 0..3 {
            for x in 0..8 {
                let (a, b) = (got[[0, 0, f, x]], truth[[0, 0, f, x]]);
                assert!((a - b).abs() < 1e-5, "frame {f}, x {x}: {a} vs {b}");
            }
        }
        assert!((got[[0, 0, 3, 2]] - got[[0, 0, 2, 2]]).abs() < 1e-6, "held after the last frame");
    }
}
