//! # pdd — Predictor-Driven Diffusion
//!
//! A Rust implementation of *Predictor-Driven Diffusion for Spatiotemporal Generation*
//! (Yasuda & Bischoff, arXiv 2604.00327): one causal predictor, conditioned on a coarse-graining
//! scale λ, that simulates, generates and super-resolves multiscale turbulent dynamics.

#![warn(missing_docs)]

pub mod ablation;
pub mod backend;
pub mod baseline;
pub mod bench;
#[cfg(feature = "cli")]
pub mod cli;
pub mod diffusion;
pub mod error;
pub mod eval;
pub mod io;
pub mod metrics;
pub mod nn;
pub mod plot;
pub mod predictor;
pub mod prelude;
pub mod presets;
pub mod progress;
pub mod rng;
pub mod sample;
pub mod spectral;
pub mod study;
pub mod systems;
pub mod train;

pub use error::{Error, Result};

/// The README's Rust examples, compiled as doctests so that they keep up with the API.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
