//! Downsampling periodic fields from a solver grid to a (coarser) training grid.
//!
//! * [`DownsampleMethod::Spectral`] (default): Fourier truncation. The output is the input
//!   field low-pass filtered to `|k_a| ≤ M_a/2` on every axis `a` (square truncation) and sampled
//!   at the output grid points `x_m = 2π m / M_a`. Periodic and alias-free. With an even output
//!   size the output Nyquist bin receives both input modes `+M/2` and `−M/2` (they coincide on
//!   the coarse grid), so any input field band-limited to `|k_a| ≤ M_a/2` is reproduced
//!   *exactly* at the output points. The input and output sizes need not divide each other
//!   (256 → 40 works).
//! * [`DownsampleMethod::Bicubic`]: PyTorch's `interpolate(mode="bicubic", align_corners=True)`
//!   (cubic convolution with `a = −0.75`, indices clamped at the borders, output sample `m` read
//!   at input coordinate `m (N−1)/(M−1)`), which is what the reference code does
//!   (docs/reference.md §6.2 and §11.13). It is neither periodic nor anti-aliased; use it only to
//!   reproduce the reference.
//!
//! One code path serves 1-D and 2-D grids: both methods work axis by axis.

use crate::error::{Error, Result};
use crate::spectral::{Complex, Grid, SpectralPlan};
use serde::{Deserialize, Serialize};

/// How fields are brought from the solver grid to the training grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DownsampleMethod {
    /// Periodic, alias-free Fourier truncation (default).
    #[default]
    Spectral,
    /// PyTorch bicubic with `align_corners=True` (the reference).
    Bicubic,
}

/// Four interpolation taps of one output sample along one axis.
#[derive(Debug, Clone, Copy)]
struct Tap {
    idx: [usize; 4],
    w: [f64; 4],
}

/// Downsamples fields from one grid to another (see the module docs).
#[derive(Clone)]
pub struct Downsampler {
    method: DownsampleMethod,
    from_plan: SpectralPlan<f64>,
    to_plan: SpectralPlan<f64>,
    /// For every output half-spectrum bin: the input half-spectrum bins that fold into it,
    /// with whether the input bin enters conjugated (Spectral only).
    gather: Vec<Vec<(usize, bool)>>,
    /// Per axis, one tap set per output sample (Bicubic only).
    taps: Vec<Vec<Tap>>,
}

/// PyTorch's cubic-convolution weights (`a = −0.75`) for fractional offset `t ∈ [0, 1)`,
/// for the samples at offsets −1, 0, 1, 2.
pub fn cubic_weights(t: f64) -> [f64; 4] {
    const A: f64 = -0.75;
    let near = |x: f64| ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let far = |x: f64| ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A;
    [far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)]
}

impl Downsampler {
    /// Plans downsampling from `from` to `to` (same number of axes, every output axis no longer
    /// than the input axis, and at least 2 points per output axis for bicubic).
    pub fn new(from: &Grid, to: &Grid, method: DownsampleMethod) -> Result<Self> {
        if from.ndim() != to.ndim() {
            return Err(Error::config(
                "downsample",
                format!("input grid has {} axes, output grid {}", from.ndim(), to.ndim()),
            ));
        }
        for (a, (&n, &m)) in from.dims().iter().zip(to.dims()).enumerate() {
            if m > n {
                return Err(Error::config(
                    format!("downsample.axis{a}"),
                    format!("output size {m} is larger than input size {n}"),
                ));
            }
            if method == DownsampleMethod::Bicubic && m < 2 {
                return Err(Error::config(
                    format!("downsample.axis{a}"),
                    "bicubic needs ≥ 2 output points",
                ));
            }
        }
        let mut s = Self {
            method,
            from_plan: SpectralPlan::new(from),
            to_plan: SpectralPlan::new(to),
            gather: Vec::new(),
            taps: Vec::new(),
        };
        match method {
            DownsampleMethod::Spectral => s.gather = spectral_gather(from, to),
            DownsampleMethod::Bicubic => {
                s.taps =
                    from.dims().iter().zip(to.dims()).map(|(&n, &m)| bicubic_taps(n, m)).collect()
            }
        }
        Ok(s)
    }

    /// The method.
    pub fn method(&self) -> DownsampleMethod {
        self.method
    }

