//! The linear-Gaussian predictor and the Gaussian skip (issue 23): Yule–Walker coefficients
//! against closed forms on AR(1) statistics, the device transform on a travelling wave, its
//! path score against the exact forward score, and an untrained skip model against it.

use burn::prelude::*;
use pdd::backend::to_vec;
use pdd::diffusion::{ForwardProcess, synthetic_trajectory};
use pdd::nn::{Spatial, UNetConfig, zeroed};
use pdd::predictor::{
    Action, LinearGaussian, LinearGaussianPredictor, Predictor, PredictorBuilder,
};
use pdd::sample::{PathScore, PddScore, SaPddScore};
use pdd::spectral::{Complex, Grid, SecondOrder};
use std::sync::Arc;

/// Exact statistics of a field whose every mode has power `power(k)` and lagged covariance
/// `power · (ρ e^{−iθ})^τ`.
fn ar1_stats(grid: &Grid, power: &[f64], rho: f64, theta: f64, lags: usize) -> SecondOrder {
    let k = grid.half_len();
    let (mut re, mut im) = (Vec::new(), Vec::new());
    for tau in 0..=lags {
        let z = Complex::from_polar(rho.powi(tau as i32), -theta * tau as f64);
        for p in &power[..k] {
            re.push(p * z.re);
            im.push(p * z.im);
        }
    }
    SecondOrder::from_parts(grid, 1, lags, &re, &im).unwrap()
}

fn process(grid: &Grid, beta2: f64) -> ForwardProcess {
    ForwardProcess::builder().grid(grid.clone()).alpha(0.1).beta2(beta2).steps(50).build().unwrap()
}

#[test]
fn window_one_coefficients_are_the_closed_form() {
    let grid = Grid::line(16);
    let power: Vec<f64> = (0..9).map(|k| 1.0 / (1.0 + k as f64)).collect();
    let (rho, theta) = (0.8, 0.3);
    let stats = ar1_stats(&grid, &power, rho, theta, 1);
    let p = process(&grid, 2.0);
    let lg = LinearGaussian::new(&stats, &p, 1).unwrap();
    for t in [0, 20, 49] {
        for (q, &s) in power.iter().enumerate() {
            let (a, v) = (p.damping(t)[q] as f64, p.variance(t)[q] as f64);
            let marginal = a * a * s + v;
            // b = Â² S ρ e^{−iθ} / (Â² S + Q̂), drift = b − 1; noise c = B̂ / (Â² S + Q̂)
            let b = Complex::from_polar(a * a * s * rho / marginal, -theta);
            let got = lg.drift_coefficient(t, 0, 0, q);
            assert!((got.re as f64 - (b.re - 1.0)).abs() < 1e-5, "t {t} k {q}: {got}");
            assert!((got.im as f64 - b.im).abs() < 1e-5, "t {t} k {q}: {got}");
            let c = lg.noise_coefficient(t, 0, 0, q);
            assert!((c.re as f64 - v.sqrt() / marginal).abs() < 1e-4 * (1.0 + v.sqrt() / marginal));
        }
    }
}

#[test]
fn a_noise_free_ar1_needs_only_its_last_frame() {
    // β² → 0: at index 0 the marginal is the data, an AR(1) with coefficient ρ e^{−iθ}
    let grid = Grid::plane(4, 6);
    let power = vec![0.5; grid.half_len()];
    let stats = ar1_stats(&grid, &power, 0.9, 0.5, 3);
    let lg = LinearGaussian::new(&stats, &process(&grid, 1e-12), 3).unwrap();
    let expected = Complex::from_polar(0.9, -0.5);
    for q in 0..grid.half_len() {
        let a0 = lg.drift_coefficient(0, 0, 0, q);
        assert!(
            (a0.re as f64 - (expected.re - 1.0)).abs() < 1e-4
                && (a0.im as f64 - expected.im).abs() < 1e-4
        );
        for j in 1..3 {
            assert!(lg.drift_coefficient(0, 0, j, q).norm() < 1e-4, "lag {j} bin {q}");
        }
    }
    assert!(LinearGaussian::new(&stats, &process(&grid, 1.0), 4).is_err(), "needs lags ≥ window");
}

#[test]
fn a_travelling_wave_is_predicted_on_the_device_in_1d_and_2d() {
    let d = Device::flex();
    for (grid, ky, kx) in [(Grid::line(16), 0usize, 3usize), (Grid::plane(6, 8), 1, 2)] {
        let [ny, nx] = if grid.ndim() == 2 { [6, 8] } else { [1, 16] };
        let (rho, theta, frames) = (0.7, 0.4, 5);
        let stats = ar1_stats(&grid, &vec![1.0; grid.half_len()], rho, theta, 2);
        let lg = LinearGaussian::new(&stats, &process(&grid, 1e-12), 2).unwrap();
        // u(y, x, f) = cos(2π(ky y/Ny + kx x/Nx) − θ f): every stored mode turns by e^{−iθ}
        let wave = |f: usize| -> Vec<f32> {
            (0..ny * nx)
                .map(|i| {
                    let (y, x) = ((i / nx) as f64, (i % nx) as f64);
                    let phase = std::f64::consts::TAU
                        * (ky as f64 * y / ny as f64 + kx as f64 * x / nx as f64);
                    (phase - theta * f as f64).cos() as f32
                })
                .collect()
        };
        let data: Vec<f32> = (0..frames).flat_map(wave).collect();
        let x = Tensor::<5>::from_data(TensorData::new(data, [1, 1, frames, ny, nx]), &d);
        let (drift, _) = lg.apply(x, &[0]).unwrap();
        let got = to_vec(drift);
        for f in 0..frames - 1 {
            let (now, next) = (wave(f), wave(f + 1));
            for i in 0..ny * nx {
                let expected = rho as f32 * next[i] - now[i];
                assert!((got[f * ny * nx + i] - expected).abs() < 1e-4, "{grid:?} frame {f}");
            }
        }
    }
}

