//! FNO tests: the spectral convolution against a host FFT, translation equivariance, shapes,
//! gradients, configuration checks and use inside the sliding-window predictor.

use super::*;
use crate::predictor::{Predictor, PredictorBuilder};
use burn::module::Param;
use num_complex::Complex64;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use realfft::RealFftPlanner;
use rustfft::FftPlanner;

fn dev() -> Device {
    Device::flex()
}

fn randn_vec(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
}

fn randn<const D: usize>(shape: [usize; D], seed: u64, device: &Device) -> Tensor<D> {
    let v = randn_vec(shape.iter().product(), seed);
    Tensor::from_data(TensorData::new(v, shape), device)
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

/// Largest absolute difference between two equally shaped tensors, relative to `b`'s largest
/// absolute value.
fn rel_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    let scale = b.clone().abs().max().into_scalar::<f32>().max(1e-12);
    (a - b).abs().max().into_scalar::<f32>() / scale
}

/// `x` rolled by `s` points along `dim`: `y[j] = x[j − s mod n]`.
fn roll(x: Tensor<4>, dim: usize, s: usize) -> Tensor<4> {
    let n = x.dims()[dim];
    Tensor::cat(vec![x.clone().narrow(dim, n - s, s), x.narrow(dim, 0, n - s)], dim)
}

/// The spectral convolution computed on the host in f64 with realfft (x) and rustfft (y):
/// rfft2 → keep modes → mix → zero the rest → irfft2.
fn host_spectral(x: &[f32], [n, ci, ny, nx]: [usize; 4], conv: &SpectralConv) -> Vec<f64> {
    let [my, mx] = conv.modes;
    let k = if my == 0 { 1 } else { 2 * my };
    let (wr, wi) = (values(conv.weight_re.val()), values(conv.weight_im.val()));
    let co = conv.weight_re.dims()[2];
    let h = nx / 2 + 1;
    let row_of = |r: usize| if r < my || my == 0 { r } else { ny + r - 2 * my };
    let mut rp = RealFftPlanner::<f64>::new();
    let (r2c, c2r) = (rp.plan_fft_forward(nx), rp.plan_fft_inverse(nx));
    let mut cp = FftPlanner::<f64>::new();
    let (yf, yi) = (cp.plan_fft_forward(ny), cp.plan_fft_inverse(ny));
    // spectra[b][i][row][kx]
    let mut spec = vec![Complex64::new(0.0, 0.0); n * ci * ny * h];
    for (field, out) in x.chunks(ny * nx).zip(spec.chunks_mut(ny * h)) {
        for (row, o) in field.chunks(nx).zip(out.chunks_mut(h)) {
            let mut inp: Vec<f64> = row.iter().map(|&v| v as f64).collect();
            r2c.process(&mut inp, o).unwrap();
        }
        if my > 0 {
            transform_columns(out, ny, h, &*yf);
        }
    }
    let mut res = vec![0.0f64; n * co * ny * nx];
    for b in 0..n {
        for o in 0..co {
            let mut z = vec![Complex64::new(0.0, 0.0); ny * h];
            for r in 0..k {
                for kx in 0..mx {
                    let m = r * mx + kx;
                    z[row_of(r) * h + kx] = (0..ci)
                        .map(|i| {
                            let w = Complex64::new(
                                wr[(m * ci + i) * co + o] as f64,
                                wi[(m * ci + i) * co + o] as f64,
                            );
                            spec[((b * ci + i) * ny + row_of(r)) * h + kx] * w
                        })
                        .sum();
                }
            }
            if my > 0 {
                transform_columns(&mut z, ny, h, &*yi);
            }
            let field = &mut res[(b * co + o) * ny * nx..][..ny * nx];
            for (zr, out) in z.chunks_mut(h).zip(field.chunks_mut(nx)) {
                zr[0].im = 0.0;
                if nx % 2 == 0 {
                    zr[h - 1].im = 0.0;
                }
                c2r.process(zr, out).unwrap();
                out.iter_mut().for_each(|v| *v /= (nx * ny) as f64);
            }
        }
    }
    res
}

/// Applies `fft` along axis 0 of a row-major `ny × h` complex array, in place.
fn transform_columns(a: &mut [Complex64], ny: usize, h: usize, fft: &dyn rustfft::Fft<f64>) {
    for kx in 0..h {
        let mut col: Vec<Complex64> = (0..ny).map(|j| a[j * h + kx]).collect();
        fft.process(&mut col);
        for (j, v) in col.into_iter().enumerate() {
            a[j * h + kx] = v;
        }
    }
}

/// A spectral convolution with standard-normal complex weights.
fn random_conv(spatial: Spatial, ci: usize, co: usize, modes: usize, seed: u64) -> SpectralConv {
    let d = dev();
    let mut conv = SpectralConvConfig::new(spatial, ci, co, modes).init(&d).unwrap();
    let shape = conv.weight_re.dims();
    conv.weight_re = Param::from_tensor(randn(shape, seed, &d));
    conv.weight_im = Param::from_tensor(randn(shape, seed + 1, &d));
    conv
}

