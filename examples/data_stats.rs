//! Measures a preset's channel statistics on its first N trajectories and compares them with the
//! reference's normalisation constants (docs/reference.md §7).
//!
//! ```text
//! cargo run --release --example data_stats -- PRESET [N]
//! ```
//!
//! For Kolmogorov presets every frame is downsampled both spectrally and with the reference's
//! bicubic interpolation (one solver run), and the shell-summed enstrophy spectrum of the stored
//! fields is printed (to compare a quick preset's resolution with the paper's).

use pdd::io::Stats;
use pdd::presets::Preset;
use pdd::progress::NoProgress;
use pdd::spectral::{Grid, SpectralPlan};
use pdd::systems::generate::simulate_batch;
use pdd::systems::{DataConfig, DownsampleMethod, Downsampler, Kolmogorov, SystemKind};
use rayon::prelude::*;
use std::time::Instant;

/// Per-channel mean and std (ddof 0) of `[C, values]` data given as one Vec per channel.
fn moments(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let m = values.iter().sum::<f64>() / n;
    (m, (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt())
}

fn compare(name: &str, got: (f64, f64), reference: (f64, f64)) {
    println!(
        "{name:>22}: mean {:+.4} (reference {:+.4}, {:+.1} %)   std {:.4} (reference {:.4}, {:+.1} %)",
        got.0,
        reference.0,
        100.0 * (got.0 / reference.0 - 1.0),
        got.1,
        reference.1,
        100.0 * (got.1 / reference.1 - 1.0)
    );
}

/// Shell-summed spectrum `Σ_{|k| ∈ [s−½, s+½)} |ω̂_k|²/N⁴` (full spectrum) of fields on `grid`.
fn shell_spectrum(grid: &Grid, fields: &[Vec<f64>]) -> Vec<f64> {
    let plan = SpectralPlan::<f64>::new(grid);
    let norms = grid.half_wavenumber_norms();
    let w = grid.half_weights();
    let shells = grid.dims()[0] / 2 + 1;
    let mut spec = vec![0.0; shells];
    let mut s = plan.make_scratch();
    let mut buf = plan.spectrum_buffer();
    let n2 = (grid.len() as f64).powi(2);
    for f in fields {
        plan.forward(f, &mut buf, &mut s);
        for ((c, k), w) in buf.iter().zip(&norms).zip(&w) {
            let shell = k.round() as usize;
            if shell < shells {
                spec[shell] += w * c.norm_sqr() / n2 / fields.len() as f64;
            }
        }
    }
    spec
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let preset = Preset::load(args.get(1).map_or("lorenz96-quick", String::as_str)).unwrap();
    let cfg = DataConfig::from_preset(&preset).unwrap();
    let n: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(cfg.splits.train[1].min(cfg.trajectories));
    println!("preset {} — {n} trajectories, {} threads", preset.name, rayon::current_num_threads());
    let t0 = Instant::now();
    match cfg.system {
        SystemKind::Lorenz96 => {
            let data = simulate_batch(&cfg, 0..n, &NoProgress).unwrap();
            println!("generated in {:.1} s", t0.elapsed().as_secs_f64());
            let r = Stats::reference_lorenz96();
            for (c, name) in ["X", "Y"].iter().enumerate() {
                let v: Vec<f64> =
                    data.index_axis(ndarray::Axis(1), c).iter().map(|&x| x as f64).collect();
                compare(name, moments(&v), (r.mean[c], r.std[c]));
            }
        }
        SystemKind::Kolmogorov => {
            let kcfg = cfg.kolmogorov_config();
            let sys = Kolmogorov::new(kcfg.clone()).unwrap();
            let out = Grid::plane(kcfg.output_grid, kcfg.output_grid);
            let methods = [DownsampleMethod::Spectral, DownsampleMethod::Bicubic];
            let downs: Vec<Downsampler> =
                methods.iter().map(|&m| Downsampler::new(sys.grid(), &out, m).unwrap()).collect();
            let burn = (kcfg.burn_in / kcfg.dt).round() as usize;
            let every = (kcfg.frame_interval / kcfg.dt).round() as usize;
            // frames[method] = every stored field of every trajectory.
            let per_traj: Vec<[Vec<Vec<f64>>; 2]> = (0..n)
                .into_par_iter()
                .map(|i| {
                    let mut w = sys.initial_spectrum(&mut pdd::rng::stream(cfg.seed, i as u64));
                    let mut work = sys.make_work();
                    let mut frames: [Vec<Vec<f64>>; 2] = [Vec::new(), Vec::new()];
                    for m in 0..kcfg.frames {
                        let steps = if m == 0 { burn } else { every };
                        for _ in 0..steps {
                            assert!(sys.step(&mut w, &mut work), "blow-up in trajectory {i}");
                        }
                        for (d, f) in downs.iter().zip(frames.iter_mut()) {
                            let mut o = vec![0.0; out.len()];
                            d.apply_spectrum(&w, &mut o);
                            f.push(o);
                        }
                    }
                    eprintln!("trajectory {i} done at {:.0} s", t0.elapsed().as_secs_f64());
                    frames
                })
                .collect();
            println!("integrated in {:.1} s", t0.elapsed().as_secs_f64());
            let r = Stats::reference_kolmogorov();
            for (k, m) in methods.iter().enumerate() {
                let fields: Vec<Vec<f64>> = per_traj.iter().flat_map(|t| t[k].clone()).collect();
                let v: Vec<f64> = fields.iter().flatten().map(|&x| x as f32 as f64).collect();
                compare(&format!("vorticity ({m:?})"), moments(&v), (r.mean[0], r.std[0]));
                // Stationarity: std over the first and the second half of the frames.
                let half = kcfg.frames / 2;
                let (first, second): (Vec<f64>, Vec<f64>) = {
                    let pick = |lo: usize, hi: usize| -> Vec<f64> {
                        per_traj
                            .iter()
                            .flat_map(|t| t[k][lo..hi].iter().flatten().copied())
                            .collect()
                    };
                    (pick(0, half), pick(half, kcfg.frames))
                };
                println!(
                    "{:>22}  std first half of frames {:.4}, second half {:.4}",
                    "",
                    moments(&first).1,
                    moments(&second).1
                );
                if *m == DownsampleMethod::Spectral {
                    let s = shell_spectrum(&out, &fields);
                    let line: Vec<String> =
                        s.iter().enumerate().map(|(k, v)| format!("{k}:{v:.3e}")).collect();
                    println!(
                        "enstrophy spectrum Σ|ω̂|² per |k| shell (stored grid): {}",
                        line.join(" ")
                    );
                }
            }
        }
    }
}
