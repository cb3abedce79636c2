//! The predictor `f_θ^λ`: a causal network over time windows, conditioned on the diffusion
//! index, and the PDD / SA-PDD objectives built from it (docs/reference.md §3–§4, §8.1).

mod action;
mod backbone;
mod linear_gaussian;
mod loss;
mod model;
mod spec;
mod window;

pub use action::{Action, ActionScale, PathAction};
pub use backbone::Backbone;
pub use linear_gaussian::{LinearGaussian, LinearGaussianPredictor};
pub use loss::{LossParts, path_residual, pdd_loss, sa_pdd_loss};
pub use model::{FnoSection, ModelConfig, PddModel, Skip};
pub use spec::{
    BUILTIN_BACKBONES, Builtin, BuiltinBackbone, BuiltinVisitor, CustomPredictor, PredictorInit,
    PredictorShape, PredictorSpec, check_spec, record_spec, with_builtin,
};
pub use window::{PathPrediction, Predictor, PredictorBuilder, SlidingWindow};
