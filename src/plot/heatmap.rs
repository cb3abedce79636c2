//! Heat maps: Hovmöller diagrams, 2-D fields and grids of panels with a shared colour scale.

use super::colormap::{ColorScale, Colormap};
use super::figure::{Area, Figure, Overlay, format_number};
use super::raster::image_element;
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};
use plotters::prelude::*;

/// Width in pixels of the colour-bar column.
pub(crate) const COLORBAR_WIDTH: u32 = 100;
/// Height of a figure title.
const TITLE_HEIGHT: u32 = 36;

/// One heat-map panel: `values[row, col]` drawn with row 0 at the **bottom** (y increasing
/// upwards) and column 0 at the left, over the rectangle `x_range × y_range`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapPanel {
    /// Panel caption.
    pub title: String,
    /// `[rows (y), cols (x)]`.
    pub values: Array2<f64>,
    /// Data coordinates of the left and right edges.
    pub x_range: (f64, f64),
    /// Data coordinates of the bottom and top edges.
    pub y_range: (f64, f64),
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
}

impl HeatmapPanel {
    /// A panel of `values` (`[rows, cols]`) with index ranges `0..cols × 0..rows` and labels
    /// `x`, `y`.
    pub fn new(title: impl Into<String>, values: ArrayView2<f32>) -> Self {
        let (rows, cols) = values.dim();
        Self {
            title: title.into(),
            values: values.mapv(f64::from),
            x_range: (0.0, cols as f64),
            y_range: (0.0, rows as f64),
            x_label: "x".into(),
            y_label: "y".into(),
        }
    }

    /// Sets the data coordinates of the panel's edges.
    pub fn with_ranges(mut self, x: (f64, f64), y: (f64, f64)) -> Self {
        self.x_range = x;
        self.y_range = y;
        self
    }

    /// Sets the axis labels.
    pub fn with_labels(mut self, x: impl Into<String>, y: impl Into<String>) -> Self {
        self.x_label = x.into();
        self.y_label = y.into();
        self
    }

    fn check(&self) -> Result<()> {
        let (rows, cols) = self.values.dim();
        if rows == 0 || cols == 0 {
            return Err(Error::shape(
                format!("heat map panel `{}`", self.title),
                "non-empty [rows, cols]",
                [rows, cols],
            ));
        }
        for (name, (a, b)) in [("x_range", self.x_range), ("y_range", self.y_range)] {
            if !(a.is_finite() && b.is_finite() && a < b) {
                return Err(Error::config(
                    format!("heat map panel `{}`.{name}", self.title),
                    format!("need finite start < end, got ({a}, {b})"),
                ));
            }
        }
        Ok(())
    }
}

/// Layout and colour options of [`heatmap_grid`].
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapOptions {
    /// Figure title (none by default).
    pub title: Option<String>,
    /// Panels per row (0: all panels in one row).
    pub columns: usize,
    /// Size of one panel in pixels.
    pub panel_size: (u32, u32),
    /// The colour map.
    pub colormap: Colormap,
    /// Fixed colour range; by default fitted to all panels (symmetric for diverging maps).
    pub range: Option<(f64, f64)>,
    /// Label of the colour bar.
    pub colorbar_label: String,
}

impl Default for HeatmapOptions {
    fn default() -> Self {
        Self {
            title: None,
            columns: 0,
            panel_size: (300, 260),
            colormap: Colormap::Diverging,
            range: None,
            colorbar_label: "value".into(),
        }
    }
}

impl HeatmapOptions {
    /// The colour scale for `panels`: the fixed range, or fitted to all their values.
    fn scale(&self, panels: &[HeatmapPanel]) -> Result<ColorScale> {
        match self.range {
            Some((lo, hi)) => ColorScale::new(lo, hi, self.colormap),
            None => ColorScale::fit(panels.iter().flat_map(|p| p.values.iter()), self.colormap),
        }
    }

    fn grid_shape(&self, n: usize) -> (usize, usize) {
        let cols = if self.columns == 0 { n } else { self.columns.min(n) };
        (n.div_ceil(cols), cols)
    }
}

