//! Forward process: tables vs closed forms, q-sample statistics, host/device agreement, ETD1,
//! bad input.

use burn::prelude::*;
use ndarray::{ArrayD, IxDyn};
use pdd::diffusion::{
    DeviceProcess, ForwardProcess, Table, batch_to_tensor, real_fourier_basis,
    synthetic_trajectory, tensor_to_batch, white_noise,
};
use pdd::spectral::{Grid, LaplacianKind, SpectralPlan};
use std::f64::consts::{PI, TAU};

fn l96() -> ForwardProcess {
    ForwardProcess::builder()
        .grid(Grid::line(128))
        .alpha(0.1)
        .beta2(2.0)
        .steps(1000)
        .build()
        .unwrap()
}

fn kf() -> ForwardProcess {
    ForwardProcess::builder()
        .grid(Grid::plane(40, 40))
        .alpha(0.3)
        .beta2(2.0)
        .steps(1000)
        .build()
        .unwrap()
}

/// ℓ of every bin of the *full* spectrum, straight from docs/reference.md §2.1 (independent of
/// `Grid`).
fn full_eigenvalues(dims: &[usize], alpha: f64) -> Vec<f64> {
    let axis = |n: usize| -> Vec<f64> {
        let h = TAU / n as f64;
        (0..n).map(|k| -4.0 * (PI * k as f64 / n as f64).sin().powi(2) / (h * h)).collect()
    };
    match dims {
        [n] => axis(*n).iter().map(|m| alpha * m).collect(),
        [ny, nx] => {
            let (ay, ax) = (axis(*ny), axis(*nx));
            ay.iter().flat_map(|y| ax.iter().map(move |x| alpha * (y + x))).collect()
        }
        _ => unreachable!(),
    }
}

/// `var_i` of docs/reference.md §2.3 computed over the full spectrum.
fn closed_form_var(dims: &[usize], alpha: f64, beta2: f64, i: usize, steps: usize) -> f64 {
    let tau = if i == 0 { 1.0 / steps as f64 } else { i as f64 / steps as f64 };
    let ell = full_eigenvalues(dims, alpha);
    ell.iter()
        .map(|&l| {
            let q = if (2.0 * l).abs() > 1e-14 {
                beta2 * ((2.0 * l * tau).exp() - 1.0) / (2.0 * l)
            } else {
                beta2 * tau
            };
            q.max(1e-12)
        })
        .sum::<f64>()
        / ell.len() as f64
}

#[test]
fn sigma2_table_matches_closed_forms() {
    for (p, alpha) in [(l96(), 0.1), (kf(), 0.3)] {
        let dims = p.grid().dims().to_vec();
        for i in [0, 1, 2, 10, 100, 200, 500, 999] {
            let expect = closed_form_var(&dims, alpha, 2.0, i, 1000);
            let got = p.sigma2(i);
            assert!((got - expect).abs() <= 1e-12 * expect, "{dims:?} i={i}: {got} vs {expect}");
        }
        assert_eq!(p.sigma2(0), p.sigma2(1), "τ₀ rule: var_0 = var_1");
        assert!(p.damping(0).iter().all(|&a| a == 1.0), "Â_0 ≡ 1");
        assert_eq!(p.noise_std(0), p.noise_std(1), "B̂_0 = B̂_1");
        // σ² grows with λ
        assert!(p.sigma2_table().windows(2).skip(1).all(|w| w[1] > w[0]));
    }
    // Numbers quoted in docs/reference.md §2.1, §2.6 and §11.4.
    let (a, b) = (l96(), kf());
    let min_l = |p: &ForwardProcess| p.eigenvalues().iter().cloned().fold(0.0, f64::min);
    assert!((min_l(&a) + 166.0).abs() < 0.05, "{}", min_l(&a));
    assert!((min_l(&b) + 97.27).abs() < 0.01, "{}", min_l(&b));
    let max_astep = |p: &ForwardProcess| p.etd_astep().iter().cloned().fold(0.0, f32::max);
    assert!((max_astep(&a) - 1.181).abs() < 1e-3);
    assert!((max_astep(&b) - 1.102).abs() < 1e-3);
    assert!((a.damping(999)[1] - 0.90).abs() < 0.01, "L96 Â_999(k=1) = {}", a.damping(999)[1]);
    assert!((b.damping(999)[1] - 0.74).abs() < 0.01, "KF Â_999(k=1) = {}", b.damping(999)[1]);
}

