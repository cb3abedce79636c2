//! The two uses of the reverse sampler: unconditional generation (docs/reference.md §5.5) and
//! super-resolution from λ = 0.2 (docs/reference.md §5.7).

use super::sampler::{
    SampleResult, SamplerConfig, SamplerEvent, remove_space_time_mean, reverse_sample,
};
use super::score::PathScore;
use super::simulate::simulate;
use crate::diffusion::{DeviceProcess, ForwardProcess, Table};
use crate::error::Result;
use crate::predictor::{Action, Predictor};
use burn::prelude::*;
use burn::tensor::Distribution;
use serde::{Deserialize, Serialize};

/// Generates `shape = [B, C, F, Ny, Nx]` standardised paths from noise: every slice starts as
/// `F⁻¹{B̂_{T−1} F{ε}}` (zero-mean coloured noise at λ_max — the reference's prior, which ignores
/// the surviving large scales, docs/reference.md §11.4), space–time mean removed, then the reverse
/// sampler runs from index `T − 1` to `cfg.final_index` with [`SamplerConfig::for_generation`].
#[allow(clippy::too_many_arguments)] // a flat sampler function: model, process, shape, schedule, seed, callback
pub fn generate(
    score: &dyn PathScore,
    process: &ForwardProcess,
    device_process: &DeviceProcess,
    shape: [usize; 5],
    cfg: &SamplerConfig,
    seed: u64,
    device: &Device,
    callback: &mut dyn FnMut(&SamplerEvent),
) -> Result<SampleResult> {
    let last = process.steps() - 1;
    device.seed(seed);
    let eps = Tensor::<5>::random(shape, Distribution::Normal(0.0, 1.0), device);
    let x = device_process.operator(Table::NoiseStd).apply(eps, &vec![last; shape[0]])?;
    let x = remove_space_time_mean(x);
    reverse_sample(score, process, x, last, &cfg.for_generation(), seed.wrapping_add(1), callback)
}

/// Where the coarse (λ = 0.2) input of super-resolution comes from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    Default,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum SrSource {
    /// The reference's choice: a noisy surrogate simulation at λ_max run for `2F` steps from the
    /// first window of the test paths, keeping the last `F` frames (decorrelated from the test
    /// truth; scored statistically).
    #[default]
    Surrogate,
    /// The coarse-grained test truth `C_λ u₀` (deterministic; the result can be compared with
    /// its own fine truth).
    CoarseTruth,
    /// A forward-process sample of the test truth `C_λ u₀ + √Σ_λ ε` (what the reverse process
    /// expects at λ_max).
    NoisedTruth,
}

impl SrSource {
    /// The preset / command-line spelling.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl std::str::FromStr for SrSource {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        crate::error::parse_named(s, "eval.sr_source", "source")
    }
}

/// Low- and super-resolved paths (standardised), each `[B, C, F, Ny, Nx]`.
#[derive(Debug, Clone)]
pub struct SuperResolution {
    /// The coarse input at λ_max.
    pub low: Tensor<5>,
    /// The reverse sampler's output.
    pub high: SampleResult,
}

/// Where super-resolution starts: the scale and the coarse input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SrStart {
    /// `λ_max` (0.2 in the paper).
    pub lambda: f64,
    /// How the coarse input is built from the test paths.
    pub source: SrSource,
    /// The path action the predictor was trained with (the surrogate source's noise).
    pub action: Action,
}

/// Super-resolves from `start.lambda` to `cfg.final_index`, starting from the coarse paths
/// given by `start.source` built from the test paths `x0` `[B, C, F, Ny, Nx]`.
#[allow(clippy::too_many_arguments)]
pub fn super_resolve<P: Predictor>(
    score: &dyn PathScore,
    predictor: &P,
    process: &ForwardProcess,
    device_process: &DeviceProcess,
    x0: Tensor<5>,
    start: SrStart,
    cfg: &SamplerConfig,
    seed: u64,
    callback: &mut dyn FnMut(&SamplerEvent),
) -> Result<SuperResolution> {
    let index = process.index_of(start.lambda)?;
    let [b, _, f, _, _] = x0.dims();
    let low = match start.source {
        SrSource::Surrogate => {
            let sim = simulate(
                predictor,
                process,
                device_process,
                x0,
                index,
                2 * f,
                Some(start.action),
                seed,
            )?;
            let n = sim.path.dims()[2];
            sim.path.narrow(2, n - f, f)
        }
        SrSource::CoarseTruth => device_process.coarse_grain(x0, &vec![index; b])?,
        SrSource::NoisedTruth => device_process.q_sample_seeded(x0, &vec![index; b], seed)?.0,
    };
    let high =
        reverse_sample(score, process, low.clone(), index, cfg, seed.wrapping_add(1), callback)?;
    Ok(SuperResolution { low, high })
}
