//! Observed values `y` of a set of paths, generated from test paths or read from HDF5.
//!
//! File layout (written by [`Observations::write`], writable by h5py):
//!
//! * `/mask` — uint8 `[C, F, *grid]`, 1 where observed (the same points for every path);
//! * `/values` — float32 `[P, C, F, *grid]`: the observed values of `P` paths in the run's
//!   **standardised** units (per channel `(u − mean)/std` with the dataset's statistics, the
//!   units the sampler works in); entries where the mask is 0 are ignored (pdd writes NaN);
//! * attribute `noise_std` (float64, > 0): σ_y in standardised units (standard deviations);
//! * attribute `coarse_lambda` (float64, optional): the values observe `C_λ u` at that λ.
//!
//! ```python
//! import h5py, numpy as np
//! with h5py.File("obs.h5", "w") as f:
//!     f["mask"] = mask.astype(np.uint8)          # [C, F, L] (1-D) or [C, F, Ny, Nx]
//!     f["values"] = values.astype(np.float32)    # [P, C, F, ...], standardised
//!     f.attrs["noise_std"] = 0.1
//! ```

use super::operator::{ObservationOperator, Observer};
use crate::diffusion::ForwardProcess;
use crate::error::{Error, Result};
use crate::io::AtomicFile;
use ndarray::{Array2, ArrayD, ArrayView1, ArrayViewD, Axis, IxDyn};
use std::path::Path;

/// The observations `y = H u + σ_y ε` of `P` paths: the operator and the values `[P, M]`
/// (`M = H.count()`, ordered by channel, frame, point).
#[derive(Debug, Clone)]
pub struct Observations {
    operator: Observer,
    values: Array2<f64>,
}

impl Observations {
    /// Wraps `values` `[P, M]`. Errors: `M ≠ operator.count()`, no path, NaN.
    pub fn new(operator: Observer, values: Array2<f64>) -> Result<Self> {
        if values.ncols() != operator.count() || values.nrows() == 0 {
            let want = format!("[P ≥ 1, {}]", operator.count());
            return Err(Error::shape("observation values", want, values.shape()));
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { context: "observation values".into() });
        }
        Ok(Self { operator, values })
    }

    /// Observes the paths `truth` `[P, C, F, *grid]` (standardised) with noise drawn from
    /// `rng::stream(seed, p)` for path `p`.
    pub fn from_truth(operator: Observer, truth: &ArrayViewD<f32>, seed: u64) -> Result<Self> {
        let want = path_shape(&operator, None);
        if truth.ndim() != want.len() + 1 || truth.shape()[1..] != want[..] {
            return Err(Error::shape("truth paths for observations", ("P", want), truth.shape()));
        }
        if truth.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { context: "truth paths for observations".into() });
        }
        let m = operator.count();
        let mut values = Array2::zeros((truth.shape()[0], m));
        let mut noise = vec![0.0f64; m];
        for (p, path) in truth.axis_iter(Axis(0)).enumerate() {
            let flat: Vec<f32> = path.iter().copied().collect();
            let clean = operator.apply(&flat)?;
            crate::rng::fill_normal(&mut crate::rng::stream(seed, p as u64), &mut noise);
            for ((v, c), e) in values.row_mut(p).iter_mut().zip(clean).zip(&noise) {
                *v = c + operator.noise_std() * e;
            }
        }
        Self::new(operator, values)
    }

    /// The operator `H`.
    pub fn operator(&self) -> &Observer {
        &self.operator
    }

    /// The number of paths `P`.
    pub fn paths(&self) -> usize {
        self.values.nrows()
    }

    /// The values of path `p` (`M`).
    pub fn values(&self, p: usize) -> ArrayView1<'_, f64> {
        self.values.row(p)
    }

    /// The values as fields `[P, C, F, *grid]` (NaN where not observed).
    pub fn to_fields(&self) -> ArrayD<f32> {
        let shape = path_shape(&self.operator, Some(self.paths()));
        let n = self.operator.grid().len();
        let mut out = ArrayD::from_elem(IxDyn(&shape), f32::NAN);
        let per_path: usize = shape[1..].iter().product();
        let flat = out.as_slice_mut().expect("standard layout");
        let f = self.operator.path_dims()[1];
        for (p, chunk) in flat.chunks_mut(per_path).enumerate() {
            let mut v = self.values.row(p).into_iter();
            for (block, field) in chunk.chunks_mut(n).enumerate() {
                for &q in self.operator.points(block / f, block % f) {
                    field[q] = *v.next().expect("M values") as f32;
                }
            }
        }
        out
    }

    /// Writes the file layout of the module docs, atomically (`overwrite`: replace an existing
    /// file).
    pub fn write(&self, path: &Path, overwrite: bool) -> Result<()> {
        let file = AtomicFile::new(path, overwrite)?;
        let h5 = crate::io::dataset::h5err(path);
        {
            let f = hdf5::File::create(file.temp_path()).map_err(&h5)?;
            let mask = self.operator.mask();
            f.new_dataset::<u8>()
                .shape(mask.shape())
                .create("mask")
                .map_err(&h5)?
                .write(&mask)
                .map_err(&h5)?;
            let values = self.to_fields();
            let ds = f.new_dataset::<f32>().shape(values.shape()).create("values").map_err(&h5)?;
            ds.write(&values).map_err(&h5)?;
            let sigma = f.new_attr::<f64>().shape(()).create("noise_std").map_err(&h5)?;
            sigma.write_scalar(&self.operator.noise_std()).map_err(&h5)?;
            if let Some(l) = self.operator.coarse_lambda() {
                let a = f.new_attr::<f64>().shape(()).create("coarse_lambda").map_err(&h5)?;
                a.write_scalar(&l).map_err(&h5)?;
            }
        }
        file.commit()
    }

    /// Reads a file of the module docs' layout for paths on `process`'s grid.
    pub fn read(path: &Path, process: &ForwardProcess) -> Result<Self> {
        let f = open(path)?;
        let operator = read_mask(&f, path, process)?;
        let values = f
            .dataset("values")
            .and_then(|d| d.read_dyn::<f32>())
            .map_err(|e| Error::bad_file(path, format!("no readable float32 /values: {e}")))?;
        let want = path_shape(&operator, None);
        if values.ndim() != want.len() + 1 || values.shape()[1..] != want[..] {
            let msg = format!("/values has shape {:?}, expected [P, {want:?}]", values.shape());
            return Err(Error::bad_file(path, msg));
        }
        let mask = operator.observed_mask();
        let rows: Vec<Vec<f64>> = values
            .axis_iter(Axis(0))
            .map(|v| v.iter().zip(&mask).filter(|(_, m)| **m).map(|(x, _)| f64::from(*x)).collect())
            .collect();
        let (p, m) = (rows.len(), operator.count());
        let flat: Vec<f64> = rows.into_iter().flatten().collect();
        if flat.iter().any(|v| !v.is_finite()) {
            return Err(Error::bad_file(path, "/values is NaN or infinite at an observed point"));
        }
        Self::new(operator, Array2::from_shape_vec((p, m), flat).expect("sizes match"))
    }
}

