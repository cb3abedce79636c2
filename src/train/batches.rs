//! Training data in memory and the deterministic micro-batch plan.
//!
//! Every random choice of micro-batch `m` (global counter `(step − 1)·accum + micro`) is a
//! function of `(seed, m)` alone: which trajectories (an epoch-wise shuffle, dropping the last
//! incomplete batch as the reference's loader), which diffusion indices, which noise. A resumed
//! run therefore replays exactly the batches an uninterrupted run would have seen.

use crate::diffusion::plane_dims;
use crate::error::{Error, Result};
use crate::rng;
use crate::spectral::Grid;
use burn::prelude::*;
use ndarray::{ArrayD, Axis};
use rand::Rng;
use rand::seq::SliceRandom;

const SHUFFLE: u64 = 0x5348_5546; // stream tags, so the three choices are independent
const INDEX: u64 = 0x494e_4458;
const NOISE: u64 = 0x4e4f_4953;
const CROP: u64 = 0x4352_4f50;

/// Standardised trajectories `[N, C, F, *grid]` held in memory.
#[derive(Debug, Clone)]
pub struct TrajectorySet {
    data: ArrayD<f32>,
    grid: Grid,
}

impl TrajectorySet {
    /// Wraps standardised data `[N, C, F, *grid.dims()]`; fails on a shape mismatch, an empty
    /// set or a non-finite value.
    pub fn new(data: ArrayD<f32>, grid: Grid) -> Result<Self> {
        Self::named(data, grid, "training trajectories")
    }

    /// [`new`](Self::new) with the set's name for errors (`the test split of d.h5`), so a
    /// non-finite value is reported where it is.
    pub fn named(data: ArrayD<f32>, grid: Grid, name: &str) -> Result<Self> {
        let s = data.shape();
        if s.len() != 3 + grid.ndim() || &s[3..] != grid.dims() || s[0] == 0 || s[2] < 2 {
            return Err(Error::shape(
                "trajectory set",
                format!("[N ≥ 1, C, F ≥ 2, {:?}]", grid.dims()),
                s,
            ));
        }
        let data = data.as_standard_layout().into_owned();
        crate::error::ensure_finite(data.as_slice().expect("standard layout"), name)?;
        Ok(Self { data, grid })
    }

    /// Number of trajectories `N`.
    pub fn len(&self) -> usize {
        self.data.shape()[0]
    }

    /// Whether the set is empty (never: `new` refuses empty sets).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Channels `C`.
    pub fn channels(&self) -> usize {
        self.data.shape()[1]
    }

    /// Frames `F`.
    pub fn frames(&self) -> usize {
        self.data.shape()[2]
    }

    /// The spatial grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The data `[N, C, F, *grid]`.
    pub fn data(&self) -> &ArrayD<f32> {
        &self.data
    }

    /// The trajectories `indices` as `[B, C, F, *grid]`.
    pub fn gather(&self, indices: &[usize]) -> ArrayD<f32> {
        self.data.select(Axis(0), indices)
    }

    /// The trajectories `indices` as a device tensor `[B, C, F, Ny, Nx]` (`Ny = 1` in 1-D).
    pub fn tensor(&self, indices: &[usize], device: &Device) -> Tensor<5> {
        let b = self.gather(indices);
        let (ny, nx) = plane_dims(&self.grid);
        let shape = [indices.len(), self.channels(), self.frames(), ny, nx];
        Tensor::from_data(TensorData::new(b.into_raw_vec_and_offset().0, shape), device)
    }
}

/// The deterministic schedule of micro-batches (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct BatchPlan {
    /// Trajectories available.
    pub n: usize,
    /// Trajectories per micro-batch.
    pub batch: usize,
    /// Diffusion indices `0 .. steps`.
    pub steps: usize,
    /// The run's seed.
    pub seed: u64,
}

impl BatchPlan {
    /// A plan; fails if there are fewer trajectories than one batch.
    pub fn new(n: usize, batch: usize, steps: usize, seed: u64) -> Result<Self> {
        if batch == 0 || n < batch {
            return Err(Error::config(
                "train.batch_size",
                format!("{batch} is larger than the {n} training trajectories"),
            ));
        }
        Ok(Self { n, batch, steps, seed })
    }

    /// Trajectory indices of micro-batch `m`.
    pub fn indices(&self, m: u64) -> Vec<usize> {
        let per_epoch = (self.n / self.batch) as u64;
        let (epoch, pos) = (m / per_epoch, (m % per_epoch) as usize);
        let mut perm: Vec<usize> = (0..self.n).collect();
        perm.shuffle(&mut rng::stream(self.seed ^ SHUFFLE, epoch));
        perm[pos * self.batch..(pos + 1) * self.batch].to_vec()
    }

    /// Diffusion indices (uniform on `0 .. steps`) of micro-batch `m`.
    pub fn diffusion_indices(&self, m: u64) -> Vec<usize> {
        let mut r = rng::stream(self.seed ^ INDEX, m);
        (0..self.batch).map(|_| r.random_range(0..self.steps)).collect()
    }

    /// First frame of the `len`-frame window of micro-batch `m` in paths of `frames` frames.
    pub fn crop_start(&self, m: u64, frames: usize, len: usize) -> usize {
        if len >= frames {
            0
        } else {
            rng::stream(self.seed ^ CROP, m).random_range(0..=frames - len)
        }
    }

    /// Seed of the forward-process noise of micro-batch `m`.
    pub fn noise_seed(&self, m: u64) -> u64 {
        rng::stream(self.seed ^ NOISE, m).random()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::tensor_to_batch;
    use ndarray::IxDyn;

    #[test]
    fn epochs_cover_every_trajectory_once() {
        let p = BatchPlan::new(10, 3, 1000, 7).unwrap();
        let mut seen: Vec<usize> = (0..3).flat_map(|m| p.indices(m)).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 9); // 3 batches of 3, one trajectory dropped
        assert_eq!(p.indices(5), p.indices(5));
        assert_ne!(p.indices(0), p.indices(3)); // next epoch reshuffles
        assert!(p.diffusion_indices(4).iter().all(|&t| t < 1000));
        assert!(BatchPlan::new(2, 3, 10, 0).is_err());
    }

    #[test]
    fn set_checks_shapes_and_round_trips_through_the_device() {
        let g = Grid::plane(4, 6);
        let a = ArrayD::from_shape_fn(IxDyn(&[3, 1, 2, 4, 6]), |i| {
            (i[0] * 100 + i[2] * 10 + i[4]) as f32
        });
        let s = TrajectorySet::new(a.clone(), g.clone()).unwrap();
        let t = s.tensor(&[2, 0], &Device::flex());
        let back = tensor_to_batch(t, &g).unwrap();
        assert_eq!(back.index_axis(Axis(0), 0), a.index_axis(Axis(0), 2));
        assert!(TrajectorySet::new(a, Grid::plane(4, 5)).is_err());
    }
}
