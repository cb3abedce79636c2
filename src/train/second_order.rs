//! A run's second-order data statistics and the linear-Gaussian predictor built from them
//! (docs/method.md, "The linear-Gaussian yardstick" and "The Gaussian skip").
//!
//! The statistics are estimated from the standardised training split of the run's dataset,
//! with lags up to the window, and stored once in the run directory as
//! [`SECOND_ORDER_FILE`] (format: [`crate::io::second_order`]).

use super::run::RunConfig;
use super::session::split_set;
use crate::error::{Error, Result};
use crate::io::{Dataset, Split, read_second_order, second_order_is_current, write_second_order};
use crate::predictor::{LinearGaussian, Skip};
use crate::spectral::SecondOrder;
use std::path::Path;
use std::sync::Arc;

/// The statistics' file name in a run directory.
pub const SECOND_ORDER_FILE: &str = "second_order.h5";

/// Estimates the statistics of `ds`'s standardised training split for the run `cfg` (lags
/// `0 … window`).
pub fn estimate_second_order(ds: &Dataset, cfg: &RunConfig) -> Result<SecondOrder> {
    let set = split_set(ds, Split::Train, &cfg.data.stats())?;
    SecondOrder::estimate(&set.data().view(), &cfg.data.grid()?, cfg.model.window)
}

/// The statistics of the run in `dir`: read from `dir/second_order.h5`, else estimated from its
/// dataset and stored there (atomically). A stored file of another grid, channel count or with
/// too few lags is an error naming it.
pub fn run_second_order(dir: &Path, cfg: &RunConfig) -> Result<SecondOrder> {
    let path = dir.join(SECOND_ORDER_FILE);
    // a run without the skip only caches its baseline's statistics: a legacy file is re-estimated
    let cached =
        path.is_file() && (cfg.model.skip != Skip::None || second_order_is_current(&path)?);
    if cached {
        let s = read_second_order(&path)?;
        if s.grid().dims() != cfg.data.grid.as_slice()
            || s.channels() != cfg.data.channels
            || s.max_lag() < cfg.model.window
        {
            return Err(Error::bad_file(
                &path,
                format!(
                    "statistics for grid {:?}, {} channels, lags ≤ {}; the run needs {:?}, {}, ≥ {}",
                    s.grid().dims(),
                    s.channels(),
                    s.max_lag(),
                    cfg.data.grid,
                    cfg.data.channels,
                    cfg.model.window
                ),
            ));
        }
        return Ok(s);
    }
    let ds = Dataset::open(cfg.data.path_from(dir))?;
    let s = estimate_second_order(&ds, cfg)?;
    write_second_order(&path, &s, true)?;
    Ok(s)
}

/// The linear-Gaussian predictor of the run `cfg` for the statistics `stats`.
pub fn linear_gaussian(cfg: &RunConfig, stats: &SecondOrder) -> Result<Arc<LinearGaussian>> {
    let process = cfg.diffusion.process(&cfg.data.grid()?)?;
    Ok(Arc::new(LinearGaussian::new(stats, &process, cfg.model.window)?))
}

/// The Gaussian skip the run's `[model] skip` asks for (`None` for `skip = "none"`), with the
/// statistics from `stats` (called only when needed).
pub fn gaussian_skip(
    cfg: &RunConfig,
    stats: impl FnOnce() -> Result<SecondOrder>,
) -> Result<Option<Arc<LinearGaussian>>> {
    match cfg.model.skip {
        Skip::None => Ok(None),
        Skip::Gaussian => Ok(Some(linear_gaussian(cfg, &stats()?)?)),
    }
}
