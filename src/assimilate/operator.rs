//! Linear observation operators `y = H u + σ_y ε` on paths `[C, F, *grid]` (docs/assimilation.md).
//!
//! Every operator pdd builds acts frame by frame and channel by channel: in frame `f` of
//! channel `c` it reads the field — first filtered by an optional spectral multiplier, the
//! coarse-graining `C_λ` of the forward process — at a set of grid points. The kinds compose:
//! a spatial pattern (every `s`-th point of a line, an `s × s` sub-grid of a plane, or a mask
//! read from HDF5), kept only on every `m`-th frame, optionally of `C_λ u` instead of `u`.
//! Values are in the standardised units of the run's dataset (per-channel `(u − mean)/std`),
//! so σ_y is in standard deviations.

use crate::diffusion::ForwardProcess;
use crate::error::{Error, Result};
use crate::spectral::{Grid, SpectralPlan};
use ndarray::ArrayViewD;

/// A linear observation operator with Gaussian noise that acts per (channel, frame): it reads
/// the (optionally filtered) field at [`points`](Self::points), and adds N(0, σ_y²) noise.
pub trait ObservationOperator {
    /// The grid of the fields it observes.
    fn grid(&self) -> &Grid;
    /// `[C, F]`: channels and frames of the paths it observes.
    fn path_dims(&self) -> [usize; 2];
    /// The observed grid points of channel `c`, frame `f`: flat row-major indices into the
    /// grid, increasing (empty: not observed).
    fn points(&self, channel: usize, frame: usize) -> &[usize];
    /// The real, even spectral multiplier (half spectrum, `grid.half_len()` values) applied to
    /// the field before it is read, if any (`Â_λ` for observations of `C_λ u`).
    fn filter(&self) -> Option<&[f32]>;
    /// σ_y > 0, in the units of the fields.
    fn noise_std(&self) -> f64;

    /// The number of observed values per path.
    fn count(&self) -> usize {
        let [c, f] = self.path_dims();
        (0..c).flat_map(|c| (0..f).map(move |f| (c, f))).map(|(c, f)| self.points(c, f).len()).sum()
    }

    /// Whether each value of a path `[C, F, *grid]` (flattened) is observed.
    fn observed_mask(&self) -> Vec<bool> {
        let [c, f] = self.path_dims();
        let n = self.grid().len();
        let mut mask = vec![false; c * f * n];
        for (block, chunk) in mask.chunks_mut(n).enumerate() {
            for &p in self.points(block / f, block % f) {
                chunk[p] = true;
            }
        }
        mask
    }

    /// `H u` of one path `u` (`C·F·N` values, `[C, F, *grid]` flattened), ordered by channel,
    /// frame, point.
    fn apply(&self, u: &[f32]) -> Result<Vec<f64>> {
        let [c, f] = self.path_dims();
        let n = self.grid().len();
        if u.len() != c * f * n {
            return Err(Error::shape("observation operator: one path", [c * f * n], [u.len()]));
        }
        let plan = SpectralPlan::<f64>::new(self.grid());
        let (mut spec, mut scratch) = (plan.spectrum_buffer(), plan.make_scratch());
        let filter: Option<Vec<f64>> = self.filter().map(|m| m.iter().map(|&v| v.into()).collect());
        let mut out = Vec::with_capacity(self.count());
        let mut field = vec![0.0f64; n];
        for (block, chunk) in u.chunks(n).enumerate() {
            let points = self.points(block / f, block % f);
            if points.is_empty() {
                continue;
            }
            field.iter_mut().zip(chunk).for_each(|(a, &b)| *a = b.into());
            if let Some(m) = &filter {
                plan.apply_multiplier(&mut field, m, &mut spec, &mut scratch);
            }
            out.extend(points.iter().map(|&p| field[p]));
        }
        Ok(out)
    }
}