    /// Downsamples one field (`from.len()` values, row-major) into `out` (`to.len()` values).
    ///
    /// # Panics
    /// If the slice lengths do not match the grids.
    pub fn apply(&self, field: &[f64], out: &mut [f64]) {
        match self.method {
            DownsampleMethod::Spectral => {
                let mut spec = self.from_plan.spectrum_buffer();
                self.from_plan.forward(field, &mut spec, &mut self.from_plan.make_scratch());
                self.apply_spectrum(&spec, out);
            }
            DownsampleMethod::Bicubic => self.interpolate(field, out),
        }
    }

    /// Like [`apply`](Self::apply) for a field given by its (unnormalised, see
    /// [`SpectralPlan::forward`]) half spectrum on the input grid.
    ///
    /// # Panics
    /// If the slice lengths do not match the grids.
    pub fn apply_spectrum(&self, spectrum: &[Complex<f64>], out: &mut [f64]) {
        let from = self.from_plan.grid();
        assert_eq!(spectrum.len(), from.half_len(), "input spectrum length");
        match self.method {
            DownsampleMethod::Spectral => {
                let scale = self.to_plan.grid().len() as f64 / from.len() as f64;
                let mut spec_out: Vec<Complex<f64>> = self
                    .gather
                    .iter()
                    .map(|srcs| {
                        srcs.iter()
                            .map(|&(i, conj)| if conj { spectrum[i].conj() } else { spectrum[i] })
                            .sum::<Complex<f64>>()
                            * scale
                    })
                    .collect();
                self.to_plan.inverse(&mut spec_out, out, &mut self.to_plan.make_scratch());
            }
            DownsampleMethod::Bicubic => {
                let mut spec = spectrum.to_vec();
                let mut field = vec![0.0; from.len()];
                self.from_plan.inverse(&mut spec, &mut field, &mut self.from_plan.make_scratch());
                self.interpolate(&field, out);
            }
        }
    }

    /// Separable bicubic interpolation, axis by axis.
    fn interpolate(&self, field: &[f64], out: &mut [f64]) {
        let from = self.from_plan.grid();
        assert_eq!(field.len(), from.len(), "input field length");
        assert_eq!(out.len(), self.to_plan.grid().len(), "output field length");
        let mut dims = from.dims().to_vec();
        let mut cur = field.to_vec();
        for (axis, taps) in self.taps.iter().enumerate() {
            let outer: usize = dims[..axis].iter().product();
            let inner: usize = dims[axis + 1..].iter().product();
            let n = dims[axis];
            let mut next = vec![0.0; outer * taps.len() * inner];
            for o in 0..outer {
                for (m, tap) in taps.iter().enumerate() {
                    let dst = &mut next[(o * taps.len() + m) * inner..][..inner];
                    for (&i, &w) in tap.idx.iter().zip(&tap.w) {
                        let src = &cur[(o * n + i) * inner..][..inner];
                        for (d, s) in dst.iter_mut().zip(src) {
                            *d += w * s;
                        }
                    }
                }
            }
            dims[axis] = taps.len();
            cur = next;
        }
        out.copy_from_slice(&cur);
    }
}

/// For each output half-spectrum bin, the input half-spectrum bins (and conjugation flags) whose
/// modes fold into it under truncation to `|k_a| ≤ M_a/2`.
fn spectral_gather(from: &Grid, to: &Grid) -> Vec<Vec<(usize, bool)>> {
    let nd = from.ndim();
    let (fd, td) = (from.dims(), to.dims());
    let half_in = from.half_dims();
    // Flat index of a full-spectrum wavenumber vector in the input half spectrum.
    let locate = |k: &[i64]| -> (usize, bool) {
        let conj = k[nd - 1] < 0;
        let mut idx = 0usize;
        for a in 0..nd {
            let ka = if conj { -k[a] } else { k[a] };
            let n = fd[a] as i64;
            let i = if a == nd - 1 { ka as usize } else { ka.rem_euclid(n) as usize };
            idx = idx * half_in[a] + i;
        }
        (idx, conj)
    };
    to.half_wavenumbers()
        .iter()
        .map(|k| {
            // Per axis, the input wavenumbers that land on output wavenumber k_a.
            let options: Vec<Vec<i64>> = (0..nd)
                .map(|a| {
                    let m = td[a] as i64;
                    if m % 2 == 0 && k[a].abs() == m / 2 && fd[a] != td[a] {
                        vec![m / 2, -m / 2]
                    } else {
                        vec![k[a]]
                    }
                })
                .collect();
            let mut combos: Vec<Vec<i64>> = vec![Vec::new()];
            for opts in &options {
                combos = combos
                    .iter()
                    .flat_map(|c| opts.iter().map(move |&o| [c.as_slice(), &[o]].concat()))
                    .collect();
            }
            combos.iter().map(|kk| locate(kk)).collect()
        })
        .collect()
}

