//! Parallel, deterministic, shardable generation of a dataset.
//!
//! Trajectory `i` is integrated from an initial condition drawn from `rng::stream(seed, i)`, so
//! its numbers do not depend on the thread count, the order of work, or the shard it falls in.
//! Trajectories run in parallel on the current rayon pool (wrap a call in
//! `ThreadPool::install` to choose the threads) and are delivered to the writer in index order,
//! so the statistics are accumulated in the same order every time and the file is identical.
//!
//! `--shard i/n` (0-based `i`) generates the index range `[⌊iN/n⌋, ⌊(i+1)N/n⌋)`: the shards of
//! one dataset are disjoint, cover `[0, N)`, and [`crate::io::merge`] joins them into the file a
//! single run writes.

use super::{DataConfig, Simulator};
use crate::error::{Error, Result};
use crate::progress::Progress;
use rayon::prelude::*;
use std::ops::Range;
use std::str::FromStr;

/// Shard `index` of `count` (0-based), written `index/count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based shard number, `< count`.
    pub index: usize,
    /// Number of shards, `≥ 1`.
    pub count: usize,
}

impl FromStr for Shard {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::config("shard", format!("expected `i/n` with 0 ≤ i < n, got `{s}`"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The global trajectory indices of `shard` of a dataset of `total` trajectories.
pub fn shard_range(total: usize, shard: Shard) -> Range<usize> {
    (shard.index * total / shard.count)..((shard.index + 1) * total / shard.count)
}

/// Integrates trajectories `range` of a dataset with `seed` in parallel and hands each to
/// `sink(index, trajectory)` in increasing index order (`trajectory`: `[C, F, *grid]`).
///
/// Stops at the first failing trajectory (in index order) with its error.
pub fn simulate_range(
    sim: &dyn Simulator,
    seed: u64,
    range: Range<usize>,
    progress: &dyn Progress,
    mut sink: impl FnMut(usize, &[f32]) -> Result<()>,
) -> Result<()> {
    let len = sim.trajectory_len();
    let block = 4 * rayon::current_num_threads().max(1);
    progress.start("simulate", range.len() as u64);
    // blocks of indices, never the whole range at once (it may be huge)
    let blocks = range
        .clone()
        .step_by(block)
        .map(|start| (start..(start + block).min(range.end)).collect::<Vec<_>>());
    for chunk in blocks {
        let results: Vec<Result<Vec<f32>>> = chunk
            .par_iter()
            .map(|&i| {
                let mut out = vec![0f32; len];
                sim.simulate(i, &mut crate::rng::stream(seed, i as u64), &mut out)?;
                progress.advance(1);
                Ok(out)
            })
            .collect();
        for (&i, r) in chunk.iter().zip(results) {
            sink(i, &r?)?;
        }
    }
    progress.finish();
    Ok(())
}

/// Integrates trajectories `range` of `config` into memory: `[B, C, F, *grid]`.
pub fn simulate_batch(
    config: &DataConfig,
    range: Range<usize>,
    progress: &dyn Progress,
) -> Result<ndarray::ArrayD<f32>> {
    let sim = config.simulator()?;
    let shape = [
        vec![range.len()],
        vec![sim.channels().len(), sim.frames()],
        sim.output_grid().dims().to_vec(),
    ]
    .concat();
    let mut data = Vec::with_capacity(shape.iter().product());
    simulate_range(sim.as_ref(), config.seed, range, progress, |_, t| {
        data.extend_from_slice(t);
        Ok(())
    })?;
    Ok(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data).expect("sizes agree"))
}

/// The largest dataset [`crate::io::generate`] writes: 1 PiB.
pub const MAX_DATASET_BYTES: u128 = 1 << 50;

/// Refuses, before any work, a dataset of `trajectories` × `len` f32 values beyond
/// [`MAX_DATASET_BYTES`] (a mistyped `--trajectories` would otherwise abort the process).
pub fn check_size(trajectories: usize, len: usize) -> Result<()> {
    let bytes = trajectories as u128 * len as u128 * 4;
    if bytes > MAX_DATASET_BYTES {
        return Err(Error::config(
            "data.trajectories",
            format!(
                "{trajectories} trajectories would take {:.3e} bytes (the limit is 1 PiB)",
                bytes as f64
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition() {
        assert_eq!("1/3".parse::<Shard>().unwrap(), Shard { index: 1, count: 3 });
        for bad in ["3/3", "1", "a/b", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        for total in [0, 1, 7, 100] {
            for count in 1..6 {
                let mut next = 0;
                for index in 0..count {
                    let r = shard_range(total, Shard { index, count });
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }
}
