//! Writing a dataset file: the physics of [`crate::systems`] run trajectory by trajectory
//! ([`simulate_range`]) into a [`DatasetWriter`].

use super::{DatasetWriter, FieldLayout, Metadata};
use crate::error::Result;
use crate::progress::Progress;
use crate::systems::{DataConfig, Shard, check_size, shard_range, simulate_range};
use std::path::Path;

/// Generates the dataset of `config` (or its `shard`) into the HDF5 file `out`, labelled with
/// `preset`. The file appears under its name only when complete; an existing file is replaced
/// only with `overwrite`. Returns the file's metadata.
pub fn generate(
    config: &DataConfig,
    preset: &str,
    out: &Path,
    shard: Option<Shard>,
    overwrite: bool,
    progress: &dyn Progress,
) -> Result<Metadata> {
    let sim = config.simulator()?;
    check_size(config.trajectories, sim.trajectory_len())?;
    let range = shard.map_or(0..config.trajectories, |s| shard_range(config.trajectories, s));
    let layout = FieldLayout {
        grid: sim.output_grid(),
        channels: sim.channels(),
        frames: sim.frames(),
        frame_dt: sim.frame_dt(),
    };
    let meta = Metadata::new(config, preset, layout, range.clone(), shard.filter(|s| s.count > 1));
    let mut writer = DatasetWriter::create(out, meta, overwrite)?;
    simulate_range(sim.as_ref(), config.seed, range, progress, |_, t| writer.push(t))?;
    writer.finish()
}
