//! Training (docs/reference.md §9; data-parallel replicas: docs/scaling.md): configuration,
//! deterministic batches, objectives, the loop, checkpoints, EMA, the loss log and run
//! directories.

mod batches;
pub mod checkpoint;
mod config;
mod ema;
mod lock;
pub mod log;
mod materialize;
mod objective;
mod parallel;
mod run;
mod second_order;
mod session;
mod trainer;

pub use batches::{BatchPlan, TrajectorySet};
pub use config::{DriftTarget, Normalization, Objective, TrainConfig};
pub use ema::Ema;
pub use lock::{LOCK_FILE, RunLock};
pub use log::LogRow;
pub use materialize::materialize;
pub use objective::{ModelInit, PddObjective, Shard, TrainObjective};
pub use parallel::{ParallelConfig, Reduce};
pub use run::{DataInfo, ModelKind, RunConfig, RunDir};
pub use second_order::{
    SECOND_ORDER_FILE, estimate_second_order, gaussian_skip, linear_gaussian, run_second_order,
};
pub use session::{
    TrainRequest, TrainedRun, newest_intact, open_checkpoint, open_run, run_config, split_set,
    stats_for, train_builtin, train_objective, train_predictor,
};
pub use trainer::{TrainEvent, TrainJob, TrainOptions, TrainSummary, beyond_budget, train};
