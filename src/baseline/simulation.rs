//! `ddpm-sim`: the conditional DDPM baseline for simulation (paper §4) — the next slice given
//! the causal window of past slices, sampled autoregressively.

use super::denoiser::{Denoiser, check_paths, unet_with_channels};
use super::sampler::DdpmSampler;
use crate::error::{Error, Result};
use crate::nn::{UNet, UNetConfig};
use crate::progress::Progress;
use crate::rng;
use crate::train::RunConfig;
use burn::prelude::*;
use rand::Rng;

const SIMULATE: u64 = 0x5349_4d55; // stream tag of the per-frame chain seeds

/// Conditional ε-predictor: the U-Net sees the `w` window slices (`C·w` channels, index
/// `c·w + k`, `k = w − 1` the current slice, exactly as the PDD predictor's window) and the
/// noisy next slice (`C` channels), and returns `ε̂` for the next slice (`C` channels).
#[derive(Module, Debug)]
pub struct DdpmSim {
    /// The U-Net `C·(w + 1) → C`.
    pub net: UNet,
    /// Window `w` (the `[model]` section's, as PDD).
    pub window: usize,
    /// Channels per slice `C`.
    pub channels: usize,
}

impl DdpmSim {
    /// The causal windows ending at frames `0 … F−2` of `x` `[B, C, F, Ny, Nx]` (zero padding
    /// before frame 0, as PDD) as `[B·(F−1), C·w, Ny, Nx]` (example `b·(F−1) + f`).
    pub fn windows(&self, x: Tensor<5>) -> Tensor<4> {
        let [b, c, f, ny, nx] = x.dims();
        let (w, n) = (self.window, f - 1);
        let past = x.narrow(2, 0, n);
        let padded = if w > 1 {
            Tensor::cat(vec![Tensor::zeros([b, c, w - 1, ny, nx], &past.device()), past], 2)
        } else {
            past
        };
        let slots: Vec<Tensor<5>> = (0..w).map(|k| padded.clone().narrow(2, k, n)).collect();
        let stacked: Tensor<6> = Tensor::stack(slots, 2); // [B, C, w, F−1, Ny, Nx]
        stacked.permute([0, 3, 1, 2, 4, 5]).reshape([b * n, c * w, ny, nx])
    }
}

impl Denoiser for DdpmSim {
    const KIND: &'static str = "ddpm-sim";

    fn unet(cfg: &RunConfig) -> Result<UNetConfig> {
        let c = cfg.data.channels;
        unet_with_channels(cfg, c * (cfg.model.window + 1), c)
    }

    fn build(cfg: &RunConfig, device: &Device) -> Result<Self> {
        Ok(Self {
            net: Self::unet(cfg)?.init(device)?,
            window: cfg.model.window,
            channels: cfg.data.channels,
        })
    }

    /// Every frame pair of the batch: the window ending at `f` → slice `f + 1`,
    /// `f = 0 … F−2`; conditioning `[B·(F−1), C·w, Ny, Nx]`, targets `[B·(F−1), C, Ny, Nx]`.
    fn examples(&self, x0: Tensor<5>) -> Result<(Option<Tensor<4>>, Tensor<4>)> {
        check_paths(&x0, self.channels, 2, "ddpm-sim training paths")?;
        let [b, c, f, ny, nx] = x0.dims();
        let next = x0.clone().narrow(2, 1, f - 1).swap_dims(1, 2).reshape([b * (f - 1), c, ny, nx]);
        Ok((Some(self.windows(x0)), next))
    }

    fn eps(&self, cond: Option<&Tensor<4>>, x_t: Tensor<4>, t: Tensor<1>) -> Tensor<4> {
        let cond = cond.expect("ddpm-sim is conditioned on the past window").clone();
        self.net.forward(Tensor::cat(vec![cond, x_t], 1), t).drift
    }
}

/// Autoregressive simulation with the conditional DDPM: the first `w` frames of `x0`
/// `[B, C, F, Ny, Nx]` (standardised test paths, `F ≥ w`) are copied, then each of the
/// `n_steps` next slices is drawn by `sampler`'s reverse chain conditioned on the `w` most
/// recent slices. Returns `[B, C, w + n_steps, Ny, Nx]` (standardised). Deterministic given
/// `seed`; `progress` counts network calls (`n_steps · ⌈T/stride⌉`).
pub fn ddpm_simulate(
    model: &DdpmSim,
    sampler: &DdpmSampler,
    x0: Tensor<5>,
    n_steps: usize,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Tensor<5>> {
    let w = model.window;
    check_paths(&x0, model.channels, w, "ddpm_simulate: test paths must hold the first window")?;
    let [b, c, _, ny, nx] = x0.dims();
    let device = x0.device();
    let per_frame = sampler.steps()?.len();
    progress.start("DDPM simulation", (n_steps * per_frame) as u64);
    let mut frames: Vec<Tensor<5>> = (0..w).map(|k| x0.clone().narrow(2, k, 1)).collect();
    for n in 0..n_steps {
        let cond = Tensor::cat(frames[frames.len() - w..].to_vec(), 2).reshape([b, c * w, ny, nx]);
        let chain_seed: u64 = rng::stream(seed ^ SIMULATE, n as u64).random();
        let next = sampler
            .sample(
                [b, c, ny, nx],
                &device,
                chain_seed,
                &mut |x, t| model.eps(Some(&cond), x, t),
                progress,
            )
            .map_err(|e| match e {
                Error::NonFinite { context } => {
                    Error::NonFinite { context: format!("{context}, simulation step {}", n + 1) }
                }
                other => other,
            })?;
        frames.push(next.reshape([b, c, 1, ny, nx]));
    }
    progress.finish();
    Ok(Tensor::cat(frames, 2))
}
