//! The paper's figures from evaluation results (Fig. 2–4, 7–9 analogues).

use crate::error::Result;
use crate::metrics::{LambdaSweep, spatial_psd};
use crate::plot::{
    Figure, HeatmapOptions, HeatmapPanel, Series, heatmap_grid, metric_vs_lambda_plot, psd_plot,
};
use crate::spectral::Grid;
use ndarray::{ArrayD, Axis, Ix2};

/// A heat-map panel of example `b`, channel `c` of `x` `[B, C, F, *grid]`: the Hovmöller diagram
/// (time × space) for 1-D grids, the field at `frame` for 2-D grids.
pub fn path_panel(
    x: &ArrayD<f32>,
    grid: &Grid,
    b: usize,
    c: usize,
    frame: usize,
    frame_dt: f64,
    title: &str,
) -> HeatmapPanel {
    let ex = x.index_axis(Axis(0), b);
    let ch = ex.index_axis(Axis(0), c);
    if grid.ndim() == 1 {
        let v = ch.into_dimensionality::<Ix2>().expect("[F, L]");
        let (f, l) = v.dim();
        HeatmapPanel::new(title, v)
            .with_ranges((0.0, l as f64), (0.0, f as f64 * frame_dt))
            .with_labels("grid point", "time")
    } else {
        let v = ch
            .index_axis(Axis(0), frame)
            .into_dimensionality::<Ix2>()
            .expect("[Ny, Nx]")
            .to_owned();
        let tau = std::f64::consts::TAU;
        HeatmapPanel::new(title, v.view()).with_ranges((0.0, tau), (0.0, tau)).with_labels("x", "y")
    }
}

/// Panels of several labelled path sets (same example, every channel), one row per channel,
/// shared colour range `[−2, 2]` (standardised units, as the reference's figures).
pub fn compare_paths(
    sets: &[(&str, &ArrayD<f32>)],
    grid: &Grid,
    frame: usize,
    frame_dt: f64,
    title: &str,
) -> Result<Figure> {
    let channels = sets[0].1.shape()[1];
    let mut panels = Vec::new();
    for c in 0..channels {
        for (name, x) in sets {
            let label =
                if channels > 1 { format!("{name} (channel {c})") } else { name.to_string() };
            panels.push(path_panel(x, grid, 0, c, frame, frame_dt, &label));
        }
    }
    let options = HeatmapOptions {
        title: Some(title.to_string()),
        columns: sets.len(),
        range: Some((-2.0, 2.0)),
        colorbar_label: "standardised value".into(),
        ..Default::default()
    };
    heatmap_grid(&panels, &options)
}

/// Time-averaged spatial PSDs (sample mean) of several labelled sets, channel `c`, frames from
/// `skip` on.
pub fn compare_psd(
    sets: &[(&str, &ArrayD<f32>)],
    grid: &Grid,
    c: usize,
    skip: usize,
    title: &str,
) -> Result<Figure> {
    let series = sets
        .iter()
        .map(|(name, x)| Ok(Series::psd(&spatial_psd(&x.view(), grid, skip)?, c, *name)))
        .collect::<Result<Vec<_>>>()?;
    psd_plot(&series, title)
}

/// Metric-vs-λ figure (Fig. 7).
pub fn lambda_figure(l2: &LambdaSweep, spectral: &LambdaSweep) -> Result<(Figure, Figure)> {
    Ok((
        metric_vs_lambda_plot(&[("relative L² (step 6)", l2)], "relative L² error")?,
        metric_vs_lambda_plot(&[("relative spectral error", spectral)], "relative spectral error")?,
    ))
}
