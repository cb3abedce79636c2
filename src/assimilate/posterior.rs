//! Posterior ensembles: the reverse-λ sampler driven by the [`GuidedScore`] from λ ≈ 1
//! (docs/assimilation.md).

use super::guidance::GuidedScore;
use super::observations::Observations;
use super::operator::ObservationOperator;
use super::prior::PriorSpectrum;
use crate::diffusion::{ForwardProcess, RealFourierBasis, SpectralOperator, plane_dims};
use crate::error::Result;
use crate::sample::{PathScore, SampleResult, SamplerConfig, SamplerEvent, reverse_sample};
use burn::prelude::*;
use burn::tensor::Distribution;

/// Settings of a posterior ensemble.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PosteriorConfig {
    /// Ensemble members per observed path.
    pub members: usize,
    /// SDA's factor γ of the forward variance in the likelihood's covariance (> 0).
    pub gamma: f64,
    /// Noise seed (the start and the sampler's noise).
    pub seed: u64,
}

/// Samples `cfg.members` posterior paths per observed path: every example starts as the forward
/// process's noise at the last index, `F⁻¹{B̂_{T−1} F{ε}}` (the prior of generation, which
/// ignores the large scales that survive at λ ≈ 1), and the reverse sampler
/// ([`SamplerConfig::for_generation`]) runs with the posterior score of `prior` down to
/// `sampler.final_index`. The state is `[P · members, C, F, Ny, Nx]` (standardised), member
/// `m` of path `p` at example `p · members + m`.
#[allow(clippy::too_many_arguments)] // a flat sampler function, like sample::generate
pub fn sample_posterior(
    prior: &dyn PathScore,
    process: &ForwardProcess,
    observations: &Observations,
    spectrum: &PriorSpectrum,
    sampler: &SamplerConfig,
    cfg: PosteriorConfig,
    device: &Device,
    callback: &mut dyn FnMut(&SamplerEvent),
) -> Result<SampleResult> {
    let guided = GuidedScore::new(prior, observations, process, spectrum, cfg.members, cfg.gamma)?;
    let [c, f] = observations.operator().path_dims();
    let (ny, nx) = plane_dims(process.grid());
    let shape = [observations.paths() * cfg.members, c, f, ny, nx];
    let last = process.steps() - 1;
    device.seed(cfg.seed);
    let eps = Tensor::<5>::random(shape, Distribution::Normal(0.0, 1.0), device);
    let basis = RealFourierBasis::new(process.grid(), device);
    let x = SpectralOperator::single(&basis, process.noise_std(last))?.apply_single(eps)?;
    let cfg_gen = sampler.for_generation();
    reverse_sample(&guided, process, x, last, &cfg_gen, cfg.seed.wrapping_add(1), callback)
}
