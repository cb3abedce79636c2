//! Metrics: relative L², spatio-temporal spectral error, spatial PSD, λ sweeps.

use ndarray::{ArrayD, IxDyn, s};
use pdd::diffusion::{ForwardProcess, synthetic_mode_variance, synthetic_trajectory, white_noise};
use pdd::metrics::{
    MeanStd, SpatiotemporalPower, relative_l2_at_step, relative_l2_per_frame,
    relative_spectral_error, spatial_psd, spectral_floor, sweep_lambda,
};
use pdd::progress::FnProgress;
use pdd::spectral::Grid;
use std::f64::consts::TAU;
use std::sync::atomic::{AtomicU64, Ordering};

#[test]
fn relative_l2_matches_a_hand_computation() {
    let g = Grid::line(4);
    // two samples, one channel, three frames
    let truth = ArrayD::from_shape_vec(
        IxDyn(&[2, 1, 3, 4]),
        vec![
            1., 1., 1., 1., /* f1 */ 3., 0., 4., 0., /* f2 */ 1., 2., 2., 0., //
            9., 9., 9., 9., /* f1 */ 0., 2., 0., 0., /* f2 */ 1., 0., 0., 0.,
        ],
    )
    .unwrap();
    let mut pred = truth.clone();
    pred[[0, 0, 1, 0]] += 1.0; // ‖δ‖ = 1, ‖u‖ = 5  → 0.2
    pred[[1, 0, 1, 1]] -= 1.0; // ‖δ‖ = 1, ‖u‖ = 2  → 0.5
    pred[[0, 0, 0, 0]] += 100.0; // in the skipped frame: ignored
    let r = relative_l2_at_step(&truth.view(), &pred.view(), &g, 1, 1).unwrap();
    assert!((r.mean - 0.35).abs() < 1e-12 && (r.std - 0.15).abs() < 1e-12, "{r:?}");
    let all = relative_l2_per_frame(&truth.view(), &pred.view(), &g, 1).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1], MeanStd { mean: 0.0, std: 0.0 });
    // errors
    assert!(relative_l2_at_step(&truth.view(), &pred.view(), &g, 1, 0).is_err());
    assert!(relative_l2_at_step(&truth.view(), &pred.view(), &g, 1, 3).is_err());
    assert!(relative_l2_at_step(&truth.view(), &pred.view(), &g, 3, 1).is_err());
    let short = pred.slice(s![.., .., 0..2, ..]).to_owned().into_dyn();
    assert!(relative_l2_per_frame(&truth.view(), &short.view(), &g, 0).is_err());
    let mut zero = truth.clone();
    zero.slice_mut(s![1, 0, 2, ..]).fill(0.0);
    assert!(relative_l2_per_frame(&zero.view(), &pred.view(), &g, 1).is_err());
    let mut nan = pred.clone();
    nan[[1, 0, 2, 3]] = f32::NAN;
    assert!(relative_l2_per_frame(&truth.view(), &nan.view(), &g, 1).is_err());
    assert!(relative_l2_per_frame(&truth.view(), &pred.view(), &Grid::line(5), 1).is_err());
}

#[test]
fn spatiotemporal_power_matches_a_naive_dft() {
    let g = Grid::plane(3, 4);
    let (b, c, f) = (2, 2, 5);
    let x = white_noise(&[b, c, f, 3, 4], 17);
    let skip = 1;
    let p = SpatiotemporalPower::of(&x.view(), &g, skip).unwrap();
    let nt = f - skip;
    let h = g.half_len();
    assert_eq!(p.power.dim(), (c, nt, h));
    let wn = g.half_wavenumbers();
    for ch in 0..c {
        for w in 0..nt {
            for (bin, k) in wn.iter().enumerate() {
                let mut avg = 0.0;
                for bi in 0..b {
                    let (mut re, mut im) = (0.0f64, 0.0f64);
                    for t in 0..nt {
                        for y in 0..3 {
                            for xx in 0..4 {
                                let v = x[[bi, ch, t + skip, y, xx]] as f64;
                                let ph = -TAU
                                    * (w as f64 * t as f64 / nt as f64
                                        + k[0] as f64 * y as f64 / 3.0
                                        + k[1] as f64 * xx as f64 / 4.0);
                                re += v * ph.cos();
                                im += v * ph.sin();
                            }
                        }
                    }
                    avg += (re * re + im * im) / b as f64;
                }
                let expect = avg / ((nt * 12) as f64).powi(2);
                let got = p.power[[ch, w, bin]];
                assert!((got - expect).abs() < 1e-12, "c={ch} ω={w} bin={bin}: {got} vs {expect}");
            }
        }
    }
    // Parseval over space and time: Σ_full P = mean over samples of Σ u² / (N F')
    let energy: f64 =
        x.slice(s![.., .., skip.., .., ..]).iter().map(|v| (*v as f64).powi(2)).sum::<f64>()
            / (b * nt * 12) as f64;
    assert!((p.total() - energy).abs() < 1e-12 * energy);
}

