//! U-Net and sliding-window predictor: parameter counts, equivariance, causality, gradients.

use burn::prelude::*;
use pdd::nn::{Spatial, UNet, UNetConfig, num_params};
use pdd::predictor::{ActionScale, Predictor, PredictorBuilder, pdd_loss};

fn dev() -> Device {
    Device::flex()
}

fn tiny(spatial: Spatial, c: usize, w: usize, noise: bool) -> UNetConfig {
    UNetConfig::new(spatial, c * w, c, vec![1, 2, 2], vec![2])
        .with_dim(8)
        .with_heads(2)
        .with_dim_head(4)
        .with_noise_head(noise)
}

fn randn(shape: [usize; 5], seed: u64) -> Tensor<5> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    Tensor::<1>::from_floats(v.as_slice(), &dev()).reshape(shape)
}

fn vec5(t: Tensor<5>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

/// Counts derived independently from docs/reference.md §8 (per-layer formula, see
/// benches/peers/unet.py, which builds the same network in PyTorch and prints its count).
#[test]
fn paper_parameter_counts() {
    let d = dev();
    let cases = [
        (UNetConfig::lorenz96_paper(5), 3_600_834),
        (UNetConfig::lorenz96_paper(5).with_noise_head(true), 3_600_900),
        (UNetConfig::kolmogorov_paper(5), 6_694_273),
        (UNetConfig::kolmogorov_paper(5).with_noise_head(true), 6_694_306),
    ];
    for (cfg, want) in cases {
        let net = cfg.init(&d).unwrap();
        let n = num_params(&net);
        println!(
            "{:?} {:?} noise_head={}: {n} parameters",
            cfg.spatial, cfg.dim_mults, cfg.noise_head
        );
        assert_eq!(n, want, "{cfg:?}");
    }
}

#[test]
fn bad_configs_name_the_field() {
    let e = UNetConfig::new(Spatial::Line, 10, 2, vec![1, 2], vec![3]).validate().unwrap_err();
    assert!(e.to_string().contains("model.attention_levels"), "{e}");
    let e = UNetConfig::new(Spatial::Line, 10, 2, vec![1, 2], vec![])
        .with_init_kernel(4)
        .validate()
        .unwrap_err();
    assert!(e.to_string().contains("model.init_kernel"), "{e}");
    let cfg = UNetConfig::kolmogorov_paper(5);
    assert!(cfg.check_grid(&[40, 40]).is_ok());
    assert!(cfg.check_grid(&[36, 36]).unwrap_err().to_string().contains("model.dim_mults"));
    assert!(cfg.check_grid(&[40]).is_err());
}

/// Circular shift by `(sy, sx)` built from slices (independent of the network's own padding).
fn roll(x: Tensor<4>, sy: usize, sx: usize) -> Tensor<4> {
    let shift = |x: Tensor<4>, dim: usize, s: usize| {
        let n = x.dims()[dim];
        if s.is_multiple_of(n) {
            return x;
        }
        Tensor::cat(vec![x.clone().narrow(dim, n - s, s), x.narrow(dim, 0, n - s)], dim)
    };
    shift(shift(x, 2, sy), 3, sx)
}

#[test]
fn unet_is_equivariant_to_shifts_by_its_downsampling_factor() {
    let d = dev();
    for (spatial, h, w, sy) in [(Spatial::Line, 1, 32, 0), (Spatial::Plane, 16, 16, 4)] {
        let cfg = tiny(spatial, 2, 2, true);
        let fac = cfg.downsampling_factor();
        assert_eq!(fac, 4);
        let net: UNet = cfg.init(&d).unwrap();
        let x = randn([3, 4, 1, h, w], 1).reshape([3, 4, h, w]);
        let t = Tensor::<1>::from_floats([0.0, 17.0, 999.0], &d);
        let (sy, sx) = (sy, 2 * fac);
        let a = net.forward(roll(x.clone(), sy, sx), t.clone());
        let b = net.forward(x, t);
        for (p, q) in
            [(a.drift, roll(b.drift, sy, sx)), (a.noise.unwrap(), roll(b.noise.unwrap(), sy, sx))]
        {
            let diff = (p - q).abs().max().into_scalar::<f32>();
            assert!(diff < 1e-4, "{spatial:?}: max diff {diff}");
        }
    }
}

#[test]
fn sliding_window_sees_only_the_past() {
    let d = dev();
    let net = tiny(Spatial::Line, 2, 3, false).init(&d).unwrap();
    let p = PredictorBuilder::new().window(3).channels(2).build(net).unwrap();
    let x = randn([2, 2, 8, 1, 16], 2);
    let t = Tensor::<1>::from_floats([5.0, 500.0], &d);
    let base = vec5(p.forward(x.clone(), t.clone()).drift);
    let j = 5;
    let bump = Tensor::<5>::zeros([2, 2, 8, 1, 16], &d)
        .slice_fill([0..2, 0..2, j..j + 1, 0..1, 0..16], 1.0);
    let moved = vec5(p.forward(x + bump, t).drift);
    let per_frame = 16;
    for (i, (a, b)) in base.iter().zip(&moved).enumerate() {
        let f = (i / per_frame) % 8;
        if f < j {
            assert_eq!(a, b, "frame {f} changed although only frame {j} moved");
        }
    }
    // frames j .. j + w − 1 do depend on it
    let changed =
        |f: usize| (0..per_frame).any(|k| base[f * per_frame + k] != moved[f * per_frame + k]);
    assert!(changed(j) && changed(j + 2));
}

#[test]
fn step_equals_the_last_frame_of_forward() {
    let d = dev();
    let net = tiny(Spatial::Plane, 1, 3, false).init(&d).unwrap();
    let p = PredictorBuilder::new().window(3).channels(1).build(net).unwrap();
    let x = randn([2, 1, 3, 8, 8], 3);
    let t = Tensor::<1>::from_floats([1.0, 2.0], &d);
    let full = p.forward(x.clone(), t.clone()).drift.narrow(2, 2, 1).reshape([2, 1, 8, 8]);
    let one = p.step(x, t).drift;
    let diff = (full - one).abs().max().into_scalar::<f32>();
    assert!(diff < 1e-6, "{diff}");
}

/// Autodiff gradient of the PDD loss w.r.t. the input path vs central finite differences along
/// a random direction (also exercises the gradient through every layer type).
#[test]
fn input_gradient_matches_finite_differences() {
    let d = dev();
    let ad = d.clone().autodiff();
    let net = tiny(Spatial::Line, 2, 2, false).init(&ad).unwrap();
    let p = PredictorBuilder::new().window(2).channels(2).build(net).unwrap();
    let x = randn([2, 2, 6, 1, 16], 4);
    let v = randn([2, 2, 6, 1, 16], 5);
    let t = Tensor::<1>::from_floats([3.0, 300.0], &ad);
    let s = ActionScale::Scalar(Tensor::<1>::from_floats([0.5, 1.5], &ad));
    let loss = |x: Tensor<5>| pdd_loss(&p, x, t.clone(), &s, None).total;
    let xg = x.clone().autodiff().require_grad();
    let grads = loss(xg.clone()).backward();
    let g = xg.grad(&grads).unwrap();
    let analytic = (g * v.clone()).sum().into_scalar::<f32>() as f64;
    let h = 1e-2f32;
    let plus = loss((x.clone() + v.clone().mul_scalar(h)).autodiff()).into_scalar::<f32>() as f64;
    let minus = loss((x - v.mul_scalar(h)).autodiff()).into_scalar::<f32>() as f64;
    let fd = (plus - minus) / (2.0 * h as f64);
    let rel = (fd - analytic).abs() / analytic.abs().max(1e-6);
    assert!(rel < 2e-2, "finite difference {fd} vs autodiff {analytic} (rel {rel})");
}
