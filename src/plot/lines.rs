//! Line plots with labelled series: PSDs (log-log), metrics vs λ, loss curves.

use super::figure::{Area, Figure, format_number};
use crate::error::{Error, Result};
use crate::metrics::{LambdaSweep, SpatialPsd};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// The colours of successive series (matplotlib's tab10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// One named curve `y(x)`, optionally with a shaded band `y ± spread`.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates (same length as `x`).
    pub y: Vec<f64>,
    /// Half-width of a band around `y` (same length), e.g. a standard deviation.
    pub spread: Option<Vec<f64>>,
}

impl Series {
    /// A series without band.
    pub fn new(name: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self { name: name.into(), x, y, spread: None }
    }

    /// Adds a band `y ± spread`.
    pub fn with_spread(mut self, spread: Vec<f64>) -> Self {
        self.spread = Some(spread);
        self
    }

    /// Channel `c` of a spatial PSD as a series named `name` (for [`psd_plot`]); panics if
    /// `c ≥ C`.
    pub fn psd(psd: &SpatialPsd, c: usize, name: impl Into<String>) -> Self {
        Self::new(name, psd.wavenumbers.clone(), psd.channel(c).to_vec())
    }
}

/// Titles, axes and size of a [`line_plot`].
#[derive(Debug, Clone, PartialEq)]
pub struct LineOptions {
    /// Figure title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Logarithmic x axis (non-positive x values are left out).
    pub log_x: bool,
    /// Logarithmic y axis (non-positive y values are left out).
    pub log_y: bool,
    /// Draw a marker at every point.
    pub markers: bool,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl Default for LineOptions {
    fn default() -> Self {
        Self {
            title: String::new(),
            x_label: "x".into(),
            y_label: "y".into(),
            log_x: false,
            log_y: false,
            markers: false,
            size: (640, 440),
        }
    }
}

/// A series reduced to its drawable points.
struct Prepared<'a> {
    name: &'a str,
    points: Vec<(f64, f64)>,
    band: Vec<(f64, f64, f64)>,
}

fn prepare<'a>(series: &'a [Series], options: &LineOptions) -> Result<Vec<Prepared<'a>>> {
    if series.is_empty() {
        return Err(Error::config(format!("figure `{}`", options.title), "no series to draw"));
    }
    let ok = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
    series
        .iter()
        .map(|s| {
            let context = || format!("figure `{}`, series `{}`", options.title, s.name);
            if s.x.len() != s.y.len() {
                return Err(Error::shape(format!("{} (x and y)", context()), s.x.len(), s.y.len()));
            }
            if let Some(sp) = &s.spread
                && sp.len() != s.y.len()
            {
                return Err(Error::shape(
                    format!("{} (spread and y)", context()),
                    s.y.len(),
                    sp.len(),
                ));
            }
            let mut points = Vec::new();
            let mut band = Vec::new();
            for (i, (&x, &y)) in s.x.iter().zip(&s.y).enumerate() {
                if !(ok(x, options.log_x) && ok(y, options.log_y)) {
                    continue;
                }
                points.push((x, y));
                if let Some(sp) = &s.spread {
                    let (lo, hi) = (y - sp[i].abs(), y + sp[i].abs());
                    let lo = if options.log_y && lo <= 0.0 { y * 1e-3 } else { lo };
                    if lo.is_finite() && hi.is_finite() {
                        band.push((x, lo, hi));
                    }
                }
            }
            if points.is_empty() {
                return Err(Error::config(
                    context(),
                    if options.log_x || options.log_y {
                        "no finite point (positive on the logarithmic axes) to draw"
                    } else {
                        "no finite point to draw"
                    },
                ));
            }
            Ok(Prepared { name: &s.name, points, band })
        })
        .collect()
}

/// `[lo, hi]` covering `values`, padded (multiplicatively on log axes).
fn axis_range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) =
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if log {
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo / 2.0, hi * 2.0) };
        let pad = (hi / lo).powf(0.04);
        (lo / pad, hi * pad)
    } else {
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 1.0, hi + 1.0) };
        let pad = 0.04 * (hi - lo);
        (lo - pad, hi + pad)
    }
}

