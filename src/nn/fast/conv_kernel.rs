//! Slice kernels of the periodic convolution: wrap-around im2col, its adjoint (col2im), and the
//! forward, input-gradient and weight-gradient products on the `gemm` crate, parallel over the
//! batch with rayon (docs/performance.md).
//!
//! Layout: `x [N, C_in, H, W]`, `w [C_out, C_in, kh, kw]`, `y [N, C_out, H_o, W_o]`, all
//! row-major and contiguous. Padding is `kh/2`, `kw/2` rows/columns on each side, taken
//! periodically, so `y[n, o, i, j] = Σ_{c,a,b} w[o, c, a, b] · x[n, c, (i·sy + a − py) mod H,
//! (j·sx + b − px) mod W]` and `H_o = ⌈H/sy⌉`, `W_o = ⌈W/sx⌉` for odd kernels.

use rayon::prelude::*;

/// Shapes of one periodic convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Batch size `N`.
    pub n: usize,
    /// Input channels.
    pub c_in: usize,
    /// Input height `H`.
    pub h: usize,
    /// Input width `W`.
    pub w: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel height (odd).
    pub kh: usize,
    /// Kernel width (odd).
    pub kw: usize,
    /// Row stride.
    pub sy: usize,
    /// Column stride.
    pub sx: usize,
}

impl ConvGeometry {
    /// Output height `⌈H/sy⌉`.
    pub fn ho(&self) -> usize {
        (self.h - 1) / self.sy + 1
    }
    /// Output width `⌈W/sx⌉`.
    pub fn wo(&self) -> usize {
        (self.w - 1) / self.sx + 1
    }
    /// Rows of the im2col matrix, `C_in·kh·kw`.
    fn k(&self) -> usize {
        self.c_in * self.kh * self.kw
    }
    /// Columns of the im2col matrix, `H_o·W_o`.
    fn p(&self) -> usize {
        self.ho() * self.wo()
    }
    fn in_len(&self) -> usize {
        self.c_in * self.h * self.w
    }
    fn out_len(&self) -> usize {
        self.c_out * self.p()
    }
    /// A 1×1 kernel at stride 1: the im2col matrix is the input itself.
    fn pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.sy == 1 && self.sx == 1
    }
    /// Checks the geometry: odd kernels no larger than one period plus one, positive sizes.
    ///
    /// # Panics
    /// On an even kernel, a zero size, or padding wider than the field.
    pub fn check(&self) {
        let g = self;
        assert!(g.kh % 2 == 1 && g.kw % 2 == 1, "periodic conv needs odd kernels: {g:?}");
        assert!(g.n * g.c_in * g.h * g.w * g.c_out * g.sy * g.sx > 0, "empty periodic conv: {g:?}");
        assert!(g.kh / 2 <= g.h && g.kw / 2 <= g.w, "padding exceeds the field size: {g:?}");
    }
}

