//! Benchmarks of the physics generators (`cargo bench --bench systems`).
//!
//! Prints one line per case: `name <TAB> seconds per iteration <TAB> what`. Each case runs for
//! about `PDD_BENCH_SECONDS` (default 0.4) per round, 5 rounds; the minimum round is reported
//! (robust against other load on the machine). `benches/peers/compare.py` runs the NumPy
//! versions of the same schemes and prints the ratios.

use pdd::progress::NoProgress;
use pdd::spectral::{Grid, SpectralPlan};
use pdd::systems::generate::simulate_range;
use pdd::systems::{Kolmogorov, KolmogorovConfig, Lorenz96, Lorenz96Config};
use std::hint::black_box;
use std::time::Instant;

fn time_it(mut f: impl FnMut()) -> f64 {
    let budget: f64 =
        std::env::var("PDD_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(0.4);
    f();
    let t = Instant::now();
    f();
    let once = t.elapsed().as_secs_f64().max(1e-9);
    let iters = ((budget / once) as usize).max(1);
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() / iters as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn report(name: &str, secs: f64, what: &str) {
    println!("{name}\t{secs:.6e}\t{what}");
}

fn want(name: &str) -> bool {
    // `cargo bench --bench systems -- FILTER` runs only the cases whose name contains FILTER.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    args.is_empty() || args.iter().any(|a| name.contains(a.as_str()))
}

fn lorenz96_cases() {
    let batch = 1000;
    let sys = Lorenz96::new(Lorenz96Config::default()).unwrap();
    let mut states: Vec<(Vec<f64>, Vec<f64>)> =
        (0..batch).map(|i| sys.initial_state(&mut pdd::rng::stream(0, i))).collect();
    let mut w = sys.make_work();
    if want("l96_step") {
        let t = time_it(|| {
            for (s, o) in states.iter_mut() {
                black_box(sys.step(s, o, &mut w));
            }
        });
        report(
            "l96_step_b1000",
            t,
            "one forward-Euler step of 1000 trajectories (K=32, J=4), 1 thread",
        );
    }
    if want("l96_generate") {
        // 256 trajectories × (4000 spin-up + 16 frames × 100) steps, all threads.
        let cfg = Lorenz96Config { spinup_steps: 4000, frames: 16, ..Default::default() };
        let sys = Lorenz96::new(cfg).unwrap();
        let run = || {
            simulate_range(&sys, 1, 0..256, &NoProgress, |_, tr| {
                black_box(tr);
                Ok(())
            })
            .unwrap()
        };
        let t = time_it(run);
        report(
            "l96_generate",
            t,
            &format!(
                "generate 256 trajectories × 5600 Euler steps, {} threads",
                rayon::current_num_threads()
            ),
        );
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let t = one.install(|| time_it(run));
        report("l96_generate_1t", t, "generate 256 trajectories × 5600 Euler steps, 1 thread");
    }
}

fn kolmogorov_cases(n: usize) {
    let cfg = KolmogorovConfig { solver_grid: n, output_grid: 32.min(n), ..Default::default() };
    let sys = Kolmogorov::new(cfg).unwrap();
    let mut w = sys.initial_spectrum(&mut pdd::rng::stream(0, 0));
    let mut work = sys.make_work();
    // Let the state become turbulent-ish so the numbers are realistic (not needed for timing).
    for _ in 0..10 {
        sys.step(&mut w, &mut work);
    }
    if want(&format!("kf_step_{n}")) {
        let t = time_it(|| {
            black_box(sys.step(&mut w, &mut work));
        });
        report(&format!("kf_step_{n}"), t, &format!("one midpoint-RK2 step at {n}², 1 thread"));
    }
    if want(&format!("kf_fft_{n}")) {
        // The transforms one step contains: 2 × (4 inverse + 1 forward).
        let plan = SpectralPlan::<f64>::new(&Grid::plane(n, n));
        let mut s = plan.make_scratch();
        let mut spec = plan.spectrum_buffer();
        let mut field: Vec<f64> = (0..n * n).map(|i| (i as f64 * 0.37).sin()).collect();
        let t = time_it(|| {
            for _ in 0..2 {
                for _ in 0..4 {
                    plan.inverse(&mut spec, &mut field, &mut s);
                }
                plan.forward(&field, &mut spec, &mut s);
            }
            black_box(&spec);
        });
        report(
            &format!("kf_fft_{n}"),
            t,
            &format!("the 10 FFTs of one RK2 step at {n}² (8 inverse + 2 forward)"),
        );
        let t1 = time_it(|| {
            plan.forward(&field, &mut spec, &mut s);
            black_box(&spec);
        });
        report(&format!("fft_forward_{n}"), t1, &format!("one forward real 2-D FFT at {n}²"));
        let t2 = time_it(|| {
            plan.inverse(&mut spec, &mut field, &mut s);
            black_box(&field);
        });
        report(&format!("fft_inverse_{n}"), t2, &format!("one inverse real 2-D FFT at {n}²"));
    }
}

fn main() {
    lorenz96_cases();
    kolmogorov_cases(256);
    kolmogorov_cases(64);
}
