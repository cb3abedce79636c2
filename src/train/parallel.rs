//! Data-parallel training (docs/scaling.md): one replica of the model per device, each
//! computing the loss and gradients of a contiguous shard of every micro-batch; the gradients
//! are reduced (weighted by shard size) and the trainer applies one optimiser step.
//!
//! The result equals single-device training with the same global batch up to float summation
//! order: every shard draws the diffusion indices and noise its rows get in the whole
//! micro-batch ([`TrainObjective::shard_loss`]).

use super::batches::{BatchPlan, TrajectorySet};
use super::config::TrainConfig;
use super::objective::{Shard, TrainObjective};
use crate::backend::DeviceChoice;
use crate::error::{Error, Result};
use burn::module::{Module, ModuleMapper, Param};
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::prelude::*;
use burn::tensor::distributed::{DistributedConfig, DistributedContext, ReduceOperation};

/// How the replicas' gradients are combined (`pdd train --reduce`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum Reduce {
    /// Every replica's gradients are moved to the main (first) device and summed there,
    /// weighted by shard size. Works on every backend.
    #[default]
    Main,
    /// burn's collective engine (`DistributedContext`, an all-reduce inside the backward pass).
    /// burn 0.22.1 implements it for CUDA devices only; on CPU (`flex`) and wgpu it is refused
    /// (docs/scaling.md cites the sources).
    Collective,
}

impl Reduce {
    /// The command-line spelling (`main`, `collective`).
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl std::str::FromStr for Reduce {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        crate::error::parse_named(s, "reduce", "reduce")
    }
}

impl std::fmt::Display for Reduce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The replicas of data-parallel training: one per entry of `devices` (non-autodiff; the
/// first is the main device, which holds the optimiser and writes checkpoints), and how their
/// gradients are reduced. A single device is ordinary training.
#[derive(Debug, Clone)]
pub struct ParallelConfig {
    /// The replicas' devices (at least one; a device may repeat: CPU replicas all use `flex`).
    pub devices: Vec<Device>,
    /// How gradients are combined.
    pub reduce: Reduce,
}

/// The most data-parallel replicas `--devices N` may ask for (each holds a model copy).
pub const MAX_REPLICAS: usize = 1024;

impl ParallelConfig {
    /// Ordinary training on `device`.
    pub fn single(device: Device) -> Self {
        Self { devices: vec![device], reduce: Reduce::Main }
    }

    /// Replicas on `devices`; refuses an empty list, and [`Reduce::Collective`] on devices
    /// burn 0.22.1 has no collective for (anything but CUDA).
    pub fn new(devices: Vec<Device>, reduce: Reduce) -> Result<Self> {
        if devices.is_empty() {
            return Err(Error::config("devices", "give at least one device (--devices 1 or more)"));
        }
        if reduce == Reduce::Collective
            && let Some(d) = devices.iter().find(|d| !has_collective(d))
        {
            return Err(Error::config(
                "reduce",
                format!(
                    "burn 0.22.1 has no collective all-reduce for {d:?} (only CUDA devices have one; \
                     see docs/scaling.md); use --reduce main"
                ),
            ));
        }
        Ok(Self { devices, reduce })
    }

    /// Replicas from the command line's `--devices`: a count `N` (`N` devices of `choice`: `N`
    /// CPU replicas, or CUDA devices `0 .. N`) or a comma-separated list of `cpu`, `cuda:K`,
    /// `wgpu` (e.g. `cuda:0,cuda:1`).
    pub fn parse(spec: &str, choice: DeviceChoice, reduce: Reduce) -> Result<Self> {
        let spec = spec.trim();
        let devices = if let Ok(n) = spec.parse::<usize>() {
            if n == 0 {
                return Err(Error::config(
                    "devices",
                    "--devices 0: training needs at least one device",
                ));
            }
            if n > MAX_REPLICAS {
                return Err(Error::config(
                    "devices",
                    format!(
                        "--devices {n}: at most {MAX_REPLICAS} replicas (each holds a copy of the \
                         model and its gradients; the list alone would not fit in memory)"
                    ),
                ));
            }
            (0..n).map(|i| indexed(choice, i)).collect::<Result<Vec<_>>>()?
        } else {
            spec.split(',').map(|item| listed(item.trim())).collect::<Result<Vec<_>>>()?
        };
        Self::new(devices, reduce)
    }

    /// Number of replicas.
    pub fn replicas(&self) -> usize {
        self.devices.len()
    }

    /// The main device (the first).
    pub fn main_device(&self) -> &Device {
        &self.devices[0]
    }

    /// The contiguous shards of a micro-batch of `batch` paths, one per replica in order:
    /// sizes `⌈batch/N⌉` for the first `batch mod N` replicas and `⌊batch/N⌋` for the rest (a
    /// batch not divisible by `N` is fine: gradients are weighted by shard size). Refuses a
    /// batch smaller than the number of replicas.
    pub fn shards(&self, batch: usize) -> Result<Vec<Shard>> {
        let n = self.replicas();
        if batch < n {
            return Err(Error::config(
                "devices",
                format!(
                    "a micro-batch of {batch} paths cannot be split across {n} replicas (each needs one path \
                     or more); use fewer --devices or a larger --batch"
                ),
            ));
        }
        let (q, r) = (batch / n, batch % n);
        let mut start = 0;
        Ok((0..n)
            .map(|i| {
                let len = q + usize::from(i < r);
                let shard = Shard { rows: start..start + len, of: batch };
                start += len;
                shard
            })
            .collect())
    }
}

/// Whether burn 0.22.1 has a collective all-reduce for `device` (CUDA only).
fn has_collective(device: &Device) -> bool {
    #[cfg(feature = "cuda")]
    {
        (0..64usize).any(|i| *device == Device::cuda(i))
    }
    #[cfg(not(feature = "cuda"))]
    {
        let _ = device;
        false
    }
}

/// Device number `i` of `choice` (for `--devices N`).
fn indexed(choice: DeviceChoice, i: usize) -> Result<Device> {
    let main = choice.device()?;
    if i == 0 || main == Device::flex() {
        return Ok(main);
    }
    #[cfg(feature = "cuda")]
    if main == Device::cuda(0) {
        return Ok(Device::cuda(i));
    }
    Err(Error::config(
        "devices",
        format!(
            "--devices {} with --device {choice}: only CPU and CUDA devices are numbered; give a list",
            i + 1
        ),
    ))
}

/// One entry of a `--devices` list: `cpu`, `wgpu`, `cuda` or `cuda:K`.
fn listed(item: &str) -> Result<Device> {
    let (name, index) = match item.split_once(':') {
        Some((n, k)) => {
            let k = k.parse::<usize>().map_err(|_| {
                Error::config("devices", format!("`{item}`: the index after `:` must be a number"))
            })?;
            (n, k)
        }
        None => (item, 0),
    };
    let choice: DeviceChoice = name.parse()?;
    indexed(choice, index)
}

/// Marks every parameter as distributed, so burn's backward all-reduces its gradient (the
/// mapper burn-train's DDP strategy applies, `learner/sharder.rs`).
struct Distributed;

impl ModuleMapper for Distributed {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        Param::from_mapped_value(id, tensor.set_distributed(id), mapper)
    }
}

