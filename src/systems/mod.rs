//! The physical systems that produce training data, and the `[data]` preset section.
//!
//! * [`lorenz96`]: two-scale Lorenz-96 (paper Eq. 59–60, docs/reference.md §6.1), 1-D, 2 channels
//!   (X, Y).
//! * [`kolmogorov`]: 2-D Kolmogorov flow (paper Eq. 61–62, docs/reference.md §6.2), pseudo-spectral
//!   vorticity solver, 1 channel (vorticity).
//! * [`downsample`]: solver grid → training grid (spectral truncation or bicubic).
//! * [`generate`]: parallel, sharded, deterministic generation into an HDF5 dataset.
//!
//! Both systems implement [`Simulator`], so generation, storage and the CLI have one code path.
//! A trajectory is written as `[C, F, *grid.dims()]` (f32, dimensional), see the crate's array
//! conventions.

pub mod downsample;
pub mod generate;
pub mod kolmogorov;
pub mod lorenz96;

use crate::error::{Error, Result};
use crate::presets::Preset;
use crate::rng::ChaCha8Rng;
use crate::spectral::Grid;
use serde::{Deserialize, Serialize};
use std::ops::Range;

pub use downsample::{DownsampleMethod, Downsampler};
pub use generate::{Shard, check_size, shard_range, simulate_range};
pub use kolmogorov::{Kolmogorov, KolmogorovConfig};
pub use lorenz96::{L96Init, Lorenz96, Lorenz96Config};

/// Which physical system a dataset holds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum SystemKind {
    /// Two-scale Lorenz-96 (1-D, channels X and Y).
    Lorenz96,
    /// 2-D Kolmogorov flow (channel: vorticity).
    Kolmogorov,
}

impl SystemKind {
    /// The name used in presets and files (`lorenz96` / `kolmogorov`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        crate::error::parse_named(name, "data.system", "system").ok()
    }
}

/// Train / valid / test splits as half-open index ranges `[start, end)` over trajectories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Splits {
    /// Training trajectories `[start, end)`; the per-channel statistics are computed on these.
    pub train: [usize; 2],
    /// Validation trajectories `[start, end)`.
    pub valid: [usize; 2],
    /// Test trajectories `[start, end)`.
    pub test: [usize; 2],
}

impl Splits {
    /// The splits of a dataset of `from` trajectories scaled to `to` trajectories: every bound
    /// `b` becomes `⌊b · to / from⌋`, so the proportions (and an unused tail) are kept.
    pub fn scaled(&self, from: usize, to: usize) -> Self {
        let s = |b: usize| (b as u128 * to as u128 / from.max(1) as u128) as usize;
        let r = |r: [usize; 2]| [s(r[0]), s(r[1])];
        Self { train: r(self.train), valid: r(self.valid), test: r(self.test) }
    }

