//! The data's second-order statistics as an HDF5 file (docs/method.md, "The linear-Gaussian
//! yardstick"), written once per run as `second_order.h5` and readable by h5py:
//!
//! | path | type, shape | meaning |
//! |---|---|---|
//! | `/power` | f64 `[C, K]` | `S_c(k)`, standardised units², orthonormal DFT |
//! | `/autocorrelation_re`, `/autocorrelation_im` | f64 `[C, L, K]` | `ρ_c(k, τ)`, `τ = 1 … L` |
//! | `/covariance_re`, `/covariance_im` | f64 `[C, L + 1, K]` | `C_c(k, τ) = S ρ`, `τ = 0 … L` (what pdd reads) |
//! | attributes `format`, `grid`, `channels`, `max_lag` | | `"pdd-second-order-v2"`, the grid sizes, `C`, `L` |
//!
//! `K` is the half spectrum of the grid (`numpy.fft.rfftn` layout, flattened); `f` runs over
//! the frames of the standardised training split. Format v2 holds the biased lag estimate
//! (every lag divided by the number of frames, [`SecondOrder::estimate`]); v1 files (the
//! unbiased estimate, written before 2026-12-07) are still read, as a Gaussian-skip run was
//! trained with them, and [`second_order_is_current`] tells them apart.

use super::atomic::AtomicFile;
use super::dataset::{h5err, put_str};
use crate::error::{Error, Result};
use crate::spectral::{Grid, SecondOrder};
use std::path::Path;

const FORMAT: &str = "pdd-second-order-v2";
/// The unbiased lag estimate, read but no longer written.
const LEGACY: &str = "pdd-second-order-v1";

fn put(loc: &hdf5::Group, name: &str, v: &[f64], shape: &[usize]) -> hdf5::Result<()> {
    loc.new_dataset::<f64>().shape(shape).create(name)?.write_raw(v)
}

/// Writes `stats` to `path` atomically (refusing an existing file unless `overwrite`).
pub fn write_second_order(path: &Path, stats: &SecondOrder, overwrite: bool) -> Result<()> {
    let target = AtomicFile::new(path, overwrite)?;
    let tmp = target.temp_path().to_path_buf();
    let write = || -> hdf5::Result<()> {
        let file = hdf5::File::create(&tmp)?;
        let (c, l, k) = (stats.channels(), stats.max_lag(), stats.grid().half_len());
        let (re, im) = stats.covariance_parts();
        put(&file, "covariance_re", &re, &[c, l + 1, k])?;
        put(&file, "covariance_im", &im, &[c, l + 1, k])?;
        let power: Vec<f64> = (0..c).flat_map(|ch| stats.power(ch)).collect();
        put(&file, "power", &power, &[c, k])?;
        let rho: Vec<_> =
            (0..c).flat_map(|ch| (1..=l).flat_map(move |t| stats.correlation(ch, t))).collect();
        let (rr, ri): (Vec<f64>, Vec<f64>) = rho.iter().map(|z| (z.re, z.im)).unzip();
        put(&file, "autocorrelation_re", &rr, &[c, l, k])?;
        put(&file, "autocorrelation_im", &ri, &[c, l, k])?;
        put_str(&file, "format", FORMAT)?;
        let grid: Vec<u64> = stats.grid().dims().iter().map(|&d| d as u64).collect();
        file.new_attr::<u64>().shape(grid.len()).create("grid")?.write_raw(&grid)?;
        file.new_attr::<u64>().shape(()).create("channels")?.write_scalar(&(c as u64))?;
        file.new_attr::<u64>().shape(()).create("max_lag")?.write_scalar(&(l as u64))?;
        file.close()
    };
    write().map_err(h5err(&tmp))?;
    target.commit()
}

/// Reads the statistics written by [`write_second_order`]; a missing, foreign or damaged file
/// is an [`Error::BadFile`] naming it.
pub fn read_second_order(path: &Path) -> Result<SecondOrder> {
    let bad = |reason: String| Error::bad_file(path, reason);
    let file = hdf5::File::open(path).map_err(|e| bad(format!("not a readable HDF5 file: {e}")))?;
    let read = || -> hdf5::Result<_> {
        let format: hdf5::types::VarLenUnicode = file.attr("format")?.read_scalar()?;
        let grid: Vec<u64> = file.attr("grid")?.read_raw()?;
        let c: u64 = file.attr("channels")?.read_scalar()?;
        let l: u64 = file.attr("max_lag")?.read_scalar()?;
        let re: Vec<f64> = file.dataset("covariance_re")?.read_raw()?;
        let im: Vec<f64> = file.dataset("covariance_im")?.read_raw()?;
        Ok((format.as_str().to_string(), grid, c as usize, l as usize, re, im))
    };
    let (format, grid, c, l, re, im) =
        read().map_err(|e| bad(format!("damaged statistics: {e}")))?;
    if format != FORMAT && format != LEGACY {
        return Err(bad(format!("format `{format}`, expected `{FORMAT}`")));
    }
    let dims: Vec<usize> = grid.iter().map(|&d| d as usize).collect();
    let grid = Grid::new(&dims, std::f64::consts::TAU).map_err(|e| bad(e.to_string()))?;
    SecondOrder::from_parts(&grid, c, l, &re, &im).map_err(|e| bad(e.to_string()))
}

/// Whether the statistics file at `path` holds the current (biased, v2) estimate rather than a
/// legacy v1 one. Errors as [`read_second_order`] on a file that is not statistics.
pub fn second_order_is_current(path: &Path) -> Result<bool> {
    let bad = |reason: String| Error::bad_file(path, reason);
    let file = hdf5::File::open(path).map_err(|e| bad(format!("not a readable HDF5 file: {e}")))?;
    let format: hdf5::types::VarLenUnicode = file
        .attr("format")
        .and_then(|a| a.read_scalar())
        .map_err(|e| bad(format!("damaged statistics: {e}")))?;
    match format.as_str() {
        FORMAT => Ok(true),
        LEGACY => Ok(false),
        other => Err(bad(format!("format `{other}`, expected `{FORMAT}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_round_trip_and_foreign_files_are_refused() {
        let grid = Grid::plane(4, 6);
        let x = ndarray::Array::from_shape_fn((3, 2, 5, 4, 6), |(b, c, f, y, x)| {
            ((b * 7 + c * 5 + f * 3 + y * 2 + x) % 11) as f32 - 5.0
        })
        .into_dyn();
        let s = SecondOrder::estimate(&x.view(), &grid, 2).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("second_order.h5");
        write_second_order(&path, &s, false).unwrap();
        assert_eq!(read_second_order(&path).unwrap(), s);
        assert!(write_second_order(&path, &s, false).is_err(), "no silent overwrite");
        std::fs::write(dir.path().join("junk.h5"), b"junk").unwrap();
        let e = read_second_order(&dir.path().join("junk.h5")).unwrap_err().to_string();
        assert!(e.contains("junk.h5"), "{e}");
        assert!(second_order_is_current(&path).unwrap());
        // a legacy v1 file still reads, and is told apart; an unknown format is refused
        let relabel = |format: &str| {
            let file = hdf5::File::open_rw(&path).unwrap();
            file.delete_attr("format").unwrap();
            put_str(&file, "format", format).unwrap();
        };
        relabel(LEGACY);
        assert_eq!(read_second_order(&path).unwrap(), s);
        assert!(!second_order_is_current(&path).unwrap());
        relabel("pdd-second-order-v9");
        assert!(read_second_order(&path).is_err() && second_order_is_current(&path).is_err());
    }
}