/// A line plot of `series` (legend with their names).
///
/// Errors: no series, `x`/`y`/`spread` of different lengths, a series with no drawable point.
pub fn line_plot(series: &[Series], options: &LineOptions) -> Result<Figure> {
    let (w, h) = options.size;
    Figure::render(w, h, |root, _| draw_lines(root, series, options))
}

/// Draws a line plot into `area` (see [`line_plot`]).
pub(crate) fn draw_lines(area: &Area, series: &[Series], options: &LineOptions) -> Result<()> {
    let prepared = prepare(series, options)?;
    let xs = || prepared.iter().flat_map(|p| p.points.iter().map(|q| q.0));
    let ys = || {
        prepared.iter().flat_map(|p| {
            p.points.iter().map(|q| q.1).chain(p.band.iter().flat_map(|b| [b.1, b.2]))
        })
    };
    let (x0, x1) = axis_range(xs(), options.log_x);
    let (y0, y1) = axis_range(ys(), options.log_y);
    match (options.log_x, options.log_y) {
        (false, false) => draw_in(area, x0..x1, y0..y1, &prepared, options),
        (true, false) => draw_in(area, (x0..x1).log_scale(), y0..y1, &prepared, options),
        (false, true) => draw_in(area, x0..x1, (y0..y1).log_scale(), &prepared, options),
        (true, true) => {
            draw_in(area, (x0..x1).log_scale(), (y0..y1).log_scale(), &prepared, options)
        }
    }
}

fn draw_in<X, Y>(
    area: &Area,
    x: X,
    y: Y,
    prepared: &[Prepared],
    options: &LineOptions,
) -> Result<()>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(&options.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc(options.x_label.as_str())
        .y_desc(options.y_label.as_str())
        .label_style(("sans-serif", 13))
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|v| format_number(*v))
        .y_label_formatter(&|v| format_number(*v))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(TRANSPARENT)
        .draw()?;
    for (i, p) in prepared.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        if p.band.len() > 1 {
            let outline: Vec<(f64, f64)> = p
                .band
                .iter()
                .map(|b| (b.0, b.2))
                .chain(p.band.iter().rev().map(|b| (b.0, b.1)))
                .collect();
            chart.draw_series(std::iter::once(Polygon::new(outline, color.mix(0.18).filled())))?;
        }
        chart
            .draw_series(LineSeries::new(p.points.iter().copied(), color.stroke_width(2)))?
            .label(p.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2))
            });
        if options.markers || p.points.len() == 1 {
            chart.draw_series(p.points.iter().map(|&q| Circle::new(q, 3, color.filled())))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 13))
        .draw()?;
    Ok(())
}

/// Log-log plot of power spectral densities (x: wavenumber |k|, y: PSD). Bins with `k = 0` or
/// zero power are left out.
pub fn psd_plot(series: &[Series], title: &str) -> Result<Figure> {
    line_plot(
        series,
        &LineOptions {
            title: title.into(),
            x_label: "wavenumber |k|".into(),
            y_label: "PSD".into(),
            log_x: true,
            log_y: true,
            ..Default::default()
        },
    )
}

/// Metric against λ for one or more named sweeps (mean with a ± std band and markers).
pub fn metric_vs_lambda_plot(sweeps: &[(&str, &LambdaSweep)], metric: &str) -> Result<Figure> {
    let series: Vec<Series> = sweeps
        .iter()
        .map(|(name, s)| {
            Series::new(*name, s.lambdas.clone(), s.values.iter().map(|v| v.mean).collect())
                .with_spread(s.values.iter().map(|v| v.std).collect())
        })
        .collect();
    line_plot(
        &series,
        &LineOptions {
            title: format!("{metric} vs λ"),
            x_label: "λ".into(),
            y_label: metric.into(),
            markers: true,
            ..Default::default()
        },
    )
}

/// Training loss against optimiser step (log y), one series per curve (e.g. train, valid).
pub fn loss_curve(series: &[Series], title: &str) -> Result<Figure> {
    line_plot(
        series,
        &LineOptions {
            title: title.into(),
            x_label: "step".into(),
            y_label: "loss".into(),
            log_y: true,
            ..Default::default()
        },
    )
}
