//! Figures of an assimilation: truth, observations, posterior mean and spread of one path and
//! channel (space × time for a line, one frame for a plane), and the time series at a point no
//! observation sees, with the ensemble's ±2 sd band.

use super::operator::ObservationOperator;
use super::run::{Assimilation, Estimate};
use crate::error::{Error, Result};
use crate::plot::{
    Figure, HeatmapOptions, HeatmapPanel, LineOptions, Series, heatmap_grid, line_plot,
};
use ndarray::{Array2, ArrayD, Axis, Ix2};

/// The posterior (the first estimate) of path `p`: its mean and standard deviation
/// `[C, F, *grid]`.
fn moments(e: &Estimate, p: usize) -> (ArrayD<f32>, ArrayD<f32>) {
    let m = e.members;
    let members = e.paths.slice_axis(Axis(0), (p * m..(p + 1) * m).into());
    let mean = members.mean_axis(Axis(0)).expect("members ≥ 1");
    let sd = if m > 1 { members.std_axis(Axis(0), 1.0) } else { ArrayD::zeros(mean.shape()) };
    (mean, sd)
}

/// One channel's `[C, F, *grid]` as a 2-D panel: `[F, L]` for a line, frame `frame` `[Ny, Nx]`
/// for a plane.
fn panel(title: &str, x: &ArrayD<f32>, channel: usize, frame: usize) -> Result<HeatmapPanel> {
    let c = x.index_axis(Axis(0), channel);
    let two = if c.ndim() == 2 { c.to_owned() } else { c.index_axis(Axis(0), frame).to_owned() };
    let two = two.into_dimensionality::<Ix2>().map_err(|e| Error::Other(e.to_string()))?;
    let labels = if x.ndim() == 3 { ("grid point", "frame") } else { ("x", "y") };
    Ok(HeatmapPanel::new(title, two.view()).with_labels(labels.0, labels.1))
}

/// Truth, observations (0 where unobserved), posterior mean and posterior spread of path `p`,
/// channel `channel` (a plane shows the middle frame).
pub fn fields_figure(a: &Assimilation, p: usize, channel: usize) -> Result<Figure> {
    let post = a.estimates.first().ok_or_else(|| Error::config("figure", "no estimate"))?;
    let (mean, sd) = moments(post, p);
    let truth = a.truth.index_axis(Axis(0), p).to_owned();
    let obs = a
        .observations
        .to_fields()
        .index_axis(Axis(0), p)
        .mapv(|v| if v.is_nan() { 0.0 } else { v });
    let frame = truth.shape()[1] / 2;
    let panels = vec![
        panel("truth", &truth, channel, frame)?,
        panel("observations", &obs, channel, frame)?,
        panel("posterior mean", &mean, channel, frame)?,
        panel("posterior spread (sd)", &sd, channel, frame)?,
    ];
    let options = HeatmapOptions {
        title: Some(format!("assimilation: path {p}, channel {channel}")),
        columns: 4,
        colorbar_label: "standardised value".into(),
        ..Default::default()
    };
    heatmap_grid(&panels, &options)
}

/// A grid point of channel `channel` that no frame observes (the first; any unobserved one
/// otherwise), as a flat index.
pub fn unobserved_point(a: &Assimilation, channel: usize) -> Option<usize> {
    let h = a.observations.operator();
    let [_, f] = h.path_dims();
    let n = h.grid().len();
    let seen = |q: usize| (0..f).filter(|&fr| h.points(channel, fr).contains(&q)).count();
    (0..n).find(|&q| seen(q) == 0).or_else(|| (0..n).min_by_key(|&q| seen(q)))
}

/// The time series at grid point `point` (flat) of path `p`, channel `channel`: truth, the
/// posterior mean with its ±2 sd band, and every other estimate.
pub fn series_figure(a: &Assimilation, p: usize, channel: usize, point: usize) -> Result<Figure> {
    let at = |x: &ArrayD<f32>| -> Result<Vec<f64>> {
        let c = x.index_axis(Axis(0), channel);
        let f = c.shape()[0];
        let flat = c.to_shape((f, c.len() / f)).map_err(|e| Error::Other(e.to_string()))?;
        let flat: Array2<f32> =
            flat.into_owned().into_dimensionality().map_err(|e| Error::Other(e.to_string()))?;
        Ok(flat.column(point).iter().map(|&v| f64::from(v)).collect())
    };
    let truth = at(&a.truth.index_axis(Axis(0), p).to_owned())?;
    let t: Vec<f64> = (0..truth.len()).map(|i| i as f64).collect();
    let mut series = vec![Series::new("truth", t.clone(), truth)];
    for (k, e) in a.estimates.iter().enumerate() {
        let (mean, sd) = moments(e, p);
        let mut s = Series::new(format!("{} mean", e.name), t.clone(), at(&mean)?);
        if k == 0 && e.members > 1 {
            s = s.with_spread(at(&sd)?.iter().map(|v| 2.0 * v).collect());
        }
        series.push(s);
    }
    let options = LineOptions {
        title: format!("unobserved point {point}: path {p}, channel {channel} (band ±2 sd)"),
        x_label: "frame".into(),
        y_label: "standardised value".into(),
        ..Default::default()
    };
    line_plot(&series, &options)
}
