//! Periodic grids and real FFTs shared by the physics, the forward diffusion and the metrics.
//!
//! One code path serves 1-D (Lorenz-96, `[L]`) and 2-D (Kolmogorov, `[Ny, Nx]`, row-major with x
//! fastest) fields: a [`Grid`] knows its axes and its half-spectrum layout, and a [`SpectralPlan`]
//! transforms any field on that grid. Spectra are stored as the *half spectrum* of a real field:
//! shape `[.., N_last/2 + 1]` (the layout of `numpy.fft.rfftn`).

mod batch;
mod fft;
mod grid;
mod second_order;

pub use batch::{BatchShape, CheckedBatch};
pub use fft::{Scratch, SpectralPlan};
pub use grid::{Grid, LaplacianKind};
pub use num_complex::Complex;
pub use second_order::SecondOrder;