#[test]
fn per_bin_tables_match_closed_forms() {
    let p = ForwardProcess::builder()
        .grid(Grid::plane(6, 10))
        .alpha(0.3)
        .gamma(0.5)
        .beta2(1.5)
        .steps(50)
        .build()
        .unwrap();
    let g = p.grid();
    for i in [0, 1, 7, 49] {
        let lambda = i as f64 / 50.0;
        let tau = if i == 0 { 1.0 / 50.0 } else { lambda };
        for (bin, k) in g.half_wavenumbers().iter().enumerate() {
            let mu: f64 = k
                .iter()
                .zip(g.dims())
                .map(|(&ka, &n)| {
                    let h = TAU / n as f64;
                    -4.0 * (PI * ka as f64 / n as f64).sin().powi(2) / (h * h)
                })
                .sum();
            let ell = 0.3 * mu - 0.5;
            let q = 1.5 * ((2.0 * ell * tau).exp() - 1.0) / (2.0 * ell);
            let close = |a: f32, b: f64| ((a as f64) - b).abs() <= 2e-7 * b.abs().max(1e-30);
            assert!(close(p.damping(i)[bin], (ell * lambda).exp()));
            assert!(close(p.variance(i)[bin], q));
            assert!(close(p.noise_std(i)[bin], q.sqrt()));
            assert!(close(p.precision_sqrt(i)[bin], -1.0 / q.sqrt()));
        }
    }
    // ETD1 coefficients
    for (bin, &ell) in p.eigenvalues().iter().enumerate() {
        let z = -ell / 50.0;
        assert!(((p.etd_astep()[bin] as f64) - z.exp()).abs() < 1e-6 * z.exp());
        assert!(((p.etd_phi1()[bin] as f64) - (z.exp() - 1.0) / z).abs() < 1e-6);
    }
}

#[test]
fn continuous_laplacian_and_zero_mode() {
    let p = ForwardProcess::builder()
        .grid(Grid::line(16))
        .alpha(0.2)
        .laplacian(LaplacianKind::Continuous)
        .build()
        .unwrap();
    assert_eq!(p.eigenvalues()[3], -0.2 * 9.0);
    // k = 0 with γ = 0: Brownian, Q̂ = β² τ, φ1 = 1.
    assert!(((p.variance(300)[0] as f64) - 2.0 * 0.3).abs() < 1e-7);
    assert_eq!(p.etd_phi1()[0], 1.0);
    assert_eq!(p.etd_astep()[0], 1.0);
}

/// `cos(k·x + 0.3)` on `grid` (integer wavenumber vector `k`), shaped `[1, 1, 1, *grid]`.
fn pure_mode(grid: &Grid, k: &[i64]) -> ArrayD<f32> {
    let dims = grid.dims();
    let n = grid.len();
    let values: Vec<f32> = (0..n)
        .map(|flat| {
            let (y, x) = if dims.len() == 2 { (flat / dims[1], flat % dims[1]) } else { (0, flat) };
            let phase = if dims.len() == 2 {
                TAU * (k[0] as f64 * y as f64 / dims[0] as f64
                    + k[1] as f64 * x as f64 / dims[1] as f64)
            } else {
                TAU * k[0] as f64 * x as f64 / dims[0] as f64
            };
            (phase + 0.3).cos() as f32
        })
        .collect();
    let mut shape = vec![1, 1, 1];
    shape.extend_from_slice(dims);
    ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap()
}

#[test]
fn coarse_graining_of_a_pure_mode_is_its_exponential() {
    for (grid, kind, modes) in [
        (Grid::line(128), LaplacianKind::Discrete, vec![vec![1i64], vec![5], vec![64]]),
        (Grid::line(30), LaplacianKind::Continuous, vec![vec![2], vec![15]]),
        (Grid::plane(40, 40), LaplacianKind::Discrete, vec![vec![1, 0], vec![-3, 7], vec![20, 20]]),
        (Grid::plane(9, 14), LaplacianKind::Continuous, vec![vec![4, -5], vec![0, 7]]),
    ] {
        let p = ForwardProcess::builder()
            .grid(grid.clone())
            .alpha(0.1)
            .laplacian(kind)
            .build()
            .unwrap();
        for k in modes {
            let x = pure_mode(&grid, &k);
            let mu: f64 = match kind {
                LaplacianKind::Continuous => -k.iter().map(|&v| (v * v) as f64).sum::<f64>(),
                LaplacianKind::Discrete => k
                    .iter()
                    .zip(grid.dims())
                    .map(|(&ka, &n)| {
                        -4.0 * (PI * ka as f64 / n as f64).sin().powi(2) / (TAU / n as f64).powi(2)
                    })
                    .sum(),
            };
            for i in [0, 10, 200, 999] {
                let c = p.coarse_grain_at(&x.view(), i).unwrap();
                let factor = (0.1 * mu * i as f64 / 1000.0).exp();
                for (a, b) in c.iter().zip(x.iter()) {
                    assert!(
                        ((*a as f64) - factor * *b as f64).abs() < 2e-6,
                        "{:?} k={k:?} i={i}: {a} vs {}",
                        grid.dims(),
                        factor * *b as f64
                    );
                }
            }
        }
    }
}

