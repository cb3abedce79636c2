//! The predictor `f_θ^λ`: a causal network over time windows, conditioned on the diffusion
//! index, and the PDD / SA-PDD objectives built from it (spec §3–§4, §8.1).

mod action;
mod backbone;
mod loss;
mod model;
mod window;

pub use action::{Action, ActionScale, PathAction};
pub use backbone::Backbone;
pub use model::{ModelConfig, PddModel};
pub use loss::{LossParts, pdd_loss, path_residual, sa_pdd_loss};
pub use window::{PathPrediction, Predictor, SlidingWindow, PredictorBuilder};
