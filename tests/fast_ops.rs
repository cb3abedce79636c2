//! The fused CPU ops (`pdd::nn::periodic_conv`, `pdd::nn::silu`, `pdd::nn::rms_norm_film_silu`,
//! `pdd::nn::upsample_nearest`) against burn's own ops: forward values and every gradient, 1-D
//! and 2-D, odd and even sizes, kernels 1 and 3, strides 1 and 2.
//!
//! Tolerance: the largest absolute difference is at most `1e-5 · (1 + max |reference|)`; the two
//! sides differ only in float summation order.

use burn::prelude::*;
use pdd::nn::{PeriodicConv, PeriodicConvConfig, Route, Spatial, fused_route};

fn randn<const D: usize>(shape: [usize; D], seed: u64, device: &Device) -> Tensor<D> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    Tensor::<1>::from_floats(v.as_slice(), device).reshape(shape)
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    pdd::backend::to_vec(t)
}

fn assert_close(what: &str, got: Vec<f32>, want: Vec<f32>) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = 1.0 + want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let err = got.iter().zip(&want).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(err <= 1e-5 * scale, "{what}: max |Δ| = {err:e}, scale {scale}");
}

/// `(y, dL/dx, dL/dw, dL/db)` for `L = Σ y·r` through `conv` (fused or burn's reference).
fn run(conv: &PeriodicConv, x: &Tensor<4>, fused: bool) -> [Vec<f32>; 4] {
    let x = x.clone().require_grad();
    let y = if fused { conv.forward(x.clone()) } else { conv.forward_reference(x.clone()) };
    let r = randn(y.dims(), 7, &y.device());
    let grads = (y.clone() * r).sum().backward();
    let w = conv.conv.weight.val().grad(&grads).expect("weight gradient");
    let b = conv.conv.bias.as_ref().unwrap().val().grad(&grads).expect("bias gradient");
    [values(y), values(x.grad(&grads).expect("input gradient")), values(w), values(b)]
}

fn check(spatial: Spatial, [h, w]: [usize; 2], k: usize, stride: usize) {
    let ad = Device::flex().autodiff();
    let conv = PeriodicConvConfig::new(3, 5)
        .with_spatial(spatial)
        .with_kernel_size(k)
        .with_stride(stride)
        .init(&ad);
    let x = randn([4, 3, h, w], 1, &ad);
    // the fused kernels, not burn's ops, are what is compared
    assert_eq!(fused_route(&x.clone().require_grad()), Route::FlexAutodiff);
    assert_eq!(fused_route(&conv.conv.weight.val()), Route::FlexAutodiff);
    let what = format!("{spatial:?} {h}×{w} k{k} s{stride}");
    let [fy, fx, fw, fb] = run(&conv, &x, true);
    let [ry, rx, rw, rb] = run(&conv, &x, false);
    assert_close(&format!("{what} forward"), fy, ry);
    assert_close(&format!("{what} input gradient"), fx, rx);
    assert_close(&format!("{what} weight gradient"), fw, rw);
    assert_close(&format!("{what} bias gradient"), fb, rb);
}

#[test]
fn periodic_conv_1d_matches_pad_and_conv() {
    for len in [16, 15] {
        for k in [1, 3] {
            for s in [1, 2] {
                check(Spatial::Line, [1, len], k, s);
            }
        }
    }
}

#[test]
fn periodic_conv_2d_matches_pad_and_conv() {
    for size in [[8, 8], [7, 9]] {
        for k in [1, 3] {
            for s in [1, 2] {
                check(Spatial::Plane, size, k, s);
            }
        }
    }
}

#[test]
fn periodic_conv_without_autodiff_matches_pad_and_conv() {
    let d = Device::flex();
    let conv =
        PeriodicConvConfig::new(2, 4).with_spatial(Spatial::Plane).with_kernel_size(5).init(&d);
    let x = randn([3, 2, 6, 5], 2, &d);
    assert_eq!(fused_route(&x), Route::Flex);
    assert_close("plain flex", values(conv.forward(x.clone())), values(conv.forward_reference(x)));
}