/// Bicubic (`align_corners=True`) taps for `n → m` points along one axis.
fn bicubic_taps(n: usize, m: usize) -> Vec<Tap> {
    let scale = if m > 1 { (n - 1) as f64 / (m - 1) as f64 } else { 0.0 };
    (0..m)
        .map(|o| {
            let s = scale * o as f64;
            let i0 = s.floor();
            let w = cubic_weights(s - i0);
            let clamp = |d: i64| (i0 as i64 + d).clamp(0, n as i64 - 1) as usize;
            Tap { idx: [clamp(-1), clamp(0), clamp(1), clamp(2)], w }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    /// A random real field band-limited to |k_a| ≤ kmax_a, as a closure of the coordinates.
    fn band_limited(kmax: [i64; 2], seed: u64) -> impl Fn(f64, f64) -> f64 {
        use rand::Rng;
        let mut rng = crate::rng::stream(seed, 0);
        let mut modes = Vec::new();
        for ky in -kmax[0]..=kmax[0] {
            for kx in 0..=kmax[1] {
                modes.push((
                    ky as f64,
                    kx as f64,
                    rng.random::<f64>() - 0.5,
                    rng.random::<f64>() * TAU,
                ));
            }
        }
        move |y, x| modes.iter().map(|(ky, kx, a, p)| a * (ky * y + kx * x + p).cos()).sum()
    }

    fn sample(ny: usize, nx: usize, f: &impl Fn(f64, f64) -> f64) -> Vec<f64> {
        (0..ny * nx)
            .map(|i| f(TAU * (i / nx) as f64 / ny as f64, TAU * (i % nx) as f64 / nx as f64))
            .collect()
    }

    #[test]
    fn spectral_truncation_reproduces_band_limited_fields_including_nyquist() {
        // Content up to |k| = 20 (the output Nyquist) on a 96² grid → 40² grid (not a divisor).
        let f = band_limited([20, 20], 5);
        let fine = sample(96, 96, &f);
        let d = Downsampler::new(
            &Grid::plane(96, 96),
            &Grid::plane(40, 40),
            DownsampleMethod::Spectral,
        )
        .unwrap();
        let mut out = vec![0.0; 1600];
        d.apply(&fine, &mut out);
        let exact = sample(40, 40, &f);
        let err = out.iter().zip(&exact).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(err < 1e-10, "max error {err}");
    }

    #[test]
    fn spectral_truncation_removes_high_modes_1d() {
        // cos(3x) + cos(9x) on 32 points → 8 points: only cos(3x) survives.
        let n = 32;
        let field: Vec<f64> = (0..n)
            .map(|i| {
                let x = TAU * i as f64 / n as f64;
                (3.0 * x).cos() + (9.0 * x).cos()
            })
            .collect();
        let d =
            Downsampler::new(&Grid::line(n), &Grid::line(8), DownsampleMethod::Spectral).unwrap();
        let mut out = vec![0.0; 8];
        d.apply(&field, &mut out);
        for (m, v) in out.iter().enumerate() {
            let expect = (3.0 * TAU * m as f64 / 8.0).cos();
            assert!((v - expect).abs() < 1e-12, "{m}: {v} vs {expect}");
        }
    }

    #[test]
    fn identity_when_grids_match() {
        let f = band_limited([3, 3], 2);
        let x = sample(8, 8, &f);
        for method in [DownsampleMethod::Spectral, DownsampleMethod::Bicubic] {
            let d = Downsampler::new(&Grid::plane(8, 8), &Grid::plane(8, 8), method).unwrap();
            let mut out = vec![0.0; 64];
            d.apply(&x, &mut out);
            for (a, b) in out.iter().zip(&x) {
                assert!((a - b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn bicubic_matches_hand_computed_pytorch_values() {
        // 1-D input [0, 1, 4, 9, 16] (5 points) → 3 points at coordinates 0, 2, 4: exact samples.
        let input = [0.0, 1.0, 4.0, 9.0, 16.0];
        let d =
            Downsampler::new(&Grid::line(5), &Grid::line(3), DownsampleMethod::Bicubic).unwrap();
        let mut out = [0.0; 3];
        d.apply(&input, &mut out);
        assert_eq!(out, [0.0, 4.0, 16.0]);
        // 5 → 4 points: coordinates 0, 4/3, 8/3, 4. At s = 4/3 (i0 = 1, t = 1/3) the taps are
        // rows 0..3 with weights W(t) of PyTorch's cubic convolution; computed by hand:
        let w = cubic_weights(1.0 / 3.0);
        let expect1 = w[0] * 0.0 + w[1] * 1.0 + w[2] * 4.0 + w[3] * 9.0;
        // At s = 8/3 (i0 = 2, t = 2/3) the right tap (index 5) is clamped to index 4.
        let w2 = cubic_weights(2.0 / 3.0);
        let expect2 = w2[0] * 1.0 + w2[1] * 4.0 + w2[2] * 9.0 + w2[3] * 16.0;
        let d =
            Downsampler::new(&Grid::line(5), &Grid::line(4), DownsampleMethod::Bicubic).unwrap();
        let mut out = [0.0; 4];
        d.apply(&input, &mut out);
        assert!((out[1] - expect1).abs() < 1e-12 && (out[2] - expect2).abs() < 1e-12, "{out:?}");
        // Weights sum to one and reproduce the known values at t = 1/2: (−3, 19, 19, −3)/32.
        let h = cubic_weights(0.5);
        for (a, b) in h.iter().zip([-3.0 / 32.0, 19.0 / 32.0, 19.0 / 32.0, -3.0 / 32.0]) {
            assert!((a - b).abs() < 1e-15);
        }
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn bicubic_2d_matches_direct_pytorch_formula() {
        // PyTorch's 2-D loop: out[oy, ox] = Σ_i Σ_j W_i(ty) W_j(tx) in[clamp(y0−1+i), clamp(x0−1+j)].
        let (n, m) = (12, 5);
        let field: Vec<f64> =
            (0..n * n).map(|i| ((i * 37) % 11) as f64 - 0.3 * (i / n) as f64).collect();
        let d = Downsampler::new(&Grid::plane(n, n), &Grid::plane(m, m), DownsampleMethod::Bicubic)
            .unwrap();
        let mut out = vec![0.0; m * m];
        d.apply(&field, &mut out);
        let s = (n - 1) as f64 / (m - 1) as f64;
        let clamp = |v: i64| v.clamp(0, n as i64 - 1) as usize;
        for oy in 0..m {
            for ox in 0..m {
                let (sy, sx) = (oy as f64 * s, ox as f64 * s);
                let (y0, x0) = (sy.floor() as i64, sx.floor() as i64);
                let (wy, wx) = (cubic_weights(sy - y0 as f64), cubic_weights(sx - x0 as f64));
                let mut expect = 0.0;
                for i in 0..4 {
                    for j in 0..4 {
                        expect += wy[i]
                            * wx[j]
                            * field[clamp(y0 - 1 + i as i64) * n + clamp(x0 - 1 + j as i64)];
                    }
                }
                assert!((out[oy * m + ox] - expect).abs() < 1e-12, "({oy},{ox})");
            }
        }
        // Constants are reproduced exactly (the weights sum to one).
        let mut c = vec![0.0; m * m];
        d.apply(&vec![2.5; n * n], &mut c);
        assert!(c.iter().all(|v| (v - 2.5).abs() < 1e-14));
    }

    #[test]
    fn rejects_upsampling() {
        let e =
            Downsampler::new(&Grid::plane(8, 8), &Grid::plane(16, 8), DownsampleMethod::Spectral)
                .err()
                .unwrap()
                .to_string();
        assert!(e.contains("larger"), "{e}");
    }
}