/// Orthonormal-DFT power `|û_k|²/N` of every half-spectrum bin of every field of `x`.
fn mode_powers(grid: &Grid, x: &ArrayD<f32>) -> Vec<Vec<f64>> {
    let plan = SpectralPlan::<f64>::new(grid);
    let (mut s, mut spec) = (plan.make_scratch(), plan.spectrum_buffer());
    let data: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    data.chunks(grid.len())
        .map(|f| {
            plan.forward(f, &mut spec, &mut s);
            spec.iter().map(|c| c.norm_sqr() / grid.len() as f64).collect()
        })
        .collect()
}

#[test]
fn noise_variance_per_mode_matches_q_hat() {
    for grid in [Grid::line(32), Grid::plane(8, 12)] {
        let p = ForwardProcess::builder().grid(grid.clone()).alpha(1.0).beta2(2.0).build().unwrap();
        let (batch, frames) = (64usize, 32usize);
        let mut shape = vec![batch, 1, frames];
        shape.extend_from_slice(grid.dims());
        // Non-zero data, so that the test also checks that the C_λ u_0 part is removed exactly.
        let x0 = white_noise(&shape, 99);
        let t: Vec<usize> = (0..batch).map(|b| if b % 2 == 0 { 100 } else { 700 }).collect();
        let u = p.q_sample(&x0.view(), &t, 5).unwrap();
        let c = p.coarse_grain(&x0.view(), &t).unwrap();
        let noise = &u - &c;
        let powers = mode_powers(&grid, &noise);
        let weights = grid.half_weights();
        for index in [100usize, 700] {
            let q = p.variance(index);
            let fields: Vec<&Vec<f64>> = powers
                .chunks(frames)
                .zip(&t)
                .filter(|(_, ti)| **ti == index)
                .flat_map(|(f, _)| f.iter())
                .collect();
            let m = fields.len() as f64;
            let mut pooled = 0.0;
            for (bin, &qk) in q.iter().enumerate() {
                let mean = fields.iter().map(|f| f[bin]).sum::<f64>() / m;
                // |û|²/Q̂ is Exp(1) for complex bins (std 1) and χ²₁ for real ones (std √2).
                let std = if weights[bin] == 1.0 { 2f64.sqrt() } else { 1.0 } / m.sqrt();
                let ratio = mean / qk as f64;
                assert!(
                    (ratio - 1.0).abs() < 5.0 * std,
                    "{:?} i={index} bin {bin}: ratio {ratio}",
                    grid.dims()
                );
                pooled += ratio;
            }
            let pooled = pooled / q.len() as f64;
            let pooled_std = 2f64.sqrt() / (m * q.len() as f64).sqrt();
            assert!((pooled - 1.0).abs() < 5.0 * pooled_std, "pooled ratio {pooled}");
            // the per-mode variances differ a lot, so this is not a flat-spectrum test
            let (lo, hi) = q.iter().fold((f32::MAX, 0f32), |(a, b), &v| (a.min(v), b.max(v)));
            assert!(hi / lo > 3.0, "Q̂ range {lo}..{hi}");
        }
    }
}

#[test]
fn q_sample_is_deterministic_across_thread_counts() {
    let p = kf();
    let x0 =
        synthetic_trajectory(p.grid(), 2, 3, 2.0, 0.5, 1).unwrap().insert_axis(ndarray::Axis(0));
    let x0 = ndarray::concatenate(ndarray::Axis(0), &[x0.view(), x0.view(), x0.view()]).unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| p.q_sample_with_noise(&x0.view(), &[3, 500, 999], 42).unwrap())
    };
    let (a, ea) = run(1);
    let (b, eb) = run(2);
    assert_eq!(a, b);
    assert_eq!(ea, eb);
    let (c, _) = p.q_sample_with_noise(&x0.view(), &[3, 500, 999], 43).unwrap();
    assert_ne!(a, c);
}

