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
    let shape = grid.trajectory_shape(trajectory.shape(), "ladder trajectory")?;
    if channel >= shape.channels {
        return Err(Error::OutOfRange {
            name: "ladder channel".into(),
            value: channel as f64,
            range: format!("0 ..= {}", shape.channels.saturating_sub(1)),
        });
    }
    let two_d = grid.ndim() == 2;
    if shape.frames == 0 || (two_d && options.frame >= shape.frames) {
        return Err(Error::OutOfRange {
            name: "ladder frame".into(),
            value: options.frame as f64,
            range: format!("0 ..= {}", shape.frames as i64 - 1),
        });
    }
    if options.lambdas.is_empty() {
        return Err(Error::config("ladder lambdas", "no λ to show"));
    }
    let indices =
        options.lambdas.iter().map(|&l| process.index_of(l)).collect::<Result<Vec<_>>>()?;
    let one =
        trajectory.slice_axis(Axis(0), Slice::from(channel..channel + 1)).insert_axis(Axis(0));
    let x0 = one.broadcast({
        let mut s = one.shape().to_vec();
        s[0] = indices.len();
        s
    });
    let x0 = x0.ok_or_else(|| Error::Other("ladder: broadcasting the trajectory".into()))?;
    let u = if options.noise {
        process.q_sample(&x0, &indices, options.seed)?
    } else {
        process.coarse_grain(&x0, &indices)?
    };

    let mut panels = Vec::with_capacity(indices.len());
    let mut series = Vec::with_capacity(indices.len());
    for (i, &lambda) in options.lambdas.iter().enumerate() {
        let label = format!("λ = {lambda}");
        let sample = u.index_axis(Axis(0), i);
        let field = sample.index_axis(Axis(0), 0);
        let panel = if two_d {
            let f = field
                .index_axis(Axis(0), options.frame)
                .into_dimensionality::<Ix2>()
                .expect("2-D grid");
            let tau = std::f64::consts::TAU;
            HeatmapPanel::new(&label, f).with_ranges((0.0, tau), (0.0, tau)).with_labels("x", "y")
        } else {
            let f = field.into_dimensionality::<Ix2>().expect("1-D grid");
            HeatmapPanel::new(&label, f)
                .with_ranges(
                    (0.0, grid.len() as f64),
                    (0.0, shape.frames as f64 * options.frame_dt),
                )
                .with_labels("grid point", "time")
        };
        panels.push(panel);
        let one_sample = u.slice_axis(Axis(0), Slice::from(i..i + 1));
        series.push(Series::psd(&spatial_psd(&one_sample, grid, 0)?, 0, label));
    }

    let panel_size = if two_d { (250, 250) } else { (250, 300) };
    let heat = HeatmapOptions {
        panel_size,
        colorbar_label: format!("channel {channel}"),
        ..Default::default()
    };
    let title = options.title.clone().unwrap_or_else(|| {
        format!(
            "forward process, α = {}, β² = {}{}",
            process.alpha(),
            process.beta2(),
            if options.noise { "" } else { " (noise-free C_λ u₀)" }
        )
    });
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
        let area = root.titled(&title, ("sans-serif", 22))?;
        let (top, bottom) = area.split_vertically(panel_size.1);
        draw_heatmaps(&top, &panels, &heat, overlay)?;
        let side = width.saturating_sub(680) / 2;
        draw_lines(&bottom.margin(0, 0, side, side), &series, &psd)
    })
}
