//! Figures drawn with plotters' SVG backend (no system fonts needed).
//!
//! Every figure function returns a [`Figure`]: SVG text that can be saved (`.svg`, or `.png`
//! rasterised with resvg and the DejaVu Sans font embedded in pdd), shown inline in an evcxr
//! notebook ([`Figure::evcxr_display`]), or embedded elsewhere ([`Figure::svg`]). Heat maps are
//! embedded as pixel-exact PNG images inside the SVG (one pixel per grid cell, scaled without
//! smoothing), which keeps files small for 128 × 64 Hovmöller diagrams or 40 × 40 fields.
//!
//! Figure kinds: [`hovmoller`], [`field_heatmap`], [`heatmap_grid`] (panels with a shared colour
//! scale and one colour bar), [`line_plot`] (linear or logarithmic axes, labelled series),
//! [`psd_plot`] (log-log), [`metric_vs_lambda_plot`], [`loss_curve`] and [`ladder_figure`]
//! (what the forward process does to one sample). Bad input (no data, mismatched series,
//! non-finite values) is an error, never a panic.

mod colormap;
mod figure;
mod heatmap;
mod ladder;
mod lines;
mod raster;

pub use colormap::{ColorScale, Colormap};
pub use figure::Figure;
pub use heatmap::{HeatmapOptions, HeatmapPanel, field_heatmap, heatmap_grid, hovmoller};
pub use ladder::{LadderOptions, ladder_figure};
pub use lines::{LineOptions, Series, line_plot, loss_curve, metric_vs_lambda_plot, psd_plot};