#[test]
fn real_fourier_basis_is_orthonormal() {
    for n in [1, 2, 7, 40, 128] {
        let (r, k) = real_fourier_basis(n);
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..n).map(|m| r[i * n + m] as f64 * r[j * n + m] as f64).sum();
                let expect = if i == j { 1.0 } else { 0.0 };
                assert!((dot - expect).abs() < 1e-5, "n={n} rows {i},{j}: {dot}");
            }
        }
        assert_eq!(k[0], 0);
        assert_eq!(*k.last().unwrap(), n / 2);
    }
}

fn max_abs_diff(a: &ArrayD<f32>, b: &ArrayD<f32>) -> (f32, f32) {
    let diff = a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    let scale = a.iter().map(|v| v.abs()).fold(0.0, f32::max);
    (diff, scale)
}

#[test]
fn host_and_device_paths_agree() {
    let device = Device::flex();
    for (grid, c, f) in
        [(Grid::line(128), 2, 4), (Grid::plane(40, 40), 1, 3), (Grid::plane(9, 15), 2, 2)]
    {
        let p = ForwardProcess::builder().grid(grid.clone()).alpha(0.2).build().unwrap();
        let dp = DeviceProcess::new(&p, &device).unwrap();
        let t = [0usize, 17, 999];
        let one = synthetic_trajectory(&grid, c, f, grid.ndim() as f64, 0.5, 3).unwrap();
        let x0 = ndarray::stack(ndarray::Axis(0), &[one.view(), one.view(), one.view()]).unwrap();
        let eps = white_noise(x0.shape(), 11);
        let xd = batch_to_tensor(&x0.view(), &grid, &device).unwrap();
        let ed = batch_to_tensor(&eps.view(), &grid, &device).unwrap();
        let check = |name: &str, host: ArrayD<f32>, dev: Tensor<5>| {
            let dev = tensor_to_batch(dev, &grid).unwrap();
            let (d, s) = max_abs_diff(&host, &dev);
            assert!(
                d <= 1e-5 * s.max(1.0),
                "{name} on {:?}: max diff {d} (scale {s})",
                grid.dims()
            );
        };
        check(
            "q_sample",
            p.q_sample_given_noise(&x0.view(), &t, &eps.view()).unwrap(),
            dp.q_sample_given_noise(xd.clone(), &t, ed.clone()).unwrap(),
        );
        check(
            "coarse_grain",
            p.coarse_grain(&x0.view(), &t).unwrap(),
            dp.coarse_grain(xd.clone(), &t).unwrap(),
        );
        check(
            "precision",
            p.apply_table(Table::PrecisionSqrt, &x0.view(), &t).unwrap(),
            dp.operator(Table::PrecisionSqrt).apply(xd.clone(), &t).unwrap(),
        );
        check(
            "etd1",
            p.etd1_mean(&x0.view(), &eps.view()).unwrap(),
            dp.etd1_mean(xd.clone(), ed.clone()).unwrap(),
        );
        let (u, e) = dp.q_sample_seeded(xd.clone(), &t, 8).unwrap();
        let (hu, he) = p.q_sample_with_noise(&x0.view(), &t, 8).unwrap();
        check("seeded noise", he, e);
        check("seeded q_sample", hu, u);
        // device-drawn noise has unit variance and the sample the right shape
        let (u, e) = dp.q_sample(xd.clone(), &t).unwrap();
        assert_eq!(u.dims(), xd.dims());
        let e = tensor_to_batch(e, &grid).unwrap();
        let var = e.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / e.len() as f64;
        assert!((var - 1.0).abs() < 0.1, "device noise variance {var}");
        // σ² per example
        let s = dp.sigma2(&t).unwrap().try_into_vec_as::<f32>().unwrap();
        for (si, &ti) in s.iter().zip(&t) {
            assert!(((*si as f64) - p.sigma2(ti)).abs() < 1e-6 * p.sigma2(ti));
        }
    }
}

