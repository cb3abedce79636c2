//! The renormalisation-group forward diffusion (paper §2, docs/reference.md §2).
//!
//! A field is coarse-grained **in space only**, frame by frame, by
//! `∂_λ u = (α∇² − γ) u + β η_λ`: high wavenumbers are damped first, white noise is added.
//! [`ForwardProcess`] holds the per-index spectral tables (`Â`, `Q̂`, `B̂`, `P̂`, `σ²_λ`, ETD1
//! coefficients) for one grid; the host functions ([`ForwardProcess::q_sample`],
//! [`ForwardProcess::coarse_grain`], [`ForwardProcess::etd1_mean`]) work on ndarray batches
//! `[B, C, F, *grid]`, and [`DeviceProcess`] / [`SpectralOperator`] do the same on burn tensors
//! `[B, C, F, Ny, Nx]`. One code path serves 1-D and 2-D grids.
//!
//! ```
//! use pdd::diffusion::ForwardProcess;
//! use pdd::spectral::Grid;
//! let process = ForwardProcess::builder().grid(Grid::plane(8, 8)).alpha(0.3).beta2(2.0).build()?;
//! let x0 = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[2, 1, 3, 8, 8]));
//! let u = process.q_sample(&x0.view(), &[0, 999], 7)?;
//! assert_eq!(u.shape(), x0.shape());
//! # Ok::<(), pdd::Error>(())
//! ```

mod device;
mod etd;
mod half_spectrum;
mod process;
mod qsample;
mod synthetic;

pub use device::{
    DeviceProcess, RealFourierBasis, SpectralOperator, batch_to_tensor, plane_dims,
    real_fourier_basis, tensor_to_batch,
};
pub use etd::{etd1_multipliers, phi1};
pub use half_spectrum::HalfSpectrum;
pub use process::{DiffusionConfig, ForwardProcess, ForwardProcessBuilder, Table, VARIANCE_FLOOR};
pub use qsample::{white_noise, white_noise_rows};
pub use synthetic::{synthetic_mode_variance, synthetic_trajectory};
