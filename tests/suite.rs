//! pdd's integration tests, as one test binary: each `tests/*.rs` file is a module of it (one
//! link instead of one per file: every binary carries all of burn, wgpu and HDF5, ~130 MB, and
//! a build with a binary per file filled CI's disk; docs/scaling.md).
//!
//! Its tests run one at a time (`RUST_TEST_THREADS=1` in `.cargo/config.toml`): they share one
//! process, and with it burn's per-device random generators and HDF5's open files
//! (`common::serial`). In that order the suite is deterministic: libtest runs tests sorted by
//! name. Run one file's tests with `cargo test --release --test suite -- sample::`.

mod common;

mod ablation;
mod assimilate;
mod bad_input;
mod bench;
mod cli;
mod cli_diffusion;
mod custom_predictor;
mod dataset;
mod ddpm;
mod diffusion;
mod fast_ops;
mod golden;
mod kolmogorov;
mod linear_gaussian;
mod metrics;
mod nn;
mod parallel;
mod pipeline;
mod plot;
mod sample;
mod study_cli;
mod train;
mod wgpu;