#[test]
fn periodic_conv_gradient_of_a_constant_input_is_skipped() {
    // the first layer's input carries no gradient: only the weight gradient is computed
    let ad = Device::flex().autodiff();
    let conv = PeriodicConvConfig::new(2, 3).init(&ad);
    let x = randn([2, 2, 1, 9], 3, &ad);
    let grads = conv.forward(x.clone()).sum().backward();
    assert!(x.grad(&grads).is_none());
    let w = values(conv.conv.weight.val().grad(&grads).unwrap());
    // dL/dw[o, c, 0, b] = Σ_{n, j} x[n, c, 0, j + b − 1 mod L]: every shift sums the same values
    let xs = values(x);
    for c in 0..2 {
        let total: f32 = (0..2).map(|n| xs[(n * 2 + c) * 9..][..9].iter().sum::<f32>()).sum();
        for o in 0..3 {
            for b in 0..3 {
                assert!((w[(o * 2 + c) * 3 + b] - total).abs() < 1e-4, "{o} {c} {b}");
            }
        }
    }
}

#[test]
fn silu_matches_burn_forward_and_gradient() {
    let ad = Device::flex().autodiff();
    // odd sizes and values out to ±30 (saturated σ) as well as around 0
    let x = randn([3, 5, 7, 11], 4, &ad).mul_scalar(6.0).require_grad();
    assert_eq!(fused_route(&x), Route::FlexAutodiff);
    let r = randn([3, 5, 7, 11], 5, &ad);
    let grad = |fused: bool| {
        let y = if fused {
            pdd::nn::silu(x.clone())
        } else {
            burn::tensor::activation::silu(x.clone())
        };
        let grads = (y.clone() * r.clone()).sum().backward();
        (values(y), values(x.grad(&grads).unwrap()))
    };
    let ((fy, fg), (ry, rg)) = (grad(true), grad(false));
    assert_close("silu forward", fy, ry);
    assert_close("silu gradient", fg, rg);
    let plain = randn([2, 9], 6, &Device::flex()).mul_scalar(4.0);
    assert_close(
        "silu without autodiff",
        values(pdd::nn::silu(plain.clone())),
        values(burn::tensor::activation::silu(plain)),
    );
}

/// `(y, dx, dγ, dscale, dshift)` of `L = Σ y·r` through the fused norm → FiLM → SiLU or burn's.
fn norm_film_silu(x: &Tensor<4>, film: bool, fused: bool) -> Vec<Vec<f32>> {
    let d = x.device();
    let [n, c, _, _] = x.dims();
    let x = x.clone().require_grad();
    let gamma = randn([c], 11, &d).add_scalar(1.0).require_grad();
    let (s, b) =
        (randn([n, c, 1, 1], 12, &d).require_grad(), randn([n, c, 1, 1], 13, &d).require_grad());
    let f = film.then(|| (s.clone(), b.clone()));
    let y = if fused {
        pdd::nn::rms_norm_film_silu(x.clone(), gamma.clone(), f)
    } else {
        pdd::nn::rms_norm_film_silu_reference(x.clone(), gamma.clone(), f)
    };
    let grads = (y.clone() * randn(y.dims(), 14, &d)).sum().backward();
    let mut out =
        vec![values(y), values(x.grad(&grads).unwrap()), values(gamma.grad(&grads).unwrap())];
    if film {
        out.extend([values(s.grad(&grads).unwrap()), values(b.grad(&grads).unwrap())]);
    } else {
        assert!(s.grad(&grads).is_none() && b.grad(&grads).is_none());
    }
    out
}

