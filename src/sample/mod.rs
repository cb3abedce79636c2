//! Sampling with a trained predictor (docs/reference.md §5): surrogate simulation at fixed λ, path
//! scores, the reverse-λ predictor–corrector sampler, unconditional generation and
//! super-resolution.

mod integrator;
mod sampler;
mod score;
mod simulate;
mod tasks;

pub use integrator::Integrator;
pub use sampler::{
    ReverseStep, SampleResult, SamplerConfig, SamplerEvent, StepNoise, extrapolate_first_frame,
    remove_space_time_mean, reverse_sample,
};
pub use score::{PathScore, PddScore, SaPddScore};
pub use simulate::{Simulation, simulate};
pub use tasks::{SrSource, SrStart, SuperResolution, generate, super_resolve};