#[test]
fn device_rejects_bad_shapes_and_indices() {
    let device = Device::flex();
    let p = ForwardProcess::builder().grid(Grid::plane(8, 6)).alpha(0.2).steps(10).build().unwrap();
    let dp = DeviceProcess::new(&p, &device).unwrap();
    let x = Tensor::<5>::zeros([2, 1, 3, 6, 8], &device);
    let e = dp.coarse_grain(x, &[0, 1]).unwrap_err().to_string();
    assert!(e.contains("[B, C, F, 8, 6]"), "{e}");
    let x = Tensor::<5>::zeros([2, 1, 3, 8, 6], &device);
    assert!(dp.coarse_grain(x.clone(), &[0]).is_err());
    assert!(dp.coarse_grain(x.clone(), &[0, 10]).unwrap_err().to_string().contains("10"));
    assert!(
        dp.q_sample_given_noise(x.clone(), &[0, 1], Tensor::zeros([2, 1, 2, 8, 6], &device))
            .is_err()
    );
    assert!(dp.etd1_mean(x.clone(), Tensor::zeros([1, 1, 3, 8, 6], &device)).is_err());
    assert!(dp.sigma2(&[10]).is_err());
    assert!(dp.coarse_grain(Tensor::<5>::zeros([0, 1, 3, 8, 6], &device), &[]).is_err());
    // a multiplier that is not even in k_y cannot be used in the real basis
    let mut odd = p.damping(3).to_vec();
    odd[4] += 0.5; // bin (ky = 1, kx = 0), its mirror (ky = 7) unchanged
    let basis = dp.basis();
    assert!(pdd::diffusion::SpectralOperator::single(basis, &odd).is_err());
    assert!(pdd::diffusion::SpectralOperator::single(basis, &odd[1..]).is_err());
}

#[test]
fn spectral_operator_matches_host_multiplier_and_has_gradients() {
    let device = Device::flex().autodiff();
    let grid = Grid::plane(10, 12);
    let p = ForwardProcess::builder().grid(grid.clone()).alpha(0.3).build().unwrap();
    let dp = DeviceProcess::new(&p, &device).unwrap();
    let x0 = white_noise(&[2, 1, 2, 10, 12], 4);
    let x = batch_to_tensor(&x0.view(), &grid, &device).unwrap().require_grad();
    let y = dp.coarse_grain(x.clone(), &[5, 300]).unwrap();
    // d/dx Σ (C x)² = 2 Cᵀ C x = 2 C² x (C is symmetric)
    let grads = (y.clone() * y).sum().backward();
    let g = x.grad(&grads).unwrap();
    let g = ndarray::ArrayD::from_shape_vec(
        IxDyn(&[2, 1, 2, 10, 12]),
        g.try_into_vec_as::<f32>().unwrap(),
    )
    .unwrap();
    let cc =
        p.coarse_grain(&p.coarse_grain(&x0.view(), &[5, 300]).unwrap().view(), &[5, 300]).unwrap();
    let (d, s) = max_abs_diff(&(cc * 2.0), &g);
    assert!(d < 1e-5 * s.max(1.0), "gradient mismatch {d}");
}

#[test]
fn noise_free_etd1_step_undoes_one_forward_damping_step() {
    for grid in [Grid::line(128), Grid::plane(40, 40)] {
        let p = ForwardProcess::builder().grid(grid.clone()).alpha(0.2).beta2(0.0).build().unwrap();
        let one = synthetic_trajectory(&grid, 1, 2, grid.ndim() as f64, 0.5, 9).unwrap();
        let x0 = one.insert_axis(ndarray::Axis(0));
        for i in [1usize, 200, 999] {
            let ui = p.coarse_grain_at(&x0.view(), i).unwrap();
            let expect = p.coarse_grain_at(&x0.view(), i - 1).unwrap();
            // with β² = 0 the score term vanishes whatever the score
            let junk = white_noise(x0.shape(), 1);
            let back = p.etd1_mean(&ui.view(), &junk.view()).unwrap();
            let (d, s) = max_abs_diff(&expect, &back);
            assert!(d < 2e-6 * s.max(1.0), "{:?} i={i}: {d}", grid.dims());
        }
    }
}

