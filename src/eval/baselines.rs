//! Loading baseline runs for `pdd eval --baseline RUN_DIR`: the DDPM baselines of paper §4.

use super::report::Baseline;
use crate::baseline::{DdpmModel, DdpmRun};
use crate::diffusion::{plane_dims, tensor_to_batch};
use crate::error::{Error, Result};
use crate::io::Stats;
use crate::progress::NoProgress;
use burn::prelude::*;
use ndarray::{ArrayD, Axis};
use std::path::{Path, PathBuf};

/// A trained DDPM run (`ddpm-sim` or `ddpm-gen`) seen as a [`Baseline`].
///
/// The evaluator works in the standardised units of the PDD run (`stats`); the baseline's own
/// training statistics may differ (another data file of the same system), so paths are mapped
/// through physical units on the way in and out: `x_b = (x·σ + μ − μ_b) / σ_b`.
#[derive(Debug)]
pub struct DdpmBaseline {
    /// The loaded run.
    pub run: DdpmRun,
    /// Standardisation of the paths the evaluator passes (the PDD run's).
    pub stats: Stats,
    device: Device,
}

impl DdpmBaseline {
    /// Loads the DDPM run in `dir` onto `device`; `stats` are the evaluator's standardisation
    /// constants. Refuses PDD runs and runs whose channel count differs from `stats`.
    pub fn load(dir: &Path, stats: &Stats, device: &Device) -> Result<Self> {
        let run = DdpmRun::load(dir, device)
            .map_err(|e| Error::Other(format!("baseline {}: {e}", dir.display())))?;
        if run.config.data.mean.len() != stats.mean.len() {
            return Err(Error::Other(format!(
                "baseline {}: trained on {} channels, the evaluated run has {}",
                dir.display(),
                run.config.data.mean.len(),
                stats.mean.len()
            )));
        }
        Ok(Self { run, stats: stats.clone(), device: device.clone() })
    }

    /// Maps `x` `[B, C, F, *grid]` from the standardisation `from` to `to` (per channel).
    fn restandardise(x: &ArrayD<f32>, from: &Stats, to: &Stats) -> ArrayD<f32> {
        let mut y = x.clone();
        for (c, mut ch) in y.axis_iter_mut(Axis(1)).enumerate() {
            let (a, b) = (from.std[c] / to.std[c], (from.mean[c] - to.mean[c]) / to.std[c]);
            ch.mapv_inplace(|v| (v as f64 * a + b) as f32);
        }
        y
    }

    fn to_device(&self, x: &ArrayD<f32>) -> Result<Tensor<5>> {
        let (ny, nx) = plane_dims(&self.run.config.data.grid()?);
        let s = x.shape();
        if s.len() < 4 || s[3..].iter().product::<usize>() != ny * nx {
            return Err(Error::Other(format!(
                "baseline {}: paths {s:?} do not match its grid {ny}×{nx}",
                self.name()
            )));
        }
        let shape = [s[0], s[1], s[2], ny, nx];
        let data = x.as_standard_layout().iter().copied().collect::<Vec<f32>>();
        Ok(Tensor::from_data(TensorData::new(data, shape), &self.device))
    }
}

impl Baseline for DdpmBaseline {
    fn name(&self) -> String {
        match self.run.model {
            DdpmModel::Sim(_) => "DDPM-sim".into(),
            DdpmModel::Gen(_) => "DDPM-gen".into(),
        }
    }

    fn simulate(&self, x0: &ArrayD<f32>, window: usize, seed: u64) -> Result<Option<ArrayD<f32>>> {
        let DdpmModel::Sim(m) = &self.run.model else { return Ok(None) };
        let frames = x0.shape()[2];
        if m.window > frames {
            return Err(Error::Other(format!(
                "{}: window {} longer than the {frames} test frames",
                self.name(),
                m.window
            )));
        }
        let _ = window; // the baseline conditions on its own window; metrics skip the PDD window
        let own = self.run.stats();
        let x = self.to_device(&Self::restandardise(x0, &self.stats, &own))?;
        let out = self.run.simulate(x, frames - m.window, seed, &NoProgress)?;
        let host = tensor_to_batch(out, &self.run.config.data.grid()?)?;
        Ok(Some(Self::restandardise(&host, &own, &self.stats)))
    }

    fn generate(&self, x0: &ArrayD<f32>, n: usize, seed: u64) -> Result<Option<ArrayD<f32>>> {
        let DdpmModel::Gen(m) = &self.run.model else { return Ok(None) };
        if m.frames != x0.shape()[2] {
            return Err(Error::Other(format!(
                "{}: generates {} frames, the test paths have {}",
                self.name(),
                m.frames,
                x0.shape()[2]
            )));
        }
        let out = self.run.generate(n, seed, &self.device, &NoProgress)?;
        let host = tensor_to_batch(out, &self.run.config.data.grid()?)?;
        Ok(Some(Self::restandardise(&host, &self.run.stats(), &self.stats)))
    }
}

/// Loads every baseline run directory (its `config.toml` `kind` must be `ddpm-sim` or
/// `ddpm-gen`); `stats` are the evaluated PDD run's standardisation constants.
pub fn load_baselines(
    dirs: &[PathBuf],
    stats: &Stats,
    device: &Device,
) -> Result<Vec<Box<dyn Baseline>>> {
    dirs.iter()
        .map(|d| Ok(Box::new(DdpmBaseline::load(d, stats, device)?) as Box<dyn Baseline>))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;

    #[test]
    fn restandardisation_round_trips_through_physical_units() {
        let a = Stats { mean: vec![1.0, -2.0], std: vec![2.0, 0.5] };
        let b = Stats { mean: vec![0.5, 0.0], std: vec![4.0, 1.0] };
        let x = ArrayD::from_shape_fn(IxDyn(&[2, 2, 3, 4]), |i| {
            (i[0] + 2 * i[1] + 3 * i[2] + i[3]) as f32 * 0.1 - 0.7
        });
        let y = DdpmBaseline::restandardise(&x, &a, &b);
        // physical value is the same in both units
        let (v, w) = (x[[1, 1, 2, 3]] as f64, y[[1, 1, 2, 3]] as f64);
        assert!((v * 0.5 - 2.0 - (w * 1.0 + 0.0)).abs() < 1e-6);
        let back = DdpmBaseline::restandardise(&y, &b, &a);
        assert!(x.iter().zip(back.iter()).all(|(p, q)| (p - q).abs() < 1e-5));
    }
}