fn open(path: &Path) -> Result<hdf5::File> {
    if !path.exists() {
        return Err(Error::bad_file(path, "no such file"));
    }
    hdf5::File::open(path).map_err(|e| Error::bad_file(path, format!("not an HDF5 file: {e}")))
}

/// `[C, F, *grid]`, with `[P]` in front when given.
fn path_shape(operator: &Observer, paths: Option<usize>) -> Vec<usize> {
    let mut s: Vec<usize> = paths.into_iter().collect();
    s.extend(operator.path_dims());
    s.extend_from_slice(operator.grid().dims());
    s
}

/// The operator of an observation file (or of a mask file: `/mask` with the attributes
/// `noise_std` and `coarse_lambda` optional; σ_y is then 1 until set).
fn read_mask(f: &hdf5::File, path: &Path, process: &ForwardProcess) -> Result<Observer> {
    let mask = f
        .dataset("mask")
        .and_then(|d| d.read_dyn::<u8>())
        .map_err(|e| Error::bad_file(path, format!("no readable uint8 /mask: {e}")))?;
    let bad = |e: Error| Error::bad_file(path, e.to_string());
    let mut op = Observer::from_mask(process.grid().clone(), &mask.view()).map_err(bad)?;
    if let Ok(a) = f.attr("coarse_lambda") {
        let l = a.read_scalar::<f64>().map_err(crate::io::dataset::h5err(path))?;
        op = op.coarse_grained(process, l).map_err(bad)?;
    }
    if let Ok(a) = f.attr("noise_std") {
        let s = a.read_scalar::<f64>().map_err(crate::io::dataset::h5err(path))?;
        op = op.with_noise(s).map_err(bad)?;
    }
    Ok(op)
}

/// Reads the operator of a mask file (`/mask` uint8 `[C, F, *grid]`, optional attributes
/// `noise_std`, `coarse_lambda`; see the module docs) for paths on `process`'s grid.
pub fn read_mask_file(path: &Path, process: &ForwardProcess) -> Result<Observer> {
    read_mask(&open(path)?, path, process)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::Grid;

    #[test]
    fn round_trip_and_refusals() {
        let g = Grid::line(16);
        let p = ForwardProcess::builder().grid(g.clone()).alpha(0.1).build().unwrap();
        let h = Observer::subgrid(g, [2, 3], 4).unwrap().every_frame(2, 0).unwrap();
        let h = h.with_noise(0.1).unwrap();
        let truth = ArrayD::from_shape_fn(IxDyn(&[2, 2, 3, 16]), |i| (i[3] as f32 * 0.3).sin());
        let obs = Observations::from_truth(h, &truth.view(), 5).unwrap();
        assert_eq!(obs.values(1).len(), 2 * 2 * 4);
        // noise of about σ_y around the truth
        let err: f64 = obs
            .values(0)
            .iter()
            .zip(obs.operator().apply(truth.index_axis(Axis(0), 0).as_slice().unwrap()).unwrap())
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            / 16.0;
        assert!(err > 1e-4 && err < 0.05, "{err}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("obs.h5");
        obs.write(&file, false).unwrap();
        assert!(matches!(obs.write(&file, false), Err(Error::Exists(_))));
        let back = Observations::read(&file, &p).unwrap();
        assert_eq!(back.operator().observed_mask(), obs.operator().observed_mask());
        assert_eq!(back.operator().noise_std(), 0.1);
        let d = (&back.values - &obs.values).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(d < 1e-6, "{d}");
        // a truth of the wrong shape, a missing file
        let wrong = ArrayD::<f32>::zeros(IxDyn(&[2, 2, 3, 8]));
        assert!(Observations::from_truth(obs.operator().clone(), &wrong.view(), 0).is_err());
        assert!(Observations::read(&dir.path().join("none.h5"), &p).is_err());
    }
}