fn check_against_host(spatial: Spatial, dims: [usize; 4], co: usize, modes: usize) {
    let conv = random_conv(spatial, dims[1], co, modes, 11);
    let x = randn(dims, 12, &dev());
    let want = host_spectral(&values(x.clone()), dims, &conv);
    let got = values(conv.forward(x));
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let err = got.iter().zip(&want).fold(0.0f64, |m, (g, w)| m.max((*g as f64 - w).abs()));
    assert!(scale > 1e-3, "degenerate test: output scale {scale}");
    assert!(err / scale < 2e-6, "{spatial:?} {dims:?} modes {modes}: rel error {}", err / scale);
}

#[test]
fn spectral_conv_matches_host_fft_1d() {
    check_against_host(Spatial::Line, [2, 3, 1, 16], 4, 5);
    // modes = N/2 + 1 keeps the Nyquist mode (real part only, as irfft)
    check_against_host(Spatial::Line, [2, 3, 1, 16], 2, 9);
    check_against_host(Spatial::Line, [1, 2, 1, 15], 3, 8);
}

#[test]
fn spectral_conv_matches_host_fft_2d() {
    check_against_host(Spatial::Plane, [2, 3, 16, 12], 2, 3);
    // all rows along y (2m = Ny) and the Nyquist column along x
    check_against_host(Spatial::Plane, [1, 2, 12, 10], 3, 6);
    check_against_host(Spatial::Plane, [1, 2, 11, 9], 2, 4);
}

fn small(spatial: Spatial, c_in: usize, c_out: usize, noise: bool) -> FnoConfig {
    FnoConfig::new(spatial, c_in, c_out)
        .with_modes(6)
        .with_width(8)
        .with_layers(2)
        .with_hidden(16)
        .with_noise_head(noise)
}

#[test]
fn fno_commutes_with_translations() {
    let d = dev();
    let t = Tensor::<1>::from_floats([3.0, 700.0], &d);
    let net = small(Spatial::Line, 4, 2, true).init(&d).unwrap();
    let x = randn([2, 4, 1, 32], 21, &d);
    let (a, b) = (net.forward(roll(x.clone(), 3, 5), t.clone()), net.forward(x, t.clone()));
    assert!(rel_diff(a.drift, roll(b.drift, 3, 5)) < 1e-5);
    assert!(rel_diff(a.noise.unwrap(), roll(b.noise.unwrap(), 3, 5)) < 1e-5);

    let net = small(Spatial::Plane, 3, 1, false).init(&d).unwrap();
    let x = randn([2, 3, 16, 20], 22, &d);
    let a = net.forward(roll(roll(x.clone(), 2, 3), 3, 7), t.clone()).drift;
    let b = roll(roll(net.forward(x, t).drift, 2, 3), 3, 7);
    assert!(rel_diff(a, b) < 1e-5);
}

#[test]
fn output_shapes_with_and_without_noise_head() {
    let d = dev();
    let t = Tensor::<1>::from_floats([0.0, 999.0], &d);
    for noise in [false, true] {
        let net = FnoConfig::new(Spatial::Line, 10, 2).with_noise_head(noise).init(&d).unwrap();
        let out = net.forward(Tensor::zeros([2, 10, 1, 128], &d), t.clone());
        assert_eq!(out.drift.dims(), [2, 2, 1, 128]);
        assert_eq!(out.noise.map(|n| n.dims()), noise.then_some([2, 2, 1, 128]));

        let net = FnoConfig::new(Spatial::Plane, 5, 1).with_noise_head(noise).init(&d).unwrap();
        let out = net.forward(Tensor::zeros([2, 5, 40, 40], &d), t.clone());
        assert_eq!(out.drift.dims(), [2, 1, 40, 40]);
        assert_eq!(out.noise.map(|n| n.dims()), noise.then_some([2, 1, 40, 40]));
    }
}

/// The parameter count against the formula of the architecture.
#[test]
fn parameter_count_matches_the_architecture() {
    let (ci, co, m, w, l, hid) = (10, 2, 16, 32, 4, 128);
    for (spatial, modes, noise) in [(Spatial::Line, m, false), (Spatial::Plane, 2 * m * m, true)] {
        let cfg = FnoConfig::new(spatial, ci, co).with_noise_head(noise);
        let net = cfg.init(&dev()).unwrap();
        let e = 4 * w;
        let time = (w * e + e) + (e * e + e);
        let block = 2 * modes * w * w + (w * w + w) + (e * 2 * w + 2 * w);
        let head = (w * hid + hid) + (hid * co + co);
        let heads = if noise { 2 * head } else { head };
        let want = (ci * w + w) + time + l * block + heads;
        assert_eq!(crate::nn::num_params(&net), want, "{spatial:?}");
    }
}