#[test]
fn etd1_step_solves_the_linear_ode_with_frozen_score() {
    // One mode x = a cos(k·x), score = c cos(k'·x): per mode dy/dτ = −ℓ y + β² s, integrated
    // here with RK4 in 2000 substeps over Δλ and compared with the ETD1 coefficients.
    let grid = Grid::line(64);
    let p = ForwardProcess::builder()
        .grid(grid.clone())
        .alpha(0.5)
        .beta2(2.0)
        .steps(100)
        .build()
        .unwrap();
    let (k, kp) = (20usize, 3usize);
    let x = pure_mode(&grid, &[k as i64]);
    let s = pure_mode(&grid, &[kp as i64]) * 4.0f32;
    let got = p.etd1_mean(&x.view(), &s.view()).unwrap();
    let integrate = |ell: f64, y0: f64, forcing: f64| {
        let (n, h) = (2000, p.dt() / 2000.0);
        let f = |y: f64| -ell * y + forcing;
        let mut y = y0;
        for _ in 0..n {
            let k1 = f(y);
            let k2 = f(y + 0.5 * h * k1);
            let k3 = f(y + 0.5 * h * k2);
            let k4 = f(y + h * k3);
            y += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        }
        y
    };
    let ell = p.eigenvalues();
    let amp_x = integrate(ell[k], 1.0, 0.0);
    let amp_s = integrate(ell[kp], 0.0, 2.0 * 4.0);
    for (n, &v) in got.iter().enumerate() {
        let phase = |kk: usize| (TAU * (kk * n) as f64 / 64.0 + 0.3).cos();
        let expect = amp_x * phase(k) + amp_s * phase(kp);
        assert!((v as f64 - expect).abs() < 1e-5, "point {n}: {v} vs {expect}");
    }
}

#[test]
fn bad_input_is_an_error() {
    let p = ForwardProcess::builder().grid(Grid::line(16)).alpha(0.1).build().unwrap();
    let x = ArrayD::<f32>::zeros(IxDyn(&[2, 1, 3, 16]));
    // λ outside [0, 1]
    assert!(p.index_of(1.5).unwrap_err().to_string().contains("outside"));
    assert!(p.index_of(-0.1).is_err());
    // grid mismatch
    let wrong = ArrayD::<f32>::zeros(IxDyn(&[2, 1, 3, 15]));
    let e = p.q_sample(&wrong.view(), &[0, 1], 0).unwrap_err().to_string();
    assert!(e.contains("[B, C, F, 16]"), "{e}");
    let e = p.coarse_grain(&ArrayD::<f32>::zeros(IxDyn(&[2, 16])).view(), &[0, 1]).unwrap_err();
    assert!(matches!(e, pdd::Error::Shape { .. }));
    // NaN
    let mut bad = x.clone();
    bad[[1, 0, 2, 5]] = f32::NAN;
    let e = p.q_sample(&bad.view(), &[0, 1], 0).unwrap_err().to_string();
    assert!(e.contains("non-finite"), "{e}");
    assert!(p.etd1_mean(&x.view(), &bad.view()).is_err());
    // index count and range
    assert!(p.q_sample(&x.view(), &[0], 0).is_err());
    let e = p.q_sample(&x.view(), &[0, 1000], 0).unwrap_err().to_string();
    assert!(e.contains("1000"), "{e}");
    // noise of another shape
    let noise = ArrayD::<f32>::zeros(IxDyn(&[2, 1, 2, 16]));
    assert!(p.q_sample_given_noise(&x.view(), &[0, 1], &noise.view()).is_err());
    // negative parameters
    assert!(ForwardProcess::builder().grid(Grid::line(8)).alpha(-1.0).build().is_err());
    assert!(ForwardProcess::builder().grid(Grid::line(8)).alpha(0.1).beta2(-2.0).build().is_err());
    // empty batches are fine
    let empty = ArrayD::<f32>::zeros(IxDyn(&[0, 1, 3, 16]));
    assert_eq!(p.q_sample(&empty.view(), &[], 0).unwrap().len(), 0);
}

#[test]
fn q_sample_handles_non_contiguous_views() {
    let p = ForwardProcess::builder().grid(Grid::line(16)).alpha(0.1).build().unwrap();
    let x = white_noise(&[3, 2, 4, 16], 2);
    let permuted = x.view().permuted_axes(IxDyn(&[1, 0, 2, 3])); // [2, 3, 4, 16], strided
    let a = p.coarse_grain(&permuted, &[5, 6]).unwrap();
    let b = p.coarse_grain(&permuted.as_standard_layout().view(), &[5, 6]).unwrap();
    assert_eq!(a, b);
}
