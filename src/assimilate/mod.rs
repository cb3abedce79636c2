//! Data assimilation with the same predictor (docs/assimilation.md): posterior trajectories
//! from sparse, noisy observations, by guiding the reverse-λ sampler's path score with the
//! observation likelihood (score-based data assimilation, Rozet & Louppe 2023) — no retraining.
//!
//! * [`ObservationOperator`] / [`Observer`]: linear `H` with Gaussian noise σ_y (every `s`-th
//!   point or an `s × s` sub-grid, every `m`-th frame, of `u` or of `C_λ u`, or a mask read
//!   from HDF5); [`ObsSpec`] is its command-line spelling.
//! * [`Observations`]: the observed values, from test paths or an HDF5 file.
//! * [`PriorSpectrum`]: the data's per-mode variance, which bounds the guidance.
//! * Baselines: [`interpolate`] and, for Lorenz-96, [`lorenz96_enkf`] (the true physics).
//! * [`GuidedScore`]: the posterior score around any [`PathScore`](crate::sample::PathScore);
//!   [`sample_posterior`] runs the sampler with it.

mod basis;
mod enkf;
mod figures;
mod guidance;
mod interpolate;
mod linalg;
mod observations;
mod operator;
mod posterior;
mod prior;
mod run;
mod scores;
mod spec;

pub use basis::HostBasis;
pub use enkf::{EnkfConfig, lorenz96_enkf};
pub use figures::{fields_figure, series_figure, unobserved_point};
pub use guidance::GuidedScore;
pub use interpolate::{interpolate, periodic_linear};
pub use linalg::Cholesky;
pub use observations::{Observations, read_mask_file};
pub use operator::{ObservationOperator, Observer};
pub use posterior::{PosteriorConfig, sample_posterior};
pub use prior::PriorSpectrum;
pub use run::{
    AssimilateConfig, Assimilation, Estimate, assimilate, ensemble_mean, training_paths,
};
pub use scores::{AssimilationScores, score_ensemble};
pub use spec::ObsSpec;
