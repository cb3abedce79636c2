//! `ddpm-gen`: the unconditional DDPM baseline for whole trajectories (paper §4) — the frames
//! of a path are stacked as channels of the same spatial U-Net.

use super::denoiser::{Denoiser, check_paths, unet_with_channels};
use super::sampler::DdpmSampler;
use crate::error::{Error, Result};
use crate::nn::{UNet, UNetConfig};
use crate::progress::Progress;
use crate::train::RunConfig;
use burn::prelude::*;

/// Unconditional ε-predictor over whole paths: `[N, C·F, Ny, Nx]` (channel `c·F + f`) → `ε̂`
/// of the same shape.
#[derive(Module, Debug)]
pub struct DdpmGen {
    /// The U-Net `C·F → C·F`.
    pub net: UNet,
    /// Channels per slice `C`.
    pub channels: usize,
    /// Frames per path `F` (the dataset's; whole trajectories, no frame crops).
    pub frames: usize,
}

impl Denoiser for DdpmGen {
    const KIND: &'static str = "ddpm-gen";

    fn unet(cfg: &RunConfig) -> Result<UNetConfig> {
        let n = cfg.data.channels * cfg.data.frames;
        unet_with_channels(cfg, n, n)
    }

    fn build(cfg: &RunConfig, device: &Device) -> Result<Self> {
        Ok(Self {
            net: Self::unet(cfg)?.init(device)?,
            channels: cfg.data.channels,
            frames: cfg.data.frames,
        })
    }

    /// One example per path: no conditioning, targets `[B, C·F, Ny, Nx]`.
    fn examples(&self, x0: Tensor<5>) -> Result<(Option<Tensor<4>>, Tensor<4>)> {
        check_paths(&x0, self.channels, self.frames, "ddpm-gen training paths")?;
        let [b, c, f, ny, nx] = x0.dims();
        if f != self.frames {
            return Err(Error::shape(
                "ddpm-gen training paths (whole trajectories)",
                format!("F = {}", self.frames),
                f,
            ));
        }
        Ok((None, x0.reshape([b, c * f, ny, nx])))
    }

    fn eps(&self, _cond: Option<&Tensor<4>>, x_t: Tensor<4>, t: Tensor<1>) -> Tensor<4> {
        self.net.forward(x_t, t).drift
    }
}

/// Draws `n` paths `[n, C, F, Ny, Nx]` (standardised) from the unconditional DDPM by
/// `sampler`'s reverse chain, on the spatial grid `(ny, nx)` the model was trained on.
/// Deterministic given `seed`; `progress` counts network calls (`⌈T/stride⌉`).
pub fn ddpm_generate(
    model: &DdpmGen,
    sampler: &DdpmSampler,
    n: usize,
    (ny, nx): (usize, usize),
    seed: u64,
    device: &Device,
    progress: &dyn Progress,
) -> Result<Tensor<5>> {
    if n == 0 {
        return Err(Error::config("samples", "must be ≥ 1"));
    }
    let (c, f) = (model.channels, model.frames);
    progress.start("DDPM generation", sampler.steps()?.len() as u64);
    let x = sampler.sample(
        [n, c * f, ny, nx],
        device,
        seed,
        &mut |x, t| model.eps(None, x, t),
        progress,
    )?;
    progress.finish();
    Ok(x.reshape([n, c, f, ny, nx]))
}
