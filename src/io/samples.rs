//! HDF5 files of generated paths (`pdd simulate|generate|super-resolve --out FILE.h5`).
//!
//! Layout: `/samples` f32 `[N, C, F, *grid]` in physical (dimensional) units, and one string
//! attribute per setting (λ, steps, seed, run directory, …), plus `format = "pdd-samples"`.
//! Written to a temporary file and renamed when complete.

use super::atomic::AtomicFile;
use super::dataset::{h5err as h5, put_str};
use crate::error::{Error, Result};
use hdf5::types::VarLenUnicode;
use ndarray::{ArrayD, ArrayViewD};
use std::path::Path;

/// Writes `samples` `[N, C, F, *grid]` and the `(name, value)` settings to `path`.
pub fn write_samples(
    path: &Path,
    samples: &ArrayViewD<f32>,
    settings: &[(&str, String)],
    overwrite: bool,
) -> Result<()> {
    let file = AtomicFile::new(path, overwrite)?;
    {
        let f = hdf5::File::create(file.temp_path()).map_err(h5(path))?;
        let data = samples.as_standard_layout();
        let ds = f.new_dataset::<f32>().shape(data.shape()).create("samples").map_err(h5(path))?;
        ds.write(&data).map_err(h5(path))?;
        let mut all: Vec<(&str, String)> = vec![
            ("format", "pdd-samples".into()),
            ("pdd_version", env!("CARGO_PKG_VERSION").into()),
        ];
        all.extend(settings.iter().cloned());
        for (k, v) in all {
            put_str(&f, k, &v).map_err(h5(path))?;
        }
    }
    file.commit()
}

/// String attributes of a samples file, as `(name, value)` pairs.
pub type Attributes = Vec<(String, String)>;

/// Reads `/samples` and the string attributes of a file written by [`write_samples`].
pub fn read_samples(path: &Path) -> Result<(ArrayD<f32>, Attributes)> {
    if !path.exists() {
        return Err(Error::bad_file(path, "no such file"));
    }
    let f = hdf5::File::open(path)
        .map_err(|e| Error::bad_file(path, format!("not an HDF5 file: {e}")))?;
    let ds = f
        .dataset("samples")
        .map_err(|_| Error::bad_file(path, "no /samples dataset (not a pdd samples file)"))?;
    let data = ds.read_dyn::<f32>().map_err(h5(path))?;
    let mut attrs = Vec::new();
    for name in f.attr_names().map_err(h5(path))? {
        if let Ok(v) = f.attr(&name).and_then(|a| a.read_scalar::<VarLenUnicode>()) {
            attrs.push((name, v.as_str().to_string()));
        }
    }
    Ok((data, attrs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.h5");
        let a = ArrayD::from_shape_fn(ndarray::IxDyn(&[2, 1, 3, 4]), |i| {
            (i[0] * 100 + i[2] * 10 + i[3]) as f32
        });
        write_samples(&p, &a.view(), &[("lambda", "0.2".into())], false).unwrap();
        let (b, attrs) = read_samples(&p).unwrap();
        assert_eq!(a, b);
        assert!(attrs.iter().any(|(k, v)| k == "lambda" && v == "0.2"));
        assert!(matches!(write_samples(&p, &a.view(), &[], false), Err(Error::Exists(_))));
        std::fs::write(dir.path().join("bad.h5"), b"not hdf5").unwrap();
        assert!(read_samples(&dir.path().join("bad.h5")).is_err());
    }
}