/// `dst = beta·lhs·rhs (+ dst if accumulate)` for `m×k` times `k×n`, strides in elements.
#[allow(clippy::too_many_arguments)]
fn matmul(
    [m, n, k]: [usize; 3],
    dst: &mut [f32],
    accumulate: bool,
    lhs: &[f32],
    [lhs_rs, lhs_cs]: [usize; 2],
    rhs: &[f32],
    [rhs_rs, rhs_cs]: [usize; 2],
) {
    assert!(dst.len() >= m * n);
    assert!(m == 0 || k == 0 || lhs.len() > (m - 1) * lhs_rs + (k - 1) * lhs_cs);
    assert!(n == 0 || k == 0 || rhs.len() > (k - 1) * rhs_rs + (n - 1) * rhs_cs);
    // SAFETY: the asserts above keep every index the kernel reads or writes in bounds; `dst` is
    // row-major `m × n` and does not alias `lhs` or `rhs` (distinct borrows).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Wrap-around im2col of one sample `x [C_in, H, W]` into `col [C_in·kh·kw, H_o·W_o]`.
fn im2col(g: &ConvGeometry, x: &[f32], col: &mut [f32]) {
    let (ho, wo, p) = (g.ho(), g.wo(), g.p());
    let (py, px) = (g.kh / 2, g.kw / 2);
    for c in 0..g.c_in {
        for a in 0..g.kh {
            for b in 0..g.kw {
                let row = ((c * g.kh + a) * g.kw + b) * p;
                let off = (b + g.w - px) % g.w;
                for i in 0..ho {
                    let r = (i * g.sy + a + g.h - py) % g.h;
                    let src = &x[(c * g.h + r) * g.w..][..g.w];
                    let dst = &mut col[row + i * wo..][..wo];
                    if g.sx == 1 {
                        let first = g.w - off;
                        dst[..first].copy_from_slice(&src[off..]);
                        dst[first..].copy_from_slice(&src[..off]);
                    } else {
                        for (j, d) in dst.iter_mut().enumerate() {
                            *d = src[(off + j * g.sx) % g.w];
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: `dx [C_in, H, W] += col2im(dcol)`.
fn col2im_add(g: &ConvGeometry, dcol: &[f32], dx: &mut [f32]) {
    let (ho, wo, p) = (g.ho(), g.wo(), g.p());
    let (py, px) = (g.kh / 2, g.kw / 2);
    for c in 0..g.c_in {
        for a in 0..g.kh {
            for b in 0..g.kw {
                let row = ((c * g.kh + a) * g.kw + b) * p;
                let off = (b + g.w - px) % g.w;
                for i in 0..ho {
                    let r = (i * g.sy + a + g.h - py) % g.h;
                    let dst = &mut dx[(c * g.h + r) * g.w..][..g.w];
                    let src = &dcol[row + i * wo..][..wo];
                    if g.sx == 1 {
                        let first = g.w - off;
                        add_to(&mut dst[off..], &src[..first]);
                        add_to(&mut dst[..off], &src[first..]);
                    } else {
                        for (j, s) in src.iter().enumerate() {
                            dst[(off + j * g.sx) % g.w] += s;
                        }
                    }
                }
            }
        }
    }
}

fn add_to(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// Forward: `y [N, C_out, H_o, W_o]` from `x [N, C_in, H, W]` and `w [C_out, C_in, kh, kw]`.
pub fn forward(g: &ConvGeometry, x: &[f32], w: &[f32]) -> Vec<f32> {
    g.check();
    let (k, p) = (g.k(), g.p());
    assert_eq!((x.len(), w.len()), (g.n * g.in_len(), g.c_out * k), "periodic conv shapes");
    let mut y = vec![0.0f32; g.n * g.out_len()];
    y.par_chunks_mut(g.out_len()).zip(x.par_chunks(g.in_len())).for_each_init(
        || vec![0.0f32; if g.pointwise() { 0 } else { k * p }],
        |col, (y_n, x_n)| {
            let col: &[f32] = if g.pointwise() {
                x_n
            } else {
                im2col(g, x_n, col);
                col
            };
            matmul([g.c_out, p, k], y_n, false, w, [k, 1], col, [p, 1]);
        },
    );
    y
}

/// Backward: `(dx, dw)` from the output gradient `dy`; each only when asked for.
///
/// `dx [N, C_in, H, W] = Σ` over the kernel of `wᵀ·dy`, scattered back by col2im; `dw [C_out,
/// C_in, kh, kw] = Σ_n dy_n · col_nᵀ`. The batch is split into one chunk per rayon thread; each
/// chunk sums its own `dw`, and the chunks' sums are added.
pub fn backward(
    g: &ConvGeometry,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    want: [bool; 2],
) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
    g.check();
    let [want_dx, want_dw] = want;
    let (k, p, in_len) = (g.k(), g.p(), g.in_len());
    assert_eq!(dy.len(), g.n * g.out_len(), "periodic conv output gradient shape");
    let per = g.n.div_ceil(rayon::current_num_threads().max(1));
    let mut dx = vec![0.0f32; if want_dx { g.n * in_len } else { 0 }];
    let chunk = |t: usize, dx_t: &mut [f32]| -> Vec<f32> {
        let mut dw = vec![0.0f32; if want_dw { g.c_out * k } else { 0 }];
        let mut col = vec![0.0f32; if g.pointwise() { 0 } else { k * p }];
        for s in t * per..((t + 1) * per).min(g.n) {
            let dy_n = &dy[s * g.out_len()..][..g.out_len()];
            if want_dw {
                let x_n = &x[s * in_len..][..in_len];
                let col: &[f32] = if g.pointwise() {
                    x_n
                } else {
                    im2col(g, x_n, &mut col);
                    &col
                };
                matmul([g.c_out, k, p], &mut dw, true, dy_n, [p, 1], col, [1, p]);
            }
            if want_dx {
                let dx_n = &mut dx_t[(s - t * per) * in_len..][..in_len];
                if g.pointwise() {
                    matmul([k, p, g.c_out], dx_n, false, w, [1, k], dy_n, [p, 1]);
                } else {
                    matmul([k, p, g.c_out], &mut col, false, w, [1, k], dy_n, [p, 1]);
                    col2im_add(g, &col, dx_n);
                }
            }
        }
        dw
    };
    let chunks = g.n.div_ceil(per);
    let dw_parts: Vec<Vec<f32>> = if want_dx {
        dx.par_chunks_mut(per * in_len).enumerate().map(|(t, dx_t)| chunk(t, dx_t)).collect()
    } else {
        (0..chunks).into_par_iter().map(|t| chunk(t, &mut [])).collect()
    };
    let dw = want_dw.then(|| {
        let mut parts = dw_parts.into_iter();
        let mut sum = parts.next().unwrap_or_else(|| vec![0.0; g.c_out * k]);
        parts.for_each(|part| add_to(&mut sum, &part));
        sum
    });
    (want_dx.then_some(dx), dw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defining sum, evaluated directly.
    fn direct(g: &ConvGeometry, x: &[f32], w: &[f32]) -> Vec<f32> {
        let (ho, wo) = (g.ho(), g.wo());
        let mut y = vec![0.0; g.n * g.c_out * ho * wo];
        for n in 0..g.n {
            for o in 0..g.c_out {
                for i in 0..ho {
                    for j in 0..wo {
                        let mut s = 0.0;
                        for c in 0..g.c_in {
                            for a in 0..g.kh {
                                for b in 0..g.kw {
                                    let r = (i * g.sy + a + g.h - g.kh / 2) % g.h;
                                    let q = (j * g.sx + b + g.w - g.kw / 2) % g.w;
                                    s += w[((o * g.c_in + c) * g.kh + a) * g.kw + b]
                                        * x[((n * g.c_in + c) * g.h + r) * g.w + q];
                                }
                            }
                        }
                        y[((n * g.c_out + o) * ho + i) * wo + j] = s;
                    }
                }
            }
        }
        y
    }

    fn pseudo(len: usize, seed: u32) -> Vec<f32> {
        (0..len).map(|i| ((i as f32 * 0.37 + seed as f32).sin() * 1.3).fract()).collect()
    }

    #[test]
    fn forward_is_the_circular_sum_and_backward_its_adjoint() {
        for (h, w, kh, kw, sy, sx) in
            [(1, 7, 1, 3, 1, 1), (5, 6, 3, 3, 1, 1), (6, 5, 3, 3, 2, 2), (4, 4, 1, 1, 1, 1)]
        {
            let g = ConvGeometry { n: 3, c_in: 2, h, w, c_out: 4, kh, kw, sy, sx };
            let x = pseudo(g.n * g.in_len(), 1);
            let wt = pseudo(g.c_out * g.k(), 2);
            let y = forward(&g, &x, &wt);
            let e = direct(&g, &x, &wt);
            for (a, b) in y.iter().zip(&e) {
                assert!((a - b).abs() < 1e-5, "{g:?}: {a} vs {b}");
            }
            // adjoint identities: <dy, y(x, w)> = <dx, x> = <dw, w> (y is bilinear)
            let dy = pseudo(y.len(), 3);
            let (dx, dw) = backward(&g, &x, &wt, &dy, [true, true]);
            let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f32>();
            let lhs = dot(&dy, &y);
            assert!((lhs - dot(&dx.unwrap(), &x)).abs() < 1e-3 * (1.0 + lhs.abs()), "{g:?}");
            assert!((lhs - dot(&dw.unwrap(), &wt)).abs() < 1e-3 * (1.0 + lhs.abs()), "{g:?}");
        }
    }
}