/// Panels (a grid of `options.columns` per row) sharing one colour scale, with one colour bar.
///
/// Errors: no panel, an empty panel, bad ranges, no finite value.
pub fn heatmap_grid(panels: &[HeatmapPanel], options: &HeatmapOptions) -> Result<Figure> {
    if panels.is_empty() {
        return Err(Error::config("heatmap_grid", "no panel to draw"));
    }
    let (rows, cols) = options.grid_shape(panels.len());
    let (pw, ph) = options.panel_size;
    if pw < 100 || ph < 100 {
        return Err(Error::config(
            "heat map panel_size",
            format!("need at least 100 × 100 pixels, got {pw} × {ph}"),
        ));
    }
    let title_h = if options.title.is_some() { TITLE_HEIGHT } else { 0 };
    let width = pw * cols as u32 + COLORBAR_WIDTH;
    let height = ph * rows as u32 + title_h;
    Figure::render(width, height, |root, overlay| {
        let area = match &options.title {
            Some(t) => root.titled(t, ("sans-serif", 22))?,
            None => root.clone(),
        };
        draw_heatmaps(&area, panels, options, overlay)
    })
}

/// Draws `panels` and their colour bar into `area`.
pub(crate) fn draw_heatmaps(
    area: &Area,
    panels: &[HeatmapPanel],
    options: &HeatmapOptions,
    overlay: &mut Overlay,
) -> Result<()> {
    if panels.is_empty() {
        return Err(Error::config("heat map", "no panel to draw"));
    }
    panels.iter().try_for_each(HeatmapPanel::check)?;
    let scale = options.scale(panels)?;
    let (rows, cols) = options.grid_shape(panels.len());
    let (w, _) = area.dim_in_pixel();
    let (left, right) = area.split_horizontally(w.saturating_sub(COLORBAR_WIDTH));
    let cells = left.split_evenly((rows, cols));
    for (panel, cell) in panels.iter().zip(&cells) {
        let mut chart = ChartBuilder::on(cell)
            .caption(&panel.title, ("sans-serif", 16))
            .margin(6)
            .x_label_area_size(38)
            .y_label_area_size(52)
            .build_cartesian_2d(
                panel.x_range.0..panel.x_range.1,
                panel.y_range.0..panel.y_range.1,
            )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&|v| format_number(*v))
            .y_label_formatter(&|v| format_number(*v))
            .x_desc(panel.x_label.as_str())
            .y_desc(panel.y_label.as_str())
            .label_style(("sans-serif", 12))
            .draw()?;
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let (r, c) = panel.values.dim();
        let values: Vec<f64> = panel.values.iter().copied().collect();
        overlay.push(image_element(&values, r, c, &scale, xr, yr)?);
    }
    draw_colorbar(&right, &scale, &options.colorbar_label, overlay)
}

fn draw_colorbar(
    area: &Area,
    scale: &ColorScale,
    label: &str,
    overlay: &mut Overlay,
) -> Result<()> {
    let (_, h) = area.dim_in_pixel();
    let pad = (h / 8).min(45) as i32;
    // 100 px: 60 for tick labels and the rotated label, a 22 px bar, margins.
    let area = area.margin(pad, pad, 4, 14);
    let mut chart = ChartBuilder::on(&area)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, scale.min..scale.max)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&|v| format_number(*v))
        .y_desc(label)
        .label_style(("sans-serif", 12))
        .draw()?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let n = 256;
    let ramp: Vec<f64> =
        (0..n).map(|i| scale.min + (scale.max - scale.min) * (i as f64 + 0.5) / n as f64).collect();
    overlay.push(image_element(&ramp, n, 1, scale, xr, yr)?);
    Ok(())
}

/// A Hovmöller diagram (space × time) of one channel of one trajectory: `field` is `[F, L]`
/// (frames × grid points), time runs upwards in steps of `frame_dt`.
pub fn hovmoller(field: ArrayView2<f32>, frame_dt: f64, title: &str) -> Result<Figure> {
    let (frames, _) = field.dim();
    if !(frame_dt.is_finite() && frame_dt > 0.0) {
        return Err(Error::config(
            "hovmoller frame_dt",
            format!("must be positive, got {frame_dt}"),
        ));
    }
    let panel = HeatmapPanel::new(title, field)
        .with_ranges((0.0, field.dim().1 as f64), (0.0, frames as f64 * frame_dt))
        .with_labels("grid point", "time");
    let options = HeatmapOptions { panel_size: (520, 420), ..Default::default() };
    heatmap_grid(&[panel], &options)
}

/// A heat map of one 2-D field `[Ny, Nx]` over `[0, 2π)²` (y upwards).
pub fn field_heatmap(field: ArrayView2<f32>, title: &str) -> Result<Figure> {
    let tau = std::f64::consts::TAU;
    let panel =
        HeatmapPanel::new(title, field).with_ranges((0.0, tau), (0.0, tau)).with_labels("x", "y");
    let options = HeatmapOptions { panel_size: (440, 420), ..Default::default() };
    heatmap_grid(&[panel], &options)
}