/// The built-in observation operator (see the module docs for its kinds).
///
/// ```
/// use pdd::assimilate::{ObservationOperator, Observer};
/// use pdd::spectral::Grid;
/// // every 4th point of a 32-point line, on every 2nd of 6 frames, 2 channels, σ_y = 0.1
/// let h = Observer::subgrid(Grid::line(32), [2, 6], 4)?.every_frame(2, 0)?.with_noise(0.1)?;
/// assert_eq!(h.count(), 2 * 3 * 8);
/// assert_eq!(h.points(0, 2), &[0, 4, 8, 12, 16, 20, 24, 28]);
/// assert!(h.points(0, 1).is_empty());
/// # Ok::<(), pdd::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Observer {
    grid: Grid,
    dims: [usize; 2],
    /// Per block `c·F + f`.
    points: Vec<Vec<usize>>,
    filter: Option<(f64, Vec<f32>)>,
    noise_std: f64,
    noise_set: bool,
}

impl Observer {
    /// Every `stride`-th grid point in each axis (1-D: every `s`-th point; 2-D: the `s × s`
    /// sub-grid), starting at 0, in every frame of every channel of paths `[C, F, *grid]`;
    /// σ_y = 1 until [`with_noise`](Self::with_noise).
    pub fn subgrid(grid: Grid, dims: [usize; 2], stride: usize) -> Result<Self> {
        if stride == 0 || grid.dims().iter().any(|&n| stride > n) {
            return Err(Error::config(
                "obs.points",
                format!(
                    "the stride must be in 1 ..= the grid size {:?}, got {stride}",
                    grid.dims()
                ),
            ));
        }
        let nx = *grid.dims().last().expect("a grid has axes");
        let pattern: Vec<usize> = (0..grid.len())
            .filter(|&p| (p % nx).is_multiple_of(stride) && (p / nx).is_multiple_of(stride))
            .collect();
        Self::new(grid, dims, vec![pattern; dims[0] * dims[1]])
    }

    /// The points where `mask` `[C, F, *grid]` is non-zero.
    pub fn from_mask(grid: Grid, mask: &ArrayViewD<u8>) -> Result<Self> {
        let s = mask.shape();
        if s.len() != 2 + grid.ndim() || &s[2..] != grid.dims() {
            let want = format!("[C, F, {:?}]", grid.dims());
            return Err(Error::shape("observation mask", want, s));
        }
        let (dims, n) = ([s[0], s[1]], grid.len());
        let flat: Vec<u8> = mask.as_standard_layout().iter().copied().collect();
        let points =
            flat.chunks(n).map(|c| (0..n).filter(|&p| c[p] != 0).collect::<Vec<_>>()).collect();
        Self::new(grid, dims, points)
    }

    fn new(grid: Grid, dims: [usize; 2], points: Vec<Vec<usize>>) -> Result<Self> {
        let out = Self { grid, dims, points, filter: None, noise_std: 1.0, noise_set: false };
        out.check_observes()?;
        Ok(out)
    }

    fn check_observes(&self) -> Result<()> {
        if self.count() == 0 {
            return Err(Error::config("obs", "the observation operator observes nothing"));
        }
        Ok(())
    }

    /// Keeps only frames `f ≡ offset (mod m)`. Fails if then nothing is observed.
    pub fn every_frame(mut self, m: usize, offset: usize) -> Result<Self> {
        if m == 0 || offset >= m {
            return Err(Error::config(
                "obs.frames",
                format!("needs m ≥ 1 and offset < m, got m = {m}, offset = {offset}"),
            ));
        }
        let f = self.dims[1];
        for (block, pts) in self.points.iter_mut().enumerate() {
            if (block % f) % m != offset {
                pts.clear();
            }
        }
        self.check_observes()?;
        Ok(self)
    }

    /// Observes `C_λ u` (the forward process's noise-free coarse-graining at `lambda`) instead of
    /// `u`, so that dense coarse observations make super-resolution.
    pub fn coarse_grained(mut self, process: &ForwardProcess, lambda: f64) -> Result<Self> {
        if process.grid() != &self.grid {
            return Err(Error::config("obs.coarse", "the process is on another grid"));
        }
        let index = process.index_of(lambda)?;
        self.filter = Some((lambda, process.damping(index).to_vec()));
        Ok(self)
    }