#[test]
fn norm_film_silu_matches_burn_forward_and_every_gradient() {
    let ad = Device::flex().autodiff();
    for (shape, film) in [([3, 5, 1, 13], true), ([2, 4, 7, 9], true), ([4, 6, 1, 16], false)] {
        let x = randn(shape, 10, &ad).mul_scalar(2.0);
        assert_eq!(fused_route(&x.clone().require_grad()), Route::FlexAutodiff);
        let names =
            ["forward", "input gradient", "gain gradient", "scale gradient", "shift gradient"];
        let got = norm_film_silu(&x, film, true);
        let want = norm_film_silu(&x, film, false);
        assert_eq!(got.len(), want.len());
        for ((g, w), name) in got.into_iter().zip(want).zip(names) {
            assert_close(&format!("{shape:?} film {film}: {name}"), g, w);
        }
    }
}

#[test]
fn norm_film_silu_without_autodiff_matches_burn() {
    let d = Device::flex();
    let x = randn([2, 3, 5, 4], 15, &d);
    let gamma = randn([3], 16, &d);
    let film = Some((randn([2, 3, 1, 1], 17, &d), randn([2, 3, 1, 1], 18, &d)));
    assert_eq!(fused_route(&x), Route::Flex);
    assert_close(
        "norm film silu without autodiff",
        values(pdd::nn::rms_norm_film_silu(x.clone(), gamma.clone(), film.clone())),
        values(pdd::nn::rms_norm_film_silu_reference(x, gamma, film)),
    );
}

#[test]
fn norm_film_silu_at_a_zero_position_keeps_the_clamped_gradient() {
    // one position with all channels 0: max(‖x‖, 1e-12) is clamped and passes no gradient to ‖x‖
    let ad = Device::flex().autodiff();
    let mut v = values(randn([1, 3, 1, 4], 19, &ad));
    (0..3).for_each(|c| v[c * 4 + 2] = 0.0);
    let x = Tensor::<1>::from_floats(v.as_slice(), &ad).reshape([1, 3, 1, 4]);
    let got = norm_film_silu(&x, true, true);
    let want = norm_film_silu(&x, true, false);
    for (g, w) in got.into_iter().zip(want) {
        assert!(g.iter().all(|v| v.is_finite()));
        assert_close("zero position", g, w);
    }
}

#[test]
fn upsample_matches_burn_forward_and_gradient() {
    let ad = Device::flex().autodiff();
    // 1-D (fy = 1) and 2-D factors, odd sizes; the forward is a copy and must agree exactly
    for (shape, factors) in
        [([3, 5, 7, 11], [2, 2]), ([2, 3, 1, 9], [1, 2]), ([2, 2, 3, 4], [3, 1])]
    {
        let x = randn(shape, 8, &ad).require_grad();
        assert_eq!(fused_route(&x), Route::FlexAutodiff);
        let [n, c, h, w] = shape;
        let r = randn([n, c, h * factors[0], w * factors[1]], 9, &ad);
        let grad = |fused: bool| {
            let y = if fused {
                pdd::nn::upsample_nearest(x.clone(), factors)
            } else {
                pdd::nn::upsample_nearest_reference(x.clone(), factors)
            };
            let grads = (y.clone() * r.clone()).sum().backward();
            (values(y), values(x.grad(&grads).unwrap()))
        };
        let ((fy, fg), (ry, rg)) = (grad(true), grad(false));
        assert_eq!(fy, ry, "upsample forward {shape:?} × {factors:?}");
        assert_close("upsample gradient", fg, rg);
        let plain = randn(shape, 10, &Device::flex());
        assert_eq!(
            values(pdd::nn::upsample_nearest(plain.clone(), factors)),
            values(pdd::nn::upsample_nearest_reference(plain, factors)),
            "upsample without autodiff"
        );
    }
}

#[test]
#[should_panic(expected = "must be ≥ 1")]
fn upsample_refuses_a_zero_factor() {
    let _ = pdd::nn::upsample_nearest(randn([1, 1, 2, 2], 1, &Device::flex()), [0, 2]);
}
