//! What the RG forward diffusion does, on synthetic Lorenz-96-sized and Kolmogorov-sized data:
//! σ²_λ tables, q-samples, PSDs, the paper's metrics as functions of λ, and figures.
//!
//! Run: `cargo run --release --example forward_diffusion [OUT_DIR]` (default
//! `forward_diffusion_figures/`; existing figures there are replaced).

use ndarray::{Axis, Ix2, s};
use pdd::cli::diffusion::preset_grid;
use pdd::diffusion::{DiffusionConfig, synthetic_trajectory};
use pdd::metrics::{
    MeanStd, relative_l2_at_step, relative_spectral_error, spatial_psd, sweep_lambda,
};
use pdd::plot::{
    HeatmapOptions, HeatmapPanel, LadderOptions, Series, heatmap_grid, hovmoller, ladder_figure,
    metric_vs_lambda_plot, psd_plot,
};
use pdd::presets::Preset;
use pdd::progress::NoProgress;
use std::path::{Path, PathBuf};

/// Saves `figure` as `DIR/NAME.svg` and `DIR/NAME.png`, replacing earlier runs.
fn save(figure: &pdd::plot::Figure, dir: &Path, name: &str) -> pdd::Result<()> {
    figure.save_overwrite(dir.join(format!("{name}.svg")))?;
    figure.save_overwrite(dir.join(format!("{name}.png")))
}

fn main() -> pdd::Result<()> {
    let out = PathBuf::from(
        std::env::args().nth(1).unwrap_or_else(|| "forward_diffusion_figures".into()),
    );
    std::fs::create_dir_all(&out).map_err(|e| pdd::Error::io(&out, e))?;
    let skip = 5; // conditioning window, excluded from the metrics

    for name in ["lorenz96-paper", "kolmogorov-paper"] {
        let preset = Preset::named(name)?;
        let process = DiffusionConfig::from_preset(&preset)?.process(&preset_grid(&preset)?)?;
        let grid = process.grid().clone();
        println!("\n== {name}: grid {:?}, α = {}", grid.dims(), process.alpha());
        for lambda in [0.0, 0.001, 0.2, 1.0] {
            let i = process.index_of(lambda)?;
            println!(
                "  λ = {lambda:<5}  index {i:>3}  σ²_λ = {:.4e}  Â(k=1) = {:.4}",
                process.sigma2(i),
                process.damping(i)[1]
            );
        }

        // A batch of 8 synthetic trajectories [8, C, F, *grid] with a 1/|k| shell spectrum.
        let (channels, frames) = if grid.ndim() == 1 { (2, 32) } else { (1, 12) };
        let samples: Vec<_> = (0..8)
            .map(|b| synthetic_trajectory(&grid, channels, frames, grid.ndim() as f64, 0.9, b))
            .collect::<pdd::Result<_>>()?;
        let views: Vec<_> = samples.iter().map(|a| a.view()).collect();
        let u0 = ndarray::stack(Axis(0), &views).expect("same shapes");

        // q-sample every example at λ = 0.2 and compare with the noise-free coarse-graining.
        let i02 = process.index_of(0.2)?;
        let u = process.q_sample(&u0.view(), &[i02; 8], 1)?;
        let coarse = process.coarse_grain_at(&u0.view(), i02)?;
        let l2 = relative_l2_at_step(&coarse.view(), &u.view(), &grid, skip, 6)?;
        println!("  λ = 0.2: relative L² (6th step) of u_λ vs C_λ u₀: {l2}");

        // Spectral error of the coarse-grained set against the fine one, as a function of λ.
        let lambdas = [0.0, 0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0];
        let coarse_sweep = sweep_lambda(&process, &lambdas, &NoProgress, |_, i| {
            let c = process.coarse_grain_at(&u0.view(), i)?;
            Ok(MeanStd::exact(relative_spectral_error(&u0.view(), &c.view(), &grid, skip)?))
        })?;
        let noisy_sweep = sweep_lambda(&process, &lambdas, &NoProgress, |_, i| {
            let runs: Vec<f64> = (0..3)
                .map(|seed| {
                    let n = process.q_sample(&u0.view(), &[i; 8], seed)?;
                    relative_spectral_error(&u0.view(), &n.view(), &grid, skip)
                })
                .collect::<pdd::Result<_>>()?;
            Ok(MeanStd::of(&runs))
        })?;
        for (l, (a, b)) in lambdas.iter().zip(coarse_sweep.values.iter().zip(&noisy_sweep.values)) {
            println!("  λ = {l:<4}: spectral error C_λu₀ {:.3}, u_λ {b:.3}", a.mean);
        }
        let fig = metric_vs_lambda_plot(
            &[("C_λ u₀ (noise-free)", &coarse_sweep), ("u_λ (3 noise seeds)", &noisy_sweep)],
            "relative spectral error",
        )?;
        save(&fig, &out, &format!("{name}-spectral-error-vs-lambda"))?;

        // PSD of the fine data and its coarse-grainings.
        let mut series = vec![Series::psd(&spatial_psd(&u0.view(), &grid, skip)?, 0, "u₀")];
        for lambda in [0.1, 0.5, 1.0] {
            let c = process.coarse_grain_at(&u0.view(), process.index_of(lambda)?)?;
            series.push(Series::psd(
                &spatial_psd(&c.view(), &grid, skip)?,
                0,
                format!("C_λ u₀, λ = {lambda}"),
            ));
            let n = process.q_sample(&u0.view(), &[process.index_of(lambda)?; 8], 2)?;
            series.push(Series::psd(
                &spatial_psd(&n.view(), &grid, skip)?,
                0,
                format!("u_λ, λ = {lambda}"),
            ));
        }
        let fig = psd_plot(&series, &format!("{name}: time-averaged spatial PSD"))?;
        save(&fig, &out, &format!("{name}-psd"))?;

        // Fields: Hovmöller (1-D) or a grid of frames (2-D), fine vs λ = 0.2.
        if grid.ndim() == 1 {
            let f = u0.slice(s![0, 0, .., ..]).into_dimensionality::<Ix2>().expect("1-D");
            let fig = hovmoller(f, 0.05, "synthetic channel 0, λ = 0")?;
            save(&fig, &out, &format!("{name}-hovmoller"))?;
        } else {
            let panels: Vec<HeatmapPanel> =
                [(&u0, "λ = 0"), (&coarse, "C_λ u₀, λ = 0.2"), (&u, "u_λ, λ = 0.2")]
                    .iter()
                    .flat_map(|(a, label)| {
                        [0usize, 6].map(|f| {
                            let field = a
                                .slice(s![0, 0, f, .., ..])
                                .into_dimensionality::<Ix2>()
                                .expect("2-D")
                                .to_owned();
                            HeatmapPanel::new(format!("{label}, frame {f}"), field.view())
                        })
                    })
                    .collect();
            let opts = HeatmapOptions {
                columns: 2,
                title: Some(format!("{name}: fields")),
                ..Default::default()
            };
            let fig = heatmap_grid(&panels, &opts)?;
            save(&fig, &out, &format!("{name}-fields"))?;
        }

        let ladder =
            ladder_figure(&process, &u0.index_axis(Axis(0), 0), 0, &LadderOptions::default())?;
        save(&ladder, &out, &format!("{name}-ladder"))?;
    }
    println!("\nfigures in {}", out.display());
    Ok(())
}