#[test]
fn spectral_error_definition_properties() {
    let g = Grid::line(32);
    let u = white_noise(&[6, 2, 10, 32], 1);
    let v = white_noise(&[4, 2, 10, 32], 2); // different sample count is allowed
    let e = |a: &ArrayD<f32>, b: &ArrayD<f32>| {
        relative_spectral_error(&a.view(), &b.view(), &g, 2).unwrap()
    };
    assert_eq!(e(&u, &u), 0.0);
    let uv = e(&u, &v);
    assert!(uv > 0.0);
    // scale: E(u, a·u) = |a² − 1|, and a common rescaling changes nothing
    assert!((e(&u, &(&u * 2.0)) - 3.0).abs() < 1e-9);
    assert!((e(&(&u * 2.0), &u) - 0.75).abs() < 1e-9, "not symmetric: E(2u, u) = 3/4");
    assert!((e(&(&u * 3.0), &(&v * 3.0)) - uv).abs() < 1e-6 * uv); // f32 rounding of 3·u
    // sign flips and spatial shifts leave the power spectrum unchanged
    assert!(e(&u, &(&u * -1.0)) < 1e-12);
    let mut shifted = u.clone();
    for (mut dst, src) in
        shifted.lanes_mut(ndarray::Axis(3)).into_iter().zip(u.lanes(ndarray::Axis(3)))
    {
        for i in 0..32 {
            dst[(i + 5) % 32] = src[i];
        }
    }
    assert!(e(&u, &shifted) < 1e-6);
    // errors
    let other_channels = white_noise(&[4, 1, 10, 32], 3);
    assert!(relative_spectral_error(&u.view(), &other_channels.view(), &g, 2).is_err());
    assert!(relative_spectral_error(&u.view(), &v.view(), &g, 10).is_err());
    let zeros = ArrayD::<f32>::zeros(IxDyn(&[1, 2, 10, 32]));
    assert!(relative_spectral_error(&zeros.view(), &v.view(), &g, 2).is_err());
}

#[test]
fn psd_parseval_and_pure_modes() {
    // 1-D: cos(3x) has mean square 1/2, all in shell 3
    let g = Grid::line(16);
    let x = ArrayD::from_shape_fn(IxDyn(&[1, 1, 2, 16]), |i| {
        (3.0 * TAU * i[3] as f64 / 16.0).cos() as f32
    });
    let p = spatial_psd(&x.view(), &g, 0).unwrap();
    assert_eq!(p.wavenumbers, (0..=8).map(|k| k as f64).collect::<Vec<_>>());
    assert_eq!(p.modes, vec![1, 2, 2, 2, 2, 2, 2, 2, 1]);
    for (k, &v) in p.channel(0).iter().enumerate() {
        let expect = if k == 3 { 0.5 } else { 0.0 };
        assert!((v - expect).abs() < 1e-7, "k={k}: {v}"); // f32 input
    }
    // 2-D: the (3, 4) mode lands in shell 5
    let g2 = Grid::plane(12, 16);
    let y = ArrayD::from_shape_fn(IxDyn(&[1, 1, 1, 12, 16]), |i| {
        (TAU * (3.0 * i[3] as f64 / 12.0 + 4.0 * i[4] as f64 / 16.0)).sin() as f32
    });
    let p2 = spatial_psd(&y.view(), &g2, 0).unwrap();
    let five = p2.wavenumbers.iter().position(|&k| k == 5.0).unwrap();
    assert!((p2.channel(0)[five] - 0.5).abs() < 1e-7);
    assert!((p2.channel(0).sum() - p2.channel(0)[five]).abs() < 1e-12);
    assert_eq!(p2.modes.iter().sum::<usize>(), 12 * 16);
    // Parseval on random data with skipped frames
    let z = white_noise(&[3, 2, 6, 12, 16], 5) * 1.7;
    let pz = spatial_psd(&z.view(), &g2, 2).unwrap();
    for c in 0..2 {
        let ms = z.slice(s![.., c, 2.., .., ..]).iter().map(|v| (*v as f64).powi(2)).sum::<f64>()
            / (3 * 4 * 192) as f64;
        assert!((pz.channel(c).sum() - ms).abs() < 1e-10 * ms);
    }
    assert!(spatial_psd(&z.view(), &g2, 6).is_err());
    assert!(spatial_psd(&z.view(), &Grid::plane(16, 12), 0).is_err());
}

