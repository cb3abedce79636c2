//! Kernels of the U-Net block's tail in one pass: channel RMS norm, FiLM and SiLU,
//!
//! `y = silu(z)`, `z = x̂·g_c·(1 + s_nc) + b_nc`, `x̂ = x / max(‖x‖₂, 1e−12)` over channels per
//! position, `g_c = γ_c·√C`,
//!
//! and their gradients with respect to `x`, `γ`, the FiLM scale `s` and shift `b` (one pass to
//! recompute the forward values and the channel sums, one to apply the norm's Jacobian
//! `(dx̂ − x̂·⟨dx̂, x̂⟩)/‖x‖`). Tensors are row-major `[N, C, P]` (`P` positions per channel);
//! `s`, `b` are `[N, C]`. Samples run in parallel with rayon; AVX2 + FMA when the CPU has them.

use super::silu_kernel::{has_avx2, sigmoid};
use rayon::prelude::*;

/// `N` samples of `C` channels at `P` positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NormGeometry {
    /// Samples.
    pub n: usize,
    /// Channels (the axis normalised over).
    pub c: usize,
    /// Positions per channel (`H·W`).
    pub p: usize,
}

/// The op's inputs, row-major: `x [N, C, P]`, `gamma [C]`, `scale` and `shift` `[N, C]`.
#[derive(Debug, Clone, Copy)]
pub struct NormInputs<'a> {
    /// The normalised input.
    pub x: &'a [f32],
    /// The norm's per-channel gain.
    pub gamma: &'a [f32],
    /// FiLM scale (applied as `1 + s`).
    pub scale: &'a [f32],
    /// FiLM shift.
    pub shift: &'a [f32],
}

/// Gradients of the op's inputs, shaped like them.
#[derive(Debug, Clone, PartialEq)]
pub struct NormGrads {
    /// `[N, C, P]`.
    pub dx: Vec<f32>,
    /// `[C]`, summed over samples and positions.
    pub dgamma: Vec<f32>,
    /// `[N, C]`, summed over positions.
    pub dscale: Vec<f32>,
    /// `[N, C]`, summed over positions.
    pub dshift: Vec<f32>,
}

impl NormGeometry {
    fn check(&self, i: &NormInputs) {
        let NormGeometry { n, c, p } = *self;
        assert!(n * c * p > 0, "empty norm: {self:?}");
        assert_eq!(i.x.len(), n * c * p, "norm input length");
        assert_eq!(i.gamma.len(), c, "norm gain: {c} channels expected");
        assert_eq!(
            (i.scale.len(), i.shift.len()),
            (n * c, n * c),
            "FiLM: [{n}, {c}, 1, 1] expected"
        );
    }
}

/// Squared norms below this are clamped (`max(‖x‖, 1e−12)`), and pass no gradient to `‖x‖`.
const MIN_SQ: f32 = 1e-24;

/// `inv[p] = 1/max(‖x[·, p]‖, 1e−12)`; `live[p]` is 1 where the norm was not clamped, else 0.
#[inline(always)]
fn inverse_norms(x: &[f32], p: usize, inv: &mut [f32], live: &mut [f32]) {
    inv.fill(0.0);
    for row in x.chunks_exact(p) {
        for (s, v) in inv.iter_mut().zip(row) {
            *s += v * v;
        }
    }
    for (s, l) in inv.iter_mut().zip(live.iter_mut()) {
        *l = if *s < MIN_SQ { 0.0 } else { 1.0 };
        *s = 1.0 / s.max(MIN_SQ).sqrt();
    }
}

/// `Σ a·b` with eight partial sums, so that the loop vectorises.
#[inline(always)]
fn lane_dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// One sample's forward pass; `g` is `γ·√C`, `s`, `b` this sample's FiLM rows `[C]`.
#[inline(always)]
fn forward_body(p: usize, x: &[f32], g: &[f32], s: &[f32], b: &[f32], y: &mut [f32]) {
    let (mut inv, mut live) = (vec![0.0f32; p], vec![0.0f32; p]);
    inverse_norms(x, p, &mut inv, &mut live);
    for (ch, (y, x)) in y.chunks_exact_mut(p).zip(x.chunks_exact(p)).enumerate() {
        let (gc, bc) = (g[ch] * (1.0 + s[ch]), b[ch]);
        for ((y, &x), &inv) in y.iter_mut().zip(x).zip(&inv) {
            let z = x * inv * gc + bc;
            *y = z * sigmoid(z);
        }
    }
}