#[test]
fn input_gradient_matches_finite_differences() {
    let ad = dev().autodiff();
    let net = small(Spatial::Plane, 2, 2, false).init(&ad).unwrap();
    let t = Tensor::<1>::from_floats([5.0, 50.0], &ad);
    let dims = [2, 2, 12, 10];
    let v = randn(dims, 31, &ad);
    let loss = |x: Tensor<4>| {
        let y = net.forward(x, t.clone()).drift;
        (y.clone() * v.clone()).sum() + y.square().sum().mul_scalar(0.5)
    };
    let x0 = randn_vec(dims.iter().product(), 32);
    let make = |x: &[f32]| Tensor::<4>::from_data(TensorData::new(x.to_vec(), dims), &ad);
    let xg = make(&x0).require_grad();
    let grads = loss(xg.clone()).backward();
    let g = values(xg.grad(&grads).unwrap());
    let wg = net.blocks[0].spectral.weight_re.val().grad(&grads).unwrap();
    assert!(wg.abs().max().into_scalar::<f32>() > 0.0, "no gradient reaches the spectral weights");
    let h = 1e-2f32;
    for idx in [0, 137, 301] {
        let (mut plus, mut minus) = (x0.clone(), x0.clone());
        plus[idx] += h;
        minus[idx] -= h;
        let lp = loss(make(&plus)).into_scalar::<f32>() as f64;
        let lm = loss(make(&minus)).into_scalar::<f32>() as f64;
        let fd = (lp - lm) / (2.0 * h as f64);
        let err = (fd - g[idx] as f64).abs() / (g[idx].abs() as f64).max(1e-2);
        assert!(err < 1e-2, "entry {idx}: finite difference {fd} vs autodiff {}", g[idx]);
    }
}

#[test]
fn configuration_errors_name_the_field() {
    let base = FnoConfig::new(Spatial::Line, 10, 2);
    let field = |r: Result<()>| match r {
        Err(Error::Config { field, .. }) => field,
        other => panic!("expected a configuration error, got {other:?}"),
    };
    assert_eq!(field(base.clone().with_modes(0).validate()), "model.modes");
    assert_eq!(field(base.clone().with_width(0).validate()), "model.width");
    assert_eq!(field(base.clone().with_width(5).validate()), "model.width");
    assert_eq!(field(base.clone().with_layers(0).validate()), "model.layers");
    assert_eq!(field(FnoConfig::new(Spatial::Line, 0, 2).validate()), "model.in_channels");
    assert!(base.clone().with_width(0).init(&dev()).is_err());
    assert!(base.clone().with_modes(65).check_grid(&[128]).is_ok());
    assert_eq!(field(base.clone().with_modes(66).check_grid(&[128])), "model.modes");
    assert!(matches!(base.check_grid(&[40, 40]), Err(Error::Shape { .. })));

    let plane = FnoConfig::new(Spatial::Plane, 5, 1);
    assert!(plane.clone().with_modes(20).check_grid(&[40, 40]).is_ok());
    assert_eq!(field(plane.clone().with_modes(21).check_grid(&[40, 40])), "model.modes");
    assert_eq!(field(plane.clone().with_modes(12).check_grid(&[40, 20])), "model.modes");
    let layer = SpectralConvConfig::new(Spatial::Plane, 1, 1, 0);
    assert_eq!(field(layer.validate()), "model.modes");
}

#[test]
#[should_panic(expected = "modes exceed")]
fn forward_on_a_grid_too_small_for_the_modes_panics() {
    let d = dev();
    let net = FnoConfig::new(Spatial::Line, 2, 1).init(&d).unwrap();
    let _ = net.forward(Tensor::zeros([1, 2, 1, 16], &d), Tensor::zeros([1], &d));
}

#[test]
fn sliding_window_fno_runs_on_a_path() {
    let d = dev();
    let net = small(Spatial::Line, 2 * 5, 2, true).init(&d).unwrap();
    let p = PredictorBuilder::new().window(5).channels(2).build(net).unwrap();
    let x = randn([3, 2, 7, 1, 32], 41, &d);
    let t = Tensor::<1>::from_floats([0.0, 10.0, 900.0], &d);
    let out = p.forward(x.clone(), t.clone());
    assert_eq!(out.drift.dims(), [3, 2, 7, 1, 32]);
    assert_eq!(out.noise.as_ref().map(|n| n.dims()), Some([3, 2, 7, 1, 32]));
    // the last frame equals a single step on the last window
    let last = out.drift.narrow(2, 6, 1).reshape([3, 2, 1, 32]);
    let step = p.step(x.narrow(2, 2, 5), t).drift;
    assert!(rel_diff(last, step) < 1e-5);
}

#[test]
fn pointwise_is_a_linear_map_per_grid_point() {
    let d = dev();
    let lin = burn::nn::LinearConfig::new(3, 2).init(&d);
    let x = randn([2, 3, 2, 5], 51, &d);
    let (w, b) = (values(lin.weight.val()), values(lin.bias.as_ref().unwrap().val()));
    let xv = values(x.clone());
    let y = values(pointwise(&lin, x));
    for n in 0..2 {
        for o in 0..2 {
            for p in 0..10 {
                let e: f32 = (0..3).map(|i| w[i * 2 + o] * xv[(n * 3 + i) * 10 + p]).sum::<f32>();
                let got = y[(n * 2 + o) * 10 + p];
                assert!((got - e - b[o]).abs() < 1e-5, "{n} {o} {p}: {got} vs {}", e + b[o]);
            }
        }
    }
}