    /// Checks that every split lies within `[0, total)` and that no two overlap; the error
    /// names the split.
    pub fn validate(&self, total: usize) -> Result<()> {
        let all = [("train", self.train), ("valid", self.valid), ("test", self.test)];
        for (name, r) in all {
            let field = format!("data.splits.{name}");
            if r[0] > r[1] {
                return Err(Error::config(field, format!("start {} is after end {}", r[0], r[1])));
            }
            if r[1] > total {
                return Err(Error::config(
                    field,
                    format!("{r:?} reaches beyond the {total} trajectories"),
                ));
            }
        }
        for (i, (a, ra)) in all.iter().enumerate() {
            for (b, rb) in &all[i + 1..] {
                if ra[0] < rb[1] && rb[0] < ra[1] {
                    return Err(Error::config(
                        format!("data.splits.{b}"),
                        format!("{rb:?} overlaps {a} {ra:?}; the splits must be disjoint"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The three splits as `(name, range)`, each clipped to `[0, total)`.
    pub fn clipped(&self, total: usize) -> [(&'static str, Range<usize>); 3] {
        let clip = |r: [usize; 2]| r[0].min(total)..r[1].min(total);
        [("train", clip(self.train)), ("valid", clip(self.valid)), ("test", clip(self.test))]
    }
}

/// The `[data]` section of a preset: which system, how many trajectories, the seed, the splits
/// and the system's parameters (`[data.lorenz96]` or `[data.kolmogorov]`; missing fields take
/// the reference values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// The system.
    pub system: SystemKind,
    /// Number of trajectories in the dataset.
    pub trajectories: usize,
    /// Seed: trajectory `i` draws its initial condition from `rng::stream(seed, i)`.
    pub seed: u64,
    /// Split index ranges: disjoint, within `[0, trajectories)`.
    pub splits: Splits,
    /// Lorenz-96 parameters (used when `system = "lorenz96"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lorenz96: Option<Lorenz96Config>,
    /// Kolmogorov-flow parameters (used when `system = "kolmogorov"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kolmogorov: Option<KolmogorovConfig>,
}

impl crate::validate::Ranges for DataConfig {
    const SECTION: &'static str = "data";
    const RULES: &'static [crate::validate::Rule] = {
        use crate::validate::Rule;
        &[
            Rule::at_least("trajectories", 1.0), // bounded by memory where generated
            Rule::any("seed"),
            Rule::at_least("splits.train[*]", 0.0),
            Rule::at_least("splits.valid[*]", 0.0),
            Rule::at_least("splits.test[*]", 0.0),
            Rule::nested("lorenz96", Lorenz96Config::RANGES),
            Rule::nested("kolmogorov", KolmogorovConfig::RANGES),
        ]
    };
}

impl DataConfig {
    /// Reads and validates the `[data]` section of `preset`.
    pub fn from_preset(preset: &Preset) -> Result<Self> {
        let cfg: DataConfig = preset.section("data")?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every field ([`crate::validate`], docs/validation.md) and their relations; the
    /// error names the offending one (`data.…`).
    pub fn validate(&self) -> Result<()> {
        crate::validate::check(self)?;
        if self.trajectories == 0 {
            return Err(Error::config("data.trajectories", "must be at least 1"));
        }
        self.splits.validate(self.trajectories)?;
        if self.splits.train[0] >= self.trajectories.min(self.splits.train[1]) {
            return Err(Error::config(
                "data.splits.train",
                format!(
                    "no training trajectory among the {} generated (train = {:?}); the statistics need at least one",
                    self.trajectories, self.splits.train
                ),
            ));
        }
        match self.system {
            SystemKind::Lorenz96 => {
                if self.kolmogorov.is_some() {
                    return Err(Error::config(
                        "data.kolmogorov",
                        "given but system = \"lorenz96\"",
                    ));
                }
                self.lorenz96_config().validate()
            }
            SystemKind::Kolmogorov => {
                if self.lorenz96.is_some() {
                    return Err(Error::config(
                        "data.lorenz96",
                        "given but system = \"kolmogorov\"",
                    ));
                }
                self.kolmogorov_config().validate()
            }
        }
    }

    /// The same configuration with `n` trajectories and its splits scaled in proportion
    /// ([`Splits::scaled`]), as `--trajectories` sets it.
    pub fn with_trajectories(mut self, n: usize) -> Self {
        self.splits = self.splits.scaled(self.trajectories, n);
        self.trajectories = n;
        self
    }

    /// The Lorenz-96 parameters (reference defaults if the section is absent).
    pub fn lorenz96_config(&self) -> Lorenz96Config {
        self.lorenz96.clone().unwrap_or_default()
    }

    /// The Kolmogorov parameters (reference defaults if the section is absent).
    pub fn kolmogorov_config(&self) -> KolmogorovConfig {
        self.kolmogorov.clone().unwrap_or_default()
    }

    /// The system's parameters as a JSON object (stored as HDF5 attributes).
    pub fn params_json(&self) -> serde_json::Value {
        match self.system {
            SystemKind::Lorenz96 => serde_json::to_value(self.lorenz96_config()),
            SystemKind::Kolmogorov => serde_json::to_value(self.kolmogorov_config()),
        }
        .expect("plain config structs serialise")
    }

    /// Builds the simulator for this configuration (validates first).
    pub fn simulator(&self) -> Result<Box<dyn Simulator>> {
        self.validate()?;
        Ok(match self.system {
            SystemKind::Lorenz96 => Box::new(Lorenz96::new(self.lorenz96_config())?),
            SystemKind::Kolmogorov => Box::new(Kolmogorov::new(self.kolmogorov_config())?),
        })
    }
}

/// A physical system that produces one trajectory per random stream.
///
/// The trajectory layout is `[C, F, *output_grid().dims()]`, f32, row-major.
pub trait Simulator: Send + Sync {
    /// Which system this is.
    fn kind(&self) -> SystemKind;
    /// Channel names (`["X", "Y"]` or `["vorticity"]`).
    fn channels(&self) -> Vec<String>;
    /// Frames per trajectory.
    fn frames(&self) -> usize;
    /// The grid of the stored fields.
    fn output_grid(&self) -> Grid;
    /// Model time between stored frames.
    fn frame_dt(&self) -> f64;
    /// Values per trajectory: `C · F · output_grid().len()`.
    fn trajectory_len(&self) -> usize {
        self.channels().len() * self.frames() * self.output_grid().len()
    }
    /// Integrates trajectory `index` (used in error messages) from an initial condition drawn
    /// from `rng` and writes its frames into `out` (`[C, F, *grid]`, `trajectory_len()` values).
    ///
    /// Fails with [`Error::BlowUp`] naming `index` and the model time if the state becomes
    /// non-finite, and with [`Error::Shape`] if `out` has the wrong length.
    fn simulate(&self, index: usize, rng: &mut ChaCha8Rng, out: &mut [f32]) -> Result<()>;
}

/// Checks that a config value given in model time is a whole number of steps of `dt`, and
/// returns that number.
pub(crate) fn whole_steps(field: &str, value: f64, dt: f64) -> Result<usize> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(Error::config(
            field,
            format!("must be a finite non-negative time, got {value}"),
        ));
    }
    let steps = (value / dt).round();
    if (steps * dt - value).abs() > 1e-9 * value.max(dt) {
        return Err(Error::config(
            field,
            format!("{value} is not a whole number of steps of dt = {dt}"),
        ));
    }
    Ok(steps as usize)
}

/// Fails with a config error naming `field` unless `value` is finite and `> 0`.
pub(crate) fn positive(field: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::config(field, format!("must be finite and > 0, got {value}")))
    }
}

/// Fails with a config error naming `field` unless `value` is finite.
pub(crate) fn finite(field: &str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::config(field, format!("must be finite, got {value}")))
    }
}

/// Fails with [`Error::Shape`] unless `out` holds exactly `expected` values.
pub(crate) fn check_out_len(context: &str, expected: usize, out: &[f32]) -> Result<()> {
    if out.len() == expected { Ok(()) } else { Err(Error::shape(context, expected, out.len())) }
}