#[test]
fn the_spectral_score_of_white_noise_data_is_the_exact_forward_score() {
    // S = 0: the marginal is the forward noise alone, whose exact score is −F⁻¹{ŷ/Q̂}; the PDD
    // score under the spectral action and the SA-PDD score of the noise estimate both give it
    // (the PDD action has no term for frame 0)
    let d = Device::flex();
    let grid = Grid::line(16);
    let stats = ar1_stats(&grid, &[0.0; 9], 0.0, 0.0, 2);
    let p = process(&grid, 2.0);
    let lg = LinearGaussianPredictor::new(Arc::new(LinearGaussian::new(&stats, &p, 2).unwrap()));
    let pdd = PddScore::new(lg.clone(), &p, Action::Spectral, &d).unwrap();
    let sa = SaPddScore::new(lg, &p, &d).unwrap();
    d.seed(3);
    let x = Tensor::<5>::random([2, 1, 6, 1, 16], burn::tensor::Distribution::Normal(0.0, 1.0), &d);
    for t in [5, 30] {
        let a = to_vec(pdd.score(x.clone(), t).unwrap().narrow(2, 1, 5));
        let b = to_vec(sa.score(x.clone(), t).unwrap().narrow(2, 1, 5));
        let scale = b.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
        let err = a.iter().zip(&b).map(|(u, v)| (u - v).abs()).fold(0.0f32, f32::max);
        assert!(err < 1e-4 * scale, "t {t}: {err} vs {scale}");
    }
}

#[test]
fn an_untrained_skip_model_is_the_linear_gaussian_predictor() {
    let d = Device::flex();
    let grid = Grid::line(16);
    let data = synthetic_trajectory(&grid, 2, 40, 2.0, 0.8, 1).unwrap();
    let data = data.insert_axis(ndarray::Axis(0));
    let stats = SecondOrder::estimate(&data.view(), &grid, 3).unwrap();
    let p = process(&grid, 2.0);
    let lg = Arc::new(LinearGaussian::new(&stats, &p, 3).unwrap());
    let mut net = UNetConfig::new(Spatial::Line, 6, 2, vec![1, 2], vec![1])
        .with_dim(8)
        .with_heads(2)
        .with_dim_head(4)
        .with_noise_head(true)
        .init(&d)
        .unwrap();
    net.drift_head = zeroed(net.drift_head);
    net.noise_head = net.noise_head.map(zeroed);
    let model =
        PredictorBuilder::new().window(3).channels(2).skip(Some(lg.clone())).build(net).unwrap();
    let plain = LinearGaussianPredictor::new(lg);
    d.seed(5);
    let x = Tensor::<5>::random([2, 2, 6, 1, 16], burn::tensor::Distribution::Normal(0.0, 1.0), &d);
    for action in [Action::Scalar, Action::Spectral] {
        let a = PddScore::new(model.clone(), &p, action, &d).unwrap().score(x.clone(), 17).unwrap();
        let b = PddScore::new(plain.clone(), &p, action, &d).unwrap().score(x.clone(), 17).unwrap();
        let diff = to_vec(a - b).iter().map(|v| v.abs()).fold(0.0f32, f32::max);
        assert!(diff < 1e-6, "{action:?}: {diff}");
    }
    let a = SaPddScore::new(model.clone(), &p, &d).unwrap().score(x.clone(), 17).unwrap();
    let b = SaPddScore::new(plain.clone(), &p, &d).unwrap().score(x.clone(), 17).unwrap();
    assert!(to_vec(a - b).iter().all(|v| v.abs() < 1e-6));
    let t = Tensor::<1>::from_floats([17.0, 17.0], &d);
    let (sa, sb) =
        (model.step(x.clone().narrow(2, 0, 3), t.clone()), plain.step(x.narrow(2, 0, 3), t));
    assert!(to_vec(sa.drift - sb.drift).iter().all(|v| v.abs() < 1e-6));
    let wrong = PredictorBuilder::new()
        .window(2)
        .channels(2)
        .skip(Some(Arc::new(LinearGaussian::new(&stats, &p, 3).unwrap())));
    let net = UNetConfig::new(Spatial::Line, 4, 2, vec![1], vec![]).with_dim(8).init(&d).unwrap();
    assert!(wrong.build(net).is_err(), "a skip of another window is refused");
}

#[test]
fn statistics_estimated_from_ar1_paths_match_their_construction() {
    let grid = Grid::line(32);
    let paths: Vec<_> =
        (0..60).map(|s| synthetic_trajectory(&grid, 1, 30, 1.0, 0.6, s).unwrap()).collect();
    let views: Vec<_> = paths.iter().map(|p| p.view()).collect();
    let data = ndarray::stack(ndarray::Axis(0), &views).unwrap();
    let stats = SecondOrder::estimate(&data.view(), &grid, 2).unwrap();
    let s = pdd::diffusion::synthetic_mode_variance(&grid, 1.0);
    for (q, &sq) in s.iter().enumerate().skip(1) {
        let rel = (stats.power(0)[q] - sq).abs() / sq;
        assert!(rel < 0.15, "bin {q}: {} vs {sq}", stats.power(0)[q]);
        let r2 = stats.correlation(0, 2)[q];
        assert!((r2.re - 0.36).abs() < 0.1 && r2.im.abs() < 0.1, "bin {q}: {r2}");
    }
}
