//! Evaluation (paper §5–§6): run the experiments with a trained model, compute Tables 1–3 and
//! the metric-vs-λ sweep, draw the figures and write a Markdown report beside the paper's numbers.

mod baselines;
mod config;
mod figure_kind;
mod figures;
mod linear_gaussian;
mod markdown;
mod measure;
mod paper;
mod report;
mod tasks;

pub use baselines::{DdpmBaseline, load_baselines};
pub use config::EvalConfig;
pub use figure_kind::{EvalFigure, check_figures, remove_stale};
pub use figures::{compare_paths, compare_psd, lambda_figure, path_panel};
pub use linear_gaussian::LinearGaussianBaseline;
pub use paper::PaperNumbers;
pub use report::{
    Baseline, BaselineScores, BaselineTask, EvalResults, EvalTasks, GenerationScores,
    SimulationScores, SuperResolutionScores, TaskFailure, TaskW1, evaluate,
};
pub use tasks::{Evaluator, concat, persistence};
