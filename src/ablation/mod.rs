//! The paper's appendix ablations (Figs. 10–16) as runnable studies on a preset.
//!
//! Each study derives the variants it needs from the preset by changing only the named settings
//! ([`Variant`], [`Preset::with_value`](crate::presets::Preset::with_value)), trains them (or
//! resumes / reuses them) beside the preset's own run in the directory layout of `pdd demo`,
//! evaluates every run through the same [`Evaluator`](crate::eval::Evaluator), and writes one
//! report (Markdown table + JSON) and its figures:
//!
//! | study | paper | variants (changed settings) | measured |
//! |---|---|---|---|
//! | [`noise`](AblationKind::Noise) | Fig. 10 | none: the preset's run | deterministic vs noisy (σ_λ > 0) simulation at λ = 0.2, 0.4 |
//! | [`window`](AblationKind::Window) | Figs. 11–12 | `model.window` = 1, 5, 15 | simulation L² and spectral error at λ = 0, 0.2 |
//! | [`laplacian`](AblationKind::Laplacian) | Figs. 13–14 | `diffusion.laplacian_factor = 0`, `diffusion.mass_factor = γ` (Eq. 67) | the ladder's spectral spread; simulation at λ = 0, 0.2 |
//! | [`coarse-graining`](AblationKind::CoarseGraining) | Figs. 15–16 | `diffusion.forward_noise = false` (Eq. 68) | simulation at λ = 0, super-resolution, generation |
//!
//! Layout under the study directory `DIR` (e.g. `demo/lorenz96-quick`): `DIR/data.h5` and
//! `DIR/run` are the preset's (shared with `pdd demo`), `DIR/variants/<name>/` the variants'
//! runs (shared between studies), `DIR/ablations/<study>.md`, `.json` and
//! `DIR/ablations/figures/<study>-*.svg` the results. See docs/ablations.md.
//!
//! ```no_run
//! use pdd::ablation::{Ablation, AblationKind, AblationOptions};
//! use pdd::prelude::*;
//! let study = Study::new("lorenz96-quick", "demo/lorenz96-quick", Device::flex())?;
//! let ablation = Ablation::new(study, AblationOptions::default())?;
//! let report = ablation.run(AblationKind::Window, &NoProgress)?;
//! println!("{}", report.markdown());
//! # Ok::<(), pdd::Error>(())
//! ```

mod coarse_graining;
mod laplacian;
mod noise;
mod options;
mod report;
mod runner;
mod variant;
mod window;

pub use laplacian::hierarchy_decades;
pub use options::{AblationKind, AblationOptions};
pub use report::{AblationReport, AblationRow};
pub use runner::{Ablation, tutorial_size};
pub use variant::Variant;