    /// Sets σ_y (finite, > 0).
    pub fn with_noise(mut self, noise_std: f64) -> Result<Self> {
        if !(noise_std > 0.0 && noise_std.is_finite()) {
            return Err(Error::config(
                "obs.sigma",
                format!("σ_y must be finite and > 0, got {noise_std}"),
            ));
        }
        self.noise_std = noise_std;
        self.noise_set = true;
        Ok(self)
    }

    /// Whether σ_y was set ([`with_noise`](Self::with_noise), or a file's `noise_std`).
    pub fn has_noise(&self) -> bool {
        self.noise_set
    }

    /// The λ of the coarse-graining filter, if any.
    pub fn coarse_lambda(&self) -> Option<f64> {
        self.filter.as_ref().map(|(l, _)| *l)
    }

    /// The mask `[C, F, *grid]` (1 = observed), as written to observation files.
    pub fn mask(&self) -> ndarray::ArrayD<u8> {
        let mut shape = vec![self.dims[0], self.dims[1]];
        shape.extend_from_slice(self.grid.dims());
        let flat = self.observed_mask().iter().map(|&b| u8::from(b)).collect();
        ndarray::ArrayD::from_shape_vec(shape, flat).expect("sizes match")
    }
}

impl ObservationOperator for Observer {
    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn path_dims(&self) -> [usize; 2] {
        self.dims
    }

    fn points(&self, channel: usize, frame: usize) -> &[usize] {
        &self.points[channel * self.dims[1] + frame]
    }

    fn filter(&self) -> Option<&[f32]> {
        self.filter.as_ref().map(|(_, m)| m.as_slice())
    }

    fn noise_std(&self) -> f64 {
        self.noise_std
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_compose_and_bad_specs_are_refused() {
        let g = Grid::plane(8, 8);
        let h = Observer::subgrid(g.clone(), [1, 4], 4).unwrap();
        assert_eq!(h.points(0, 0), &[0, 4, 32, 36]);
        let h = h.every_frame(2, 1).unwrap();
        assert_eq!(h.count(), 8);
        assert!(h.points(0, 0).is_empty() && !h.points(0, 3).is_empty());
        assert!(Observer::subgrid(g.clone(), [1, 4], 0).is_err());
        assert!(Observer::subgrid(g.clone(), [1, 1], 2).unwrap().every_frame(2, 1).is_err());
        for bad in [0.0, -1.0, f64::NAN] {
            let e = Observer::subgrid(g.clone(), [1, 1], 2).unwrap().with_noise(bad).unwrap_err();
            assert!(e.to_string().contains("σ_y"), "{e}");
        }
        let empty = ndarray::ArrayD::<u8>::zeros(ndarray::IxDyn(&[1, 2, 8, 8]));
        let e = Observer::from_mask(g.clone(), &empty.view()).unwrap_err().to_string();
        assert!(e.contains("observes nothing"), "{e}");
        let wrong = ndarray::ArrayD::<u8>::ones(ndarray::IxDyn(&[1, 2, 8, 4]));
        assert!(Observer::from_mask(g, &wrong.view()).is_err());
    }

    #[test]
    fn apply_reads_the_filtered_field_at_the_points() {
        let g = Grid::line(16);
        let p = ForwardProcess::builder().grid(g.clone()).alpha(0.1).build().unwrap();
        let h = Observer::subgrid(g.clone(), [1, 2], 4).unwrap();
        let u: Vec<f32> = (0..32).map(|i| (i as f32 * 0.7).sin()).collect();
        let y = h.apply(&u).unwrap();
        assert_eq!(y.len(), 8);
        assert_eq!(y[5] as f32, u[16 + 4]);
        // a constant field is unchanged by C_λ (Â(0) = 1)
        let c = h.clone().coarse_grained(&p, 0.5).unwrap();
        assert_eq!(
            c.apply(&[2.0; 32]).unwrap().iter().filter(|v| (*v - 2.0).abs() < 1e-6).count(),
            8
        );
        // a mask round trip
        let m = Observer::from_mask(g, &h.mask().view()).unwrap();
        assert_eq!(m.observed_mask(), h.observed_mask());
        assert!(h.apply(&u[..31]).is_err());
    }
}