/// One sample's backward pass: writes `dx`, this sample's `dscale` and `dshift` rows, and adds
/// its share of `dγ` (before the `√C` factor) to `dgamma`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn backward_body(
    p: usize,
    x: &[f32],
    g: &[f32],
    (s, b): (&[f32], &[f32]),
    dy: &[f32],
    dx: &mut [f32],
    (ds, db): (&mut [f32], &mut [f32]),
    dgamma: &mut [f32],
) {
    let (mut inv, mut live, mut dot) = (vec![0.0f32; p], vec![0.0f32; p], vec![0.0f32; p]);
    let (mut xh, mut dz) = (vec![0.0f32; p], vec![0.0f32; p]);
    inverse_norms(x, p, &mut inv, &mut live);
    let rows = dx.chunks_exact_mut(p).zip(x.chunks_exact(p)).zip(dy.chunks_exact(p));
    for (ch, ((dx, x), dy)) in rows.enumerate() {
        let (s1, bc) = (1.0 + s[ch], b[ch]);
        let gc = g[ch] * s1;
        for ((((xh, dz), &x), &dy), &inv) in
            xh.iter_mut().zip(dz.iter_mut()).zip(x).zip(dy).zip(&inv)
        {
            *xh = x * inv;
            let z = *xh * gc + bc;
            let sg = sigmoid(z);
            *dz = dy * sg * (1.0 + z * (1.0 - sg));
        }
        let dz_xh = lane_dot(&dz, &xh);
        db[ch] = dz.iter().sum();
        ds[ch] = dz_xh * g[ch];
        dgamma[ch] += dz_xh * s1;
        for (((dx, dot), &dz), &xh) in dx.iter_mut().zip(dot.iter_mut()).zip(&dz).zip(&xh) {
            *dx = dz * gc;
            *dot += *dx * xh;
        }
    }
    for (dx, x) in dx.chunks_exact_mut(p).zip(x.chunks_exact(p)) {
        for ((((dx, &x), &inv), &dot), &live) in dx.iter_mut().zip(x).zip(&inv).zip(&dot).zip(&live)
        {
            *dx = (*dx - x * inv * dot * live) * inv;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn forward_avx2(p: usize, x: &[f32], g: &[f32], s: &[f32], b: &[f32], y: &mut [f32]) {
    forward_body(p, x, g, s, b, y)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
fn backward_avx2(
    p: usize,
    x: &[f32],
    g: &[f32],
    film: (&[f32], &[f32]),
    dy: &[f32],
    dx: &mut [f32],
    dfilm: (&mut [f32], &mut [f32]),
    dgamma: &mut [f32],
) {
    backward_body(p, x, g, film, dy, dx, dfilm, dgamma)
}

/// `γ·√C`.
fn gains(gamma: &[f32]) -> Vec<f32> {
    let root = (gamma.len() as f32).sqrt();
    gamma.iter().map(|g| g * root).collect()
}

/// The forward pass, `y [N, C, P]`.
pub fn forward(geo: &NormGeometry, i: &NormInputs) -> Vec<f32> {
    geo.check(i);
    let (c, p, len) = (geo.c, geo.p, geo.c * geo.p);
    let g = gains(i.gamma);
    let avx2 = has_avx2();
    let mut y = vec![0.0f32; i.x.len()];
    y.par_chunks_mut(len).zip(i.x.par_chunks(len)).enumerate().for_each(|(n, (y, x))| {
        let (s, b) = (&i.scale[n * c..][..c], &i.shift[n * c..][..c]);
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            return unsafe { forward_avx2(p, x, &g, s, b, y) };
        }
        let _ = avx2;
        forward_body(p, x, &g, s, b, y)
    });
    y
}

/// The backward pass from the output gradient `dy [N, C, P]`.
pub fn backward(geo: &NormGeometry, i: &NormInputs, dy: &[f32]) -> NormGrads {
    geo.check(i);
    assert_eq!(dy.len(), i.x.len(), "norm output gradient length");
    let (c, p, len) = (geo.c, geo.p, geo.c * geo.p);
    let g = gains(i.gamma);
    let avx2 = has_avx2();
    let _ = avx2; // only read on x86-64
    let mut dx = vec![0.0f32; i.x.len()];
    let (mut dscale, mut dshift) = (vec![0.0f32; geo.n * c], vec![0.0f32; geo.n * c]);
    // fixed chunks of samples, one per thread, summed in order: deterministic dγ
    let per = geo.n.div_ceil(rayon::current_num_threads().max(1));
    let chunks = dx.par_chunks_mut(per * len).zip(dscale.par_chunks_mut(per * c));
    let parts: Vec<Vec<f32>> = chunks
        .zip(dshift.par_chunks_mut(per * c))
        .enumerate()
        .map(|(t, ((dx, ds), db))| {
            let mut dgamma = vec![0.0f32; c];
            let samples =
                dx.chunks_exact_mut(len).zip(ds.chunks_exact_mut(c)).zip(db.chunks_exact_mut(c));
            for (k, ((dx, ds), db)) in samples.enumerate() {
                let n = t * per + k;
                let (x, dy) = (&i.x[n * len..][..len], &dy[n * len..][..len]);
                let film = (&i.scale[n * c..][..c], &i.shift[n * c..][..c]);
                #[cfg(target_arch = "x86_64")]
                if avx2 {
                    // SAFETY: the CPU supports AVX2 and FMA (checked above).
                    unsafe { backward_avx2(p, x, &g, film, dy, dx, (ds, db), &mut dgamma) };
                    continue;
                }
                backward_body(p, x, &g, film, dy, dx, (ds, db), &mut dgamma);
            }
            dgamma
        })
        .collect();
    let mut dgamma = vec![0.0f32; c];
    parts.iter().for_each(|part| dgamma.iter_mut().zip(part).for_each(|(a, b)| *a += b));
    let root = (c as f32).sqrt();
    dgamma.iter_mut().for_each(|v| *v *= root);
    NormGrads { dx, dgamma, dscale, dshift }
}
