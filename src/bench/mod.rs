//! Measuring the cost of one training step and one sampler step (`pdd bench`, and the
//! `train_step` / `sampler_step` cargo benches, which call the same code): seconds per step and
//! where the step's time goes (docs/performance.md).
//!
//! The shapes are a preset's: its `[data]` (channels, frames, grid), `[model]` and `[train]`
//! (micro-batch size, gradient accumulation), with the batch overridable. Weights and inputs
//! are random (the cost does not depend on them), so no dataset is needed.

mod sampler_step;
mod train_step;

pub use sampler_step::{SamplerTiming, sampler_step};
pub use train_step::{TrainTiming, peer_config, train_step};

use crate::predictor::ModelConfig;
use crate::presets::Preset;
use crate::spectral::Grid;
use crate::systems::DataConfig;
use crate::train::TrainConfig;
use crate::{Error, Result};
use burn::prelude::*;
use std::time::Instant;

/// The shapes of one preset's training step.
#[derive(Debug, Clone)]
pub struct BenchCase {
    /// The preset's name.
    pub preset: String,
    /// Field channels `C`.
    pub channels: usize,
    /// Frames per training sample `T` (the crop length if the preset crops).
    pub frames: usize,
    /// The spatial grid.
    pub grid: Grid,
    /// The predictor network's configuration.
    pub model: ModelConfig,
    /// Trajectories per micro-batch.
    pub batch: usize,
    /// Micro-batches per optimiser step.
    pub accum: usize,
    /// The training configuration (objective, Adam settings).
    pub train: TrainConfig,
}

impl BenchCase {
    /// The case of preset `name` (a built-in name or a TOML path); `batch` overrides the
    /// preset's micro-batch size.
    pub fn from_preset(name: &str, batch: Option<usize>) -> Result<Self> {
        let p = Preset::load(name)?;
        let sim = DataConfig::from_preset(&p)?.simulator()?;
        let model: ModelConfig = p.section("model")?;
        let train: TrainConfig = p.section("train")?;
        let batch = batch.unwrap_or(train.batch_size);
        if batch == 0 {
            return Err(Error::config("batch", "must be at least 1"));
        }
        Ok(Self {
            preset: p.name.clone(),
            channels: sim.channels().len(),
            frames: train.crop_frames.unwrap_or(sim.frames()),
            grid: sim.output_grid(),
            model,
            batch,
            accum: train.grad_accum.max(1),
            train,
        })
    }

    /// `[Ny, Nx]` of the grid (`Ny = 1` on a line).
    pub fn plane(&self) -> [usize; 2] {
        match self.grid.dims() {
            [nx] => [1, *nx],
            [ny, nx] => [*ny, *nx],
            d => unreachable!("grids have 1 or 2 axes, got {}", d.len()),
        }
    }

    /// Network inputs per micro-batch, `batch × frames`.
    pub fn network_inputs(&self) -> usize {
        self.batch * self.frames
    }
}

/// Seconds spent in `f`, after waiting for `device`'s queued work before and after.
pub(crate) fn timed<R>(device: &Device, f: impl FnOnce() -> R) -> (R, f64) {
    let _ = device.sync();
    let t0 = Instant::now();
    let r = f();
    let _ = device.sync();
    (r, t0.elapsed().as_secs_f64())
}
