//! The "λ ladder": one sample at several scales λ, with its spatial PSD — what the forward
//! process does (high wavenumbers vanish first; large scales survive at λ = 1).

use super::figure::Figure;
use super::heatmap::{COLORBAR_WIDTH, HeatmapOptions, HeatmapPanel, draw_heatmaps};
use super::lines::{LineOptions, Series, draw_lines};
use crate::diffusion::ForwardProcess;
use crate::error::{Error, Result};
use crate::metrics::spatial_psd;
use ndarray::{ArrayViewD, Axis, Ix2, Slice};

/// Options of [`ladder_figure`].
#[derive(Debug, Clone, PartialEq)]
pub struct LadderOptions {
    /// The scales shown (default 0, 0.1, 0.2, 0.5, 1; λ = 1 maps to index T − 1).
    pub lambdas: Vec<f64>,
    /// Show samples `u_λ = C_λ u_0 + √Σ_λ ε` (default) or the noise-free `C_λ u_0`.
    pub noise: bool,
    /// Seed of the noise.
    pub seed: u64,
    /// The frame shown for 2-D grids (1-D grids show all frames as a Hovmöller diagram).
    pub frame: usize,
    /// Time between frames (axis of 1-D Hovmöller panels).
    pub frame_dt: f64,
    /// Figure title; a default naming α and the noise setting when `None`.
    pub title: Option<String>,
}

impl Default for LadderOptions {
    fn default() -> Self {
        Self {
            lambdas: vec![0.0, 0.1, 0.2, 0.5, 1.0],
            noise: true,
            seed: 0,
            frame: 0,
            frame_dt: 1.0,
            title: None,
        }
    }
}

/// One trajectory at the scales `options.lambdas`: a row of panels (1-D: Hovmöller diagrams of
/// `channel`; 2-D: frame `options.frame` of `channel`) with a shared colour scale, and below
/// them the time-averaged spatial PSD at every λ (log-log).
///
/// `trajectory`: `[C, F, *grid]` on the process's grid. Errors: grid mismatch, NaN, channel
/// or frame out of range, λ outside `[0, 1]`, no λ.
pub fn ladder_figure(
    process: &ForwardProcess,
    trajectory: &ArrayViewD<f32>,
    channel: usize,
    options: &LadderOptions,
) -> Result<Figure> {
    let grid = process.grid();
    let frames = check_ladder(process, trajectory, channel, options)?;
    let u = ladder_samples(process, trajectory, channel, options)?;
    let mut panels = Vec::with_capacity(options.lambdas.len());
    let mut series = Vec::with_capacity(options.lambdas.len());
    for (i, &lambda) in options.lambdas.iter().enumerate() {
        let label = format!("λ = {lambda}");
        let field = u.index_axis(Axis(0), i).index_axis_move(Axis(0), 0);
        panels.push(ladder_panel(&label, field, grid.len(), frames, options));
        let one_sample = u.slice_axis(Axis(0), Slice::from(i..i + 1));
        series.push(Series::psd(&spatial_psd(&one_sample, grid, 0)?, 0, label));
    }
    let title = options.title.clone().unwrap_or_else(|| {
        format!(
            "forward process, α = {}, β² = {}{}",
            process.alpha(),
            process.beta2(),
            if options.noise { "" } else { " (noise-free C_λ u₀)" }
        )
    });
    draw_ladder(&title, &panels, &series, channel, grid.ndim() == 2)
}

/// Checks the arguments of [`ladder_figure`]; returns the trajectory's frame count.
fn check_ladder(
    process: &ForwardProcess,
    trajectory: &ArrayViewD<f32>,
    channel: usize,
    options: &LadderOptions,
) -> Result<usize> {
    let grid = process.grid();
    let shape = grid.trajectory_shape(trajectory.shape(), "ladder trajectory")?;
    if channel >= shape.channels {
        return Err(Error::OutOfRange {
            name: "ladder channel".into(),
            value: channel as f64,
            range: format!("0 ..= {}", shape.channels.saturating_sub(1)),
        });
    }
    if shape.frames == 0 || (grid.ndim() == 2 && options.frame >= shape.frames) {
        return Err(Error::OutOfRange {
            name: "ladder frame".into(),
            value: options.frame as f64,
            range: format!("0 ..= {}", shape.frames as i64 - 1),
        });
    }
    if options.lambdas.is_empty() {
        return Err(Error::config("ladder lambdas", "no λ to show"));
    }
    Ok(shape.frames)
}

/// `channel` of the trajectory at every λ of the ladder: `[n_λ, 1, F, *grid]`, noised or
/// noise-free as `options.noise` asks.
fn ladder_samples(
    process: &ForwardProcess,
    trajectory: &ArrayViewD<f32>,
    channel: usize,
    options: &LadderOptions,
) -> Result<ndarray::ArrayD<f32>> {
    let indices =
        options.lambdas.iter().map(|&l| process.index_of(l)).collect::<Result<Vec<_>>>()?;
    let one =
        trajectory.slice_axis(Axis(0), Slice::from(channel..channel + 1)).insert_axis(Axis(0));
    let mut shape = one.shape().to_vec();
    shape[0] = indices.len();
    let x0 = one
        .broadcast(shape)
        .ok_or_else(|| Error::Other("ladder: broadcasting the trajectory".into()))?;
    if options.noise {
        process.q_sample(&x0, &indices, options.seed)
    } else {
        process.coarse_grain(&x0, &indices)
    }
}

/// One λ's panel: a Hovmöller diagram of `field` `[F, L]` in 1-D, frame `options.frame` of
/// `field` `[F, Ny, Nx]` in 2-D.
fn ladder_panel(
    label: &str,
    field: ArrayViewD<'_, f32>,
    len: usize,
    frames: usize,
    options: &LadderOptions,
) -> HeatmapPanel {
    if field.ndim() == 3 {
        let f = field.index_axis(Axis(0), options.frame).into_dimensionality::<Ix2>();
        let tau = std::f64::consts::TAU;
        HeatmapPanel::new(label, f.expect("2-D grid"))
            .with_ranges((0.0, tau), (0.0, tau))
            .with_labels("x", "y")
    } else {
        HeatmapPanel::new(label, field.into_dimensionality::<Ix2>().expect("1-D grid"))
            .with_ranges((0.0, len as f64), (0.0, frames as f64 * options.frame_dt))
            .with_labels("grid point", "time")
    }
}

/// The row of heat-map panels above the PSD plot.
fn draw_ladder(
    title: &str,
    panels: &[HeatmapPanel],
    series: &[Series],
    channel: usize,
    two_d: bool,
) -> Result<Figure> {
    let panel_size = if two_d { (250, 250) } else { (250, 300) };
    let heat = HeatmapOptions {
        panel_size,
        colorbar_label: format!("channel {channel}"),
        ..Default::default()
    };
    let psd = LineOptions {
        title: "time-averaged spatial PSD".into(),
        x_label: "wavenumber |k|".into(),
        y_label: "PSD".into(),
        log_x: true,
        log_y: true,
        ..Default::default()
    };
    let width = panel_size.0 * panels.len() as u32 + COLORBAR_WIDTH;
    let psd_height = 400;
    Figure::render(width, 36 + panel_size.1 + psd_height, |root, overlay| {
        let area = root.titled(title, ("sans-serif", 22))?;
        let (top, bottom) = area.split_vertically(panel_size.1);
        draw_heatmaps(&top, panels, &heat, overlay)?;
        let side = width.saturating_sub(680) / 2;
        draw_lines(&bottom.margin(0, 0, side, side), series, &psd)
    })
}