#[test]
fn psd_of_white_noise_is_flat() {
    for g in [Grid::line(64), Grid::plane(24, 24)] {
        let mut shape = vec![16, 1, 16];
        shape.extend_from_slice(g.dims());
        let x = white_noise(&shape, 8) * 2.0;
        let p = spatial_psd(&x.view(), &g, 0).unwrap();
        let per_mode = p.per_mode();
        let expect = 4.0 / g.len() as f64; // σ² / N per mode
        let fields = (16 * 16) as f64;
        for (s, &m) in p.modes.iter().enumerate() {
            // each mode's |û|²/N is σ²·Exp(1) (or σ²χ²₁ for real bins): relative std ≤ √(2/(fields·m))
            let tol = 5.0 * (2.0 / (fields * m as f64)).sqrt();
            let v = per_mode[[0, s]];
            assert!(
                (v / expect - 1.0).abs() < tol,
                "{:?} shell {s}: {v} vs {expect} (tol {tol})",
                g.dims()
            );
        }
    }
}

#[test]
fn psd_of_a_synthetic_field_matches_its_spectrum() {
    let g = Grid::line(128);
    let x = synthetic_trajectory(&g, 1, 200, 1.0, 0.0, 4).unwrap().insert_axis(ndarray::Axis(0));
    let p = spatial_psd(&x.view(), &g, 0).unwrap();
    let s = synthetic_mode_variance(&g, 1.0);
    let w = g.half_weights();
    for k in 1..=64 {
        let expect = w[k] * s[k] / 128.0;
        let tol = 5.0 * (2.0 / (200.0 * w[k])).sqrt();
        let v = p.channel(0)[k];
        assert!((v / expect - 1.0).abs() < tol, "k={k}: {v} vs {expect}");
    }
    assert!(p.channel(0)[0] < 1e-12, "zero mean");
}

#[test]
fn lambda_sweep_maps_indices_and_reports_progress() {
    let process = ForwardProcess::builder().grid(Grid::line(32)).alpha(0.1).build().unwrap();
    let u = synthetic_trajectory(process.grid(), 1, 8, 1.0, 0.5, 3)
        .unwrap()
        .insert_axis(ndarray::Axis(0));
    let advanced = AtomicU64::new(0);
    let progress = FnProgress::new(|_, done, _| advanced.store(done, Ordering::SeqCst));
    let sweep = sweep_lambda(&process, &[0.0, 0.2, 1.0], &progress, |_, i| {
        let c = process.coarse_grain_at(&u.view(), i)?;
        Ok(MeanStd::exact(relative_spectral_error(&u.view(), &c.view(), process.grid(), 0)?))
    })
    .unwrap();
    assert_eq!(sweep.indices, vec![0, 200, 999]);
    assert_eq!(advanced.load(Ordering::SeqCst), 3);
    assert!(sweep.values[0].mean < 1e-6, "λ = 0 is the identity up to f32 FFT round-off");
    assert!(sweep.values[1].mean > 0.0 && sweep.values[2].mean > sweep.values[1].mean, "{sweep:?}");
    assert!(
        sweep_lambda(&process, &[0.5, 1.2], &progress, |_, _| Ok(MeanStd::exact(0.0))).is_err()
    );
}

#[test]
fn spectral_floor_of_white_noise_is_the_gamma_mean_difference() {
    // Each bin of a white-noise path's power is σ²·Exp(1); the mean of n paths is Gamma(n, σ²/n),
    // and two independent ones differ by E|X − Y| = (2/√π) Γ(n + ½) / (n Γ(n)) in units of σ²
    // (Gini mean difference): 1 for n = 1, ≈ 2/√(πn) for large n.
    let gini = |n: usize| {
        let mut r = std::f64::consts::PI.sqrt() / 2.0; // Γ(3/2)/Γ(1)
        for k in 1..n {
            r *= (k as f64 + 0.5) / k as f64;
        }
        2.0 / std::f64::consts::PI.sqrt() * r / n as f64
    };
    assert!((gini(1) - 1.0).abs() < 1e-12);
    let g = Grid::line(64);
    let x = white_noise(&[64, 1, 33, 64], 5);
    for n in [1, 4, 16] {
        let f = spectral_floor(&x.view(), &g, 1, n).unwrap().unwrap();
        assert_eq!((f.paths, f.pairs), (n, 64 / (2 * n)));
        assert!((f.value - gini(n)).abs() < 0.04 * gini(n), "n = {n}: {} vs {}", f.value, gini(n));
    }
    // identical halves have no floor; too few paths shrink the sets; one path has none
    let twice = ndarray::concatenate(
        ndarray::Axis(0),
        &[x.slice(s![0..3, .., .., ..]).into_dyn(), x.slice(s![0..3, .., .., ..]).into_dyn()],
    )
    .unwrap();
    let f = spectral_floor(&twice.view(), &g, 1, 8).unwrap().unwrap();
    assert_eq!((f.paths, f.pairs, f.value), (3, 1, 0.0));
    assert!(spectral_floor(&x.slice(s![0..1, .., .., ..]).into_dyn(), &g, 1, 4).unwrap().is_none());
}
