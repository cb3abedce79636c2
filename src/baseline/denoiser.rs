//! The [`Denoiser`] trait: what the DDPM objective and loader need from a baseline network.

use super::config::DdpmConfig;
use crate::error::{Error, Result};
use crate::nn::UNetConfig;
use crate::train::RunConfig;
use burn::module::Module;
use burn::prelude::*;

/// An ε-predicting network of a DDPM baseline, built on the reference U-Net.
pub trait Denoiser: Module + Sized {
    /// The run kind it is trained and loaded as (`ddpm-sim`, `ddpm-gen`).
    const KIND: &'static str;

    /// The U-Net configuration for the data and `[model]` section of `cfg` (fails on a
    /// model/grid mismatch).
    fn unet(cfg: &RunConfig) -> Result<UNetConfig>;

    /// A freshly initialised network for run configuration `cfg` on `device`.
    fn build(cfg: &RunConfig, device: &Device) -> Result<Self>;

    /// Cuts clean standardised paths `x0` `[B, C, F, Ny, Nx]` into training examples: the
    /// conditioning `[N, C_cond, Ny, Nx]` (`None` for unconditional models) and the clean
    /// targets `[N, C_x, Ny, Nx]`.
    fn examples(&self, x0: Tensor<5>) -> Result<(Option<Tensor<4>>, Tensor<4>)>;

    /// The noise estimate `ε̂` `[N, C_x, Ny, Nx]` of noisy targets `x_t` `[N, C_x, Ny, Nx]` at
    /// DDPM indices `t` `[N]` (floats), given the conditioning of [`examples`](Self::examples).
    fn eps(&self, cond: Option<&Tensor<4>>, x_t: Tensor<4>, t: Tensor<1>) -> Tensor<4>;
}

/// The run's `[model]` U-Net with `in_channels → out_channels` (same widths, levels, attention
/// and grid checks as the PDD predictor; the index embedding takes the DDPM index).
pub(crate) fn unet_with_channels(
    cfg: &RunConfig,
    in_channels: usize,
    out_channels: usize,
) -> Result<UNetConfig> {
    let mut u = cfg.model.unet(1, &cfg.data.grid()?, false)?;
    u.in_channels = in_channels;
    u.out_channels = out_channels;
    Ok(u)
}

/// The `[ddpm]` settings of a run configuration (the defaults when it has none), validated.
pub fn ddpm_config(cfg: &RunConfig) -> Result<DdpmConfig> {
    let d: DdpmConfig = cfg.stage("ddpm")?;
    d.validate()?;
    Ok(d)
}

/// Fails unless `x` `[B, C, F, Ny, Nx]` has `channels` channels and at least `min_frames` frames.
pub(crate) fn check_paths(
    x: &Tensor<5>,
    channels: usize,
    min_frames: usize,
    context: &str,
) -> Result<()> {
    let d = x.dims();
    if d[1] != channels || d[2] < min_frames || d[0] == 0 {
        return Err(Error::shape(
            context,
            format!("[B ≥ 1, {channels}, F ≥ {min_frames}, Ny, Nx]"),
            d,
        ));
    }
    Ok(())
}