/// Loss components of one micro-batch (host scalars, already weighted by shard share).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MicroLoss {
    /// The minimised total.
    pub total: f64,
    /// The drift term.
    pub drift: f64,
    /// The noise term (NaN without one).
    pub noise: f64,
}

/// The replicas of one training call: their objectives (moved to their devices), shards and,
/// for [`Reduce::Collective`], burn's communication context.
pub(crate) struct Replicas<'a, O: TrainObjective> {
    config: &'a ParallelConfig,
    objective: &'a O,
    moved: Vec<Option<O>>,
    shards: Vec<Shard>,
    _context: Option<DistributedContext>,
}

impl<'a, O: TrainObjective + Sync> Replicas<'a, O> {
    /// Replicas of `objective` on `config`'s devices for micro-batches of `batch` paths.
    pub(crate) fn new(objective: &'a O, config: &'a ParallelConfig, batch: usize) -> Result<Self> {
        let shards = config.shards(batch)?;
        let main = config.main_device();
        let moved = config
            .devices
            .iter()
            .map(|d| if d == main { Ok(None) } else { objective.on_device(d).map(Some) })
            .collect::<Result<Vec<_>>>()?;
        let context = (config.reduce == Reduce::Collective && config.replicas() > 1).then(|| {
            let devices = config.devices.iter().map(|d| d.clone().autodiff()).collect();
            DistributedContext::init(
                devices,
                DistributedConfig { all_reduce_op: ReduceOperation::Mean },
            )
        });
        Ok(Self { config, objective, moved, shards, _context: context })
    }

    fn objective(&self, r: usize) -> &O {
        self.moved[r].as_ref().unwrap_or(self.objective)
    }

