//! One import for notebooks and scripts: `use pdd::prelude::*;`.
//!
//! Re-exports the types a user touches in a typical session (grids and FFT plans, presets,
//! progress reporters, the error type). Each module adds its user-facing items here as it lands;
//! items that are only needed by other library modules stay out, so the glob import does not
//! shadow common names.
//!
//! `Result` here is `pdd::Result<T, E = pdd::Error>`: with the default error type it is a
//! drop-in for `std::result::Result<T, E>`, so the glob import does not break code that names
//! both type parameters.
//!
//! ```
//! use pdd::prelude::*;
//! // cos(3x) on 32 points: all its energy sits in the k = 3 bin, with amplitude N/2.
//! let grid = Grid::line(32);
//! let plan = SpectralPlan::<f64>::new(&grid);
//! let x: Vec<f64> = (0..32).map(|j| (3.0 * grid.spacing(0) * j as f64).cos()).collect();
//! let (mut spec, mut s) = (plan.spectrum_buffer(), plan.make_scratch());
//! plan.forward(&x, &mut spec, &mut s);
//! assert!((spec[3].re - 16.0).abs() < 1e-9 && spec[3].im.abs() < 1e-9);
//! assert!(spec.iter().enumerate().all(|(k, c)| k == 3 || c.norm() < 1e-9));
//! let preset: Result<Preset> = Preset::load("lorenz96-quick");
//! assert!(preset.is_ok());
//! let _reporter: &dyn Progress = &NoProgress;
//! ```

/// burn itself, as pdd is built on it: with the glob import, `#[derive(Module)]` and
/// `#[derive(Config)]` work in a notebook without a `:dep burn` of its own.
pub use burn;
pub use burn::prelude::{Bool, Config, Device, Int, Module, Tensor, TensorData};

pub use crate::backend::DeviceChoice;
pub use crate::error::{Error, Result};
pub use crate::eval::{EvalFigure, EvalResults, Evaluator};
pub use crate::io::{Dataset, Split, Stats};
pub use crate::nn::{Heads, PeriodicConv, PeriodicConvConfig, Spatial};
pub use crate::plot::{Figure, LadderOptions, Series};
pub use crate::predictor::{Backbone, CustomPredictor, Predictor, PredictorShape, PredictorSpec};
pub use crate::presets::Preset;
pub use crate::progress::{FnProgress, NoProgress, PrintProgress, Progress};
pub use crate::sample::{PathScore, ReverseStep, SamplerConfig, StepNoise};
pub use crate::spectral::{Grid, SpectralPlan};
pub use crate::study::{Study, StudyOptions};
pub use crate::train::{TrainEvent, TrainedRun};
