//! Kolmogorov-flow solver against closed forms and invariants.

use pdd::Error;
use pdd::spectral::Complex;
use pdd::systems::{Kolmogorov, KolmogorovConfig, Simulator};
use rand::Rng;
use std::f64::consts::TAU;

fn solver(n: usize, kf: usize, mu: f64, nu: f64) -> Kolmogorov {
    Kolmogorov::new(KolmogorovConfig {
        solver_grid: n,
        output_grid: n,
        forcing_wavenumber: kf,
        mu,
        nu,
        ..Default::default()
    })
    .unwrap()
}

/// Evaluates `Σ a cos(kx x + ky y + φ)` on an `n × n` grid (row-major, y = axis 0).
fn field(n: usize, modes: &[(f64, f64, f64, f64)]) -> Vec<f64> {
    (0..n * n)
        .map(|i| {
            let (y, x) = (TAU * (i / n) as f64 / n as f64, TAU * (i % n) as f64 / n as f64);
            modes.iter().map(|(kx, ky, a, p)| a * (kx * x + ky * y + p).cos()).sum()
        })
        .collect()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

#[test]
fn laminar_state_is_steady() {
    let sys = solver(32, 4, 0.1, 1e-3);
    let lam = sys.laminar_field();
    // Amplitude k_f/(μ + ν k_f²) = 4/0.116.
    assert!((max_abs(&lam) - 4.0 / 0.116).abs() < 1e-9);
    let mut w = sys.to_spectrum(&lam);
    let mut work = sys.make_work();
    let mut dw = vec![Complex::new(0.0, 0.0); w.len()];
    sys.rhs(&w, &mut dw, &mut work);
    let scale = w.iter().fold(0.0f64, |m, c| m.max(c.norm()));
    let rhs = dw.iter().fold(0.0f64, |m, c| m.max(c.norm()));
    assert!(rhs < 1e-12 * scale, "|dω/dt| = {rhs:e} vs |ω| = {scale:e}");
    for _ in 0..2000 {
        assert!(sys.step(&mut w, &mut work));
    }
    let after = sys.to_field(&w);
    let err = max_abs(&after.iter().zip(&lam).map(|(a, b)| a - b).collect::<Vec<_>>());
    assert!(err < 1e-10 * max_abs(&lam), "drift {err:e} after t = 2");
}

#[test]
fn unforced_single_modes_decay_exponentially() {
    let (mu, nu) = (0.1, 0.01);
    let sys = solver(32, 0, mu, nu);
    for (kx, ky) in [(3.0, 2.0), (0.0, 5.0), (7.0, -4.0), (1.0, 0.0)] {
        let mode = [(kx, ky, 1.7, 0.3)];
        let mut w = sys.to_spectrum(&field(32, &mode));
        let mut work = sys.make_work();
        let steps = 1000; // t = 1
        for _ in 0..steps {
            assert!(sys.step(&mut w, &mut work));
        }
        let lambda = mu + nu * (kx * kx + ky * ky);
        let t = steps as f64 * 1e-3;
        let got = sys.to_field(&w);
        let err_to = |decay: f64| {
            let exact = field(32, &[(kx, ky, 1.7 * decay, 0.3)]);
            max_abs(&got.iter().zip(&exact).map(|(a, b)| a - b).collect::<Vec<_>>())
        };
        // Exactly the midpoint-RK2 amplification (1 − z + z²/2)^steps, z = λ dt …
        let z = lambda * 1e-3;
        let err = err_to((1.0 - z + 0.5 * z * z).powi(steps));
        assert!(err < 1e-12, "mode ({kx}, {ky}): error {err:e} against the RK2 amplification");
        // … which is exp(−λt) up to the scheme's local error z³/6 per step.
        let err = err_to((-lambda * t).exp());
        let bound = 2.0 * 1.7 * steps as f64 * z.powi(3) / 6.0;
        assert!(err < bound, "mode ({kx}, {ky}): error {err:e} against exp(−λt), bound {bound:e}");
    }
}

#[test]
fn dealiasing_mask_keeps_exactly_the_two_thirds_band() {
    for n in [32usize, 48, 256] {
        let sys = solver(n, 4, 0.1, 1e-3);
        let mask = sys.dealias_mask();
        let k = (n - 1) / 3;
        let h = n / 2 + 1;
        for (i, &m) in mask.iter().enumerate() {
            let ky = pdd::spectral::Grid::signed_index(i / h, n).unsigned_abs() as usize;
            let kx = i % h;
            assert_eq!(m == 1.0, kx <= k && ky <= k, "n = {n}, bin (ky={ky}, kx={kx})");
        }
        let kept = mask.iter().filter(|&&m| m == 1.0).count();
        assert_eq!(kept, (2 * k + 1) * (k + 1), "n = {n}");
    }
}

/// The de-aliased advection term on N = 32 equals the exact (alias-free on a 96² grid)
/// product of the same band-limited field, truncated to the kept band.
#[test]
fn dealiased_advection_is_alias_free() {
    let (n, big) = (32usize, 96usize);
    let k = (n - 1) / 3; // 10
    let mut rng = pdd::rng::stream(11, 0);
    let mut modes = Vec::new();
    for ky in -(k as i64)..=(k as i64) {
        for kx in 0..=(k as i64) {
            if (kx, ky) != (0, 0) {
                modes.push((
                    kx as f64,
                    ky as f64,
                    rng.random::<f64>() - 0.5,
                    rng.random::<f64>() * TAU,
                ));
            }
        }
    }
    // μ = ν = 0 and no forcing: the right-hand side is −mask · F{u·∇ω}.
    let small = solver(n, 0, 0.0, 0.0);
    let large = solver(big, 0, 0.0, 0.0);
    let advection = |sys: &Kolmogorov, size: usize| {
        let w = sys.to_spectrum(&field(size, &modes));
        let mut dw = vec![Complex::new(0.0, 0.0); w.len()];
        sys.rhs(&w, &mut dw, &mut sys.make_work());
        dw
    };
    let a = advection(&small, n);
    let b = advection(&large, big);
    let (hs, hb) = (n / 2 + 1, big / 2 + 1);
    let scale = b.iter().fold(0.0f64, |m, c| m.max(c.norm())) / (big * big) as f64;
    let mut worst = 0.0f64;
    for (i, ca) in a.iter().enumerate() {
        let ky = pdd::spectral::Grid::signed_index(i / hs, n);
        let kx = i % hs;
        let kept = kx <= k && ky.unsigned_abs() as usize <= k;
        if kept {
            let row = ky.rem_euclid(big as i64) as usize;
            let cb = b[row * hb + kx] / (big * big) as f64;
            worst = worst.max((ca / (n * n) as f64 - cb).norm());
        } else {
            assert_eq!(*ca, Complex::new(0.0, 0.0), "removed bin {i} is not zero");
        }
    }
    assert!(worst < 1e-12 * scale.max(1.0), "aliasing error {worst:e} (scale {scale:e})");
}

#[test]
fn energy_budget_closes() {
    let (mu, nu) = (0.1, 1e-3);
    let sys = solver(32, 4, mu, nu);
    let mut w = sys.initial_spectrum(&mut pdd::rng::stream(5, 0));
    let mut work = sys.make_work();
    for _ in 0..200 {
        sys.step(&mut w, &mut work);
    }
    // Instantaneous: ⟨ψ ∂tω⟩ = −2μE − 2νZ + ⟨ψ f⟩ exactly (the truncated advection conserves E).
    let mut dw = vec![Complex::new(0.0, 0.0); w.len()];
    let budget = |w: &[Complex<f64>]| {
        -2.0 * mu * sys.energy(w) - 2.0 * nu * sys.enstrophy(w) + sys.forcing_work(w)
    };
    sys.rhs(&w, &mut dw, &mut work);
    let rate = sys.energy_rate(&w, &dw);
    let b = budget(&w);
    let scale = 2.0 * mu * sys.energy(&w) + sys.forcing_work(&w).abs();
    assert!((rate - b).abs() < 1e-10 * scale, "dE/dt {rate} vs budget {b}");
    // Over 500 steps: E(t1) − E(t0) = ∫ budget dt (trapezoid; O(dt²) error).
    let e0 = sys.energy(&w);
    let mut integral = 0.0;
    let mut prev = b;
    for _ in 0..500 {
        sys.step(&mut w, &mut work);
        let now = budget(&w);
        integral += 0.5 * (prev + now) * 1e-3;
        prev = now;
    }
    let de = sys.energy(&w) - e0;
    assert!((de - integral).abs() < 1e-5 * scale * 0.5, "ΔE = {de:e}, ∫budget = {integral:e}");
    assert!(de.abs() > 1e-3 * scale * 0.5, "the test state should evolve: ΔE = {de:e}");
}

#[test]
fn blow_up_names_trajectory_and_time() {
    let sys = Kolmogorov::new(KolmogorovConfig {
        solver_grid: 32,
        output_grid: 16,
        dt: 0.5,
        burn_in: 500.0,
        frames: 1,
        ..Default::default()
    })
    .unwrap();
    let mut out = vec![0f32; sys.trajectory_len()];
    match sys.simulate(9, &mut pdd::rng::stream(0, 9), &mut out) {
        Err(Error::BlowUp { trajectory, time, .. }) => {
            assert_eq!(trajectory, 9);
            assert!(time > 0.0 && time < 500.0, "{time}");
        }
        other => panic!("expected a blow-up, got {other:?}"),
    }
}

#[test]
fn config_errors_name_the_field() {
    for (cfg, field) in [
        (KolmogorovConfig { output_grid: 300, ..Default::default() }, "output_grid"),
        (KolmogorovConfig { dt: -1e-3, ..Default::default() }, "dt"),
        (KolmogorovConfig { burn_in: 50.0004, ..Default::default() }, "burn_in"),
        (KolmogorovConfig { frame_interval: 0.0, ..Default::default() }, "frame_interval"),
        (KolmogorovConfig { forcing_wavenumber: 90, ..Default::default() }, "forcing_wavenumber"),
        (KolmogorovConfig { nu: f64::NAN, ..Default::default() }, "nu"),
    ] {
        let e = Kolmogorov::new(cfg).err().expect("invalid config").to_string();
        assert!(e.contains(&format!("data.kolmogorov.{field}")), "{e}");
    }
}

#[test]
fn frames_are_stored_at_the_configured_times() {
    // With output_grid = solver_grid and spectral downsampling the stored frames are the solver
    // state itself: the first frame after burn_in and the next after frame_interval.
    let cfg = KolmogorovConfig {
        solver_grid: 16,
        output_grid: 16,
        burn_in: 0.01,
        frame_interval: 0.005,
        frames: 2,
        ..Default::default()
    };
    let sys = Kolmogorov::new(cfg).unwrap();
    let mut out = vec![0f32; sys.trajectory_len()];
    sys.simulate(0, &mut pdd::rng::stream(3, 0), &mut out).unwrap();
    let mut w = sys.initial_spectrum(&mut pdd::rng::stream(3, 0));
    let mut work = sys.make_work();
    for (frame, steps) in [(0, 10), (1, 5)] {
        for _ in 0..steps {
            sys.step(&mut w, &mut work);
        }
        let f = sys.to_field(&w);
        let stored = &out[frame * 256..(frame + 1) * 256];
        let err = f.iter().zip(stored).map(|(a, b)| (a - *b as f64).abs()).fold(0.0, f64::max);
        assert!(err < 1e-5 * max_abs(&f), "frame {frame}: {err}");
    }
    assert!((sys.frame_dt() - 0.005).abs() < 1e-15);
}