    /// Gradients (on the main autodiff device, scaled by `1/accum`) and loss of micro-batch
    /// `m` of `plan` over all replicas, accumulated into `acc`.
    pub(crate) fn micro_batch(
        &self,
        model: &O::Model,
        set: &TrajectorySet,
        plan: &BatchPlan,
        cfg: &TrainConfig,
        m: u64,
        acc: &mut GradientsAccumulator<O::Model>,
    ) -> Result<MicroLoss> {
        let indices = plan.indices(m);
        let accum = cfg.grad_accum as f64;
        let crop = cfg.crop_frames.map(|len| {
            let f = set.frames();
            (plan.crop_start(m, f, len), len.min(f))
        });
        let paths = |r: usize| {
            let mut x0 = set.tensor(&indices[self.shards[r].rows.clone()], &self.config.devices[r]);
            if let Some((start, len)) = crop {
                x0 = x0.narrow(2, start, len);
            }
            x0
        };
        let main_ad = self.config.main_device().clone().autodiff();
        if self.config.replicas() == 1 {
            let (grads, part) = self.replica(0, model, paths(0), m, accum, &main_ad)?;
            acc.accumulate(model, grads.expect("a lone replica returns its gradients"));
            return Ok(MicroLoss {
                total: part.total / accum,
                drift: part.drift / accum,
                noise: part.noise / accum,
            });
        }
        let results = std::thread::scope(|s| {
            let handles: Vec<_> = (0..self.config.replicas())
                .map(|r| {
                    let (paths, main_ad, copy) = (&paths, &main_ad, model.clone());
                    s.spawn(move || self.replica(r, &copy, paths(r), m, accum, main_ad))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect::<Vec<_>>()
        });
        let mut loss = MicroLoss::default();
        for result in results {
            let (grads, part) = result?;
            if let Some(g) = grads {
                acc.accumulate(model, g);
            }
            loss.total += part.total / accum;
            loss.drift += part.drift / accum;
            loss.noise += part.noise / accum;
        }
        Ok(loss)
    }

    /// Replica `r`'s gradients of its shard `x0` (on the main device; `None` for a collective
    /// replica other than the first, whose gradients the all-reduce already merged) and its
    /// weighted loss.
    fn replica(
        &self,
        r: usize,
        model: &O::Model,
        x0: Tensor<5>,
        m: u64,
        accum: f64,
        main_ad: &Device,
    ) -> Result<(Option<GradientsParams>, MicroLoss)> {
        let shard = &self.shards[r];
        let forked;
        let replica = if self.config.replicas() == 1 {
            model // ordinary training: no copy, the exact single-device arithmetic
        } else {
            let ad = self.config.devices[r].clone().autodiff();
            let copy = model.clone().fork(&ad);
            forked = if self._context.is_some() { copy.map(&mut Distributed) } else { copy };
            &forked
        };
        let parts = self.objective(r).shard_loss(replica, x0, m, shard)?;
        let scaled = if shard.is_whole() {
            parts.total.clone().div_scalar(accum as f32)
        } else if self._context.is_some() {
            // the collective averages over replicas: scale by N so the mean is the weighted sum
            parts
                .total
                .clone()
                .mul_scalar((shard.weight() * self.config.replicas() as f64 / accum) as f32)
        } else {
            parts.total.clone().mul_scalar((shard.weight() / accum) as f32)
        };
        let grads = scaled.backward();
        let grads = (self._context.is_none() || r == 0)
            .then(|| GradientsParams::from_grads(grads, replica).to_device(main_ad, replica));
        let w = shard.weight();
        let scalar = |t: Tensor<1>| t.into_scalar::<f32>() as f64 * w;
        let loss = MicroLoss {
            total: scalar(parts.total),
            drift: scalar(parts.drift),
            noise: parts.noise.map_or(f64::NAN, scalar),
        };
        Ok((grads, loss))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #26 item 10: `--devices 10¹²` is refused by name, not built as a list.
    #[test]
    fn absurd_replica_counts_are_refused_before_building() {
        let e = ParallelConfig::parse("1000000000000", DeviceChoice::Cpu, Reduce::Main)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`devices`") && e.contains("at most 1024"), "{e}");
    }

    #[test]
    fn shards_partition_the_batch_and_refuse_too_small_batches() {
        let cpu = |n: usize| {
            ParallelConfig::parse(&n.to_string(), DeviceChoice::Cpu, Reduce::Main).unwrap()
        };
        let rows: Vec<_> = cpu(3).shards(8).unwrap().into_iter().map(|s| s.rows).collect();
        assert_eq!(rows, vec![0..3, 3..6, 6..8]);
        let w: f64 = cpu(3).shards(8).unwrap().iter().map(Shard::weight).sum();
        assert!((w - 1.0).abs() < 1e-12);
        assert!(cpu(4).shards(3).unwrap_err().to_string().contains("cannot be split"));
        assert_eq!(cpu(1).shards(5).unwrap(), vec![Shard::whole(5)]);
    }

    #[test]
    fn device_specs_parse_and_bad_ones_are_refused() {
        let p = ParallelConfig::parse("cpu,cpu", DeviceChoice::Auto, Reduce::Main).unwrap();
        assert_eq!(p.replicas(), 2);
        let e = ParallelConfig::parse("0", DeviceChoice::Cpu, Reduce::Main).unwrap_err();
        assert!(e.to_string().contains("at least one device"), "{e}");
        assert!(ParallelConfig::parse("cpu:x", DeviceChoice::Cpu, Reduce::Main).is_err());
        assert!(ParallelConfig::parse("tpu", DeviceChoice::Cpu, Reduce::Main).is_err());
        let e = ParallelConfig::parse("2", DeviceChoice::Cpu, Reduce::Collective).unwrap_err();
        assert!(e.to_string().contains("no collective"), "{e}");
        assert_eq!("collective".parse::<Reduce>().unwrap(), Reduce::Collective);
        assert!("ring".parse::<Reduce>().is_err());
    }
}
