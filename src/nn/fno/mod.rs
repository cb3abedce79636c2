//! A Fourier Neural Operator backbone (Li et al. 2021), 1-D and 2-D; the paper reports that it
//! works as well as the U-Net on Lorenz-96 (paper Appendix D.5, Fig. 17).
//!
//! The network lifts the `C·w` input channels to `width` with a pointwise linear map, applies `layers`
//! [`FnoBlock`]s (spectral convolution + pointwise linear map, FiLM-conditioned on the diffusion
//! index as the U-Net's residual blocks, docs/reference.md §8.3) and projects `width → hidden → C`
//! for the drift head and, for SA-PDD, a second projection for the noise head. Every layer is
//! periodic and pointwise or spectral, so the network commutes with translations of the grid.
//!
//! [`Fno`] has a runnable example inside the sliding-window predictor.

mod block;
mod spectral;
#[cfg(test)]
mod tests;

pub use block::{FnoBlock, FnoProjection, pointwise};
pub use spectral::{SpectralConv, SpectralConvConfig};

use super::Heads;
use super::embedding::TimeMlp;
use super::periodic::Spatial;
use crate::error::{Error, Result};
use burn::config::Config;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use spectral::{Basis, check_modes};

/// Configuration of an [`Fno`].
///
/// ```
/// use pdd::nn::{FnoConfig, Spatial};
/// let cfg = FnoConfig::new(Spatial::Plane, 5, 1).with_modes(12);
/// assert!(cfg.check_grid(&[40, 40]).is_ok());
/// assert!(cfg.with_modes(21).check_grid(&[40, 40]).is_err()); // 2·21 rows > 40
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct FnoConfig {
    /// 1-D (`Line`, fields `[N, C, 1, L]`) or 2-D (`Plane`, `[N, C, Ny, Nx]`).
    pub spatial: Spatial,
    /// Input channels (`C · window` for the sliding-window predictor).
    pub in_channels: usize,
    /// Output channels per head (`C`).
    pub out_channels: usize,
    /// Retained Fourier modes per axis: `k_x = 0…m−1`, and in 2-D `k_y = −m…m−1`.
    #[config(default = 16)]
    pub modes: usize,
    /// Channels of the Fourier layers (also the sinusoidal embedding size; even, ≥ 4).
    #[config(default = 32)]
    pub width: usize,
    /// Number of Fourier layers.
    #[config(default = 4)]
    pub layers: usize,
    /// Hidden channels of the projection heads.
    #[config(default = 128)]
    pub hidden: usize,
    /// Frequency base of the sinusoidal index embedding.
    #[config(default = 1000.0)]
    pub time_base: f64,
    /// Add a second output head predicting the forward-process noise (SA-PDD).
    #[config(default = false)]
    pub noise_head: bool,
}

impl FnoConfig {
    /// Checks the configuration, naming the offending field.
    pub fn validate(&self) -> Result<()> {
        let f = |name: &str, ok: bool, why: &str| {
            if ok { Ok(()) } else { Err(Error::config(format!("model.{name}"), why)) }
        };
        f("in_channels", self.in_channels > 0, "must be > 0")?;
        f("out_channels", self.out_channels > 0, "must be > 0")?;
        f("modes", self.modes > 0, "must be > 0")?;
        f("width", self.width > 0, "must be > 0")?;
        f(
            "width",
            self.width >= 4 && self.width.is_multiple_of(2),
            "must be even and ≥ 4 (sinusoidal embedding)",
        )?;
        f("layers", self.layers > 0, "must be > 0")?;
        f("hidden", self.hidden > 0, "must be > 0")?;
        f("time_base", self.time_base > 1.0 && self.time_base.is_finite(), "must be finite, > 1")?;
        let what = "the FNO's weights, gradients and Adam state";
        crate::validate::memory::ensure_fits("model.fno.width", what, self.training_bytes())
    }

    /// An upper estimate of the bytes training needs for the weights, their gradients and
    /// Adam's two moments (f32): per layer `2·width²·modes^d` spectral weights (complex), plus
    /// the projections. Used to refuse absurd sizes before allocating.
    pub fn training_bytes(&self) -> f64 {
        let d = match self.spatial {
            Spatial::Line => 1,
            Spatial::Plane => 2,
        };
        let (w, m) = (self.width as f64, self.modes as f64);
        let spectral = 2.0 * w * w * m.powi(d) * if d == 2 { 2.0 } else { 1.0 };
        let per_layer = spectral + w * w + 8.0 * w;
        let heads = 2.0 * (w * self.hidden as f64 + self.hidden as f64 * 4.0);
        (self.layers as f64 * per_layer + heads + w * self.in_channels as f64) * 4.0 * 4.0
    }

    /// Checks that fields of `dims` (`[L]` or `[Ny, Nx]`) hold the retained modes:
    /// `modes ≤ Nx/2 + 1` and, in 2-D, `2·modes ≤ Ny`.
    pub fn check_grid(&self, dims: &[usize]) -> Result<()> {
        check_modes(self.spatial, self.modes, dims)
    }

    /// Builds the network (burn's default initialisation for the linear maps, Li et al.'s for
    /// the spectral weights).
    pub fn init(&self, device: &Device) -> Result<Fno> {
        self.validate()?;
        let (s, w) = (self.spatial, self.width);
        let emb = 4 * w;
        let blocks = (0..self.layers)
            .map(|i| FnoBlock::new(s, w, self.modes, emb, i + 1 < self.layers, device))
            .collect::<Result<Vec<_>>>()?;
        let head = || FnoProjection::new(w, self.hidden, self.out_channels, device);
        Ok(Fno {
            lift: LinearConfig::new(self.in_channels, w).init(device),
            time_mlp: TimeMlp::new(w, self.time_base, device),
            blocks,
            drift_head: head(),
            noise_head: self.noise_head.then(head),
        })
    }
}

/// The Fourier Neural Operator backbone: lift → Fourier layers → projection head(s).
///
/// Input `[N, C_in, Ny, Nx]` (`Ny = 1` in 1-D) and the diffusion index `t` `[N]`; output
/// [`Heads`] `[N, C_out, Ny, Nx]`. The grid is read from the input; it must hold the modes
/// ([`FnoConfig::check_grid`]).
///
/// ```
/// use burn::prelude::*;
/// use pdd::nn::{FnoConfig, Spatial};
/// use pdd::predictor::{Predictor, PredictorBuilder};
///
/// let device = Device::flex();
/// // Lorenz-96-like: 2 channels, window 3 → 6 input channels, 32 grid points
/// let cfg = FnoConfig::new(Spatial::Line, 6, 2).with_modes(8).with_width(8).with_layers(2);
/// cfg.check_grid(&[32]).unwrap();
/// let fno = cfg.init(&device).unwrap();
/// let predictor = PredictorBuilder::new().window(3).channels(2).build(fno).unwrap();
/// let path = Tensor::<5>::zeros([2, 2, 4, 1, 32], &device); // [B, C, F, 1, L]
/// let out = predictor.forward(path, Tensor::from_floats([0.0, 10.0], &device));
/// assert_eq!(out.drift.dims(), [2, 2, 4, 1, 32]);
/// ```
#[derive(Module, Debug)]
pub struct Fno {
    /// Pointwise linear map `C_in → width` ([`pointwise`]).
    pub lift: Linear,
    /// Embedding of the diffusion index, `[N] → [N, 4·width]`.
    pub time_mlp: TimeMlp,
    /// The Fourier layers.
    pub blocks: Vec<FnoBlock>,
    /// Drift head `width → hidden → C_out`.
    pub drift_head: FnoProjection,
    /// Noise head (SA-PDD), same shape.
    pub noise_head: Option<FnoProjection>,
}

impl Fno {
    /// Runs the network: `x` `[N, C_in, Ny, Nx]`, `t` `[N]` → heads `[N, C_out, Ny, Nx]`.
    ///
    /// # Panics
    /// If the grid cannot hold the retained modes or the channel count differs from `C_in`.
    pub fn forward(&self, x: Tensor<4>, t: Tensor<1>) -> Heads {
        let [_, _, ny, nx] = x.dims();
        let e = self.time_mlp.forward(t);
        let mut h = pointwise(&self.lift, x);
        let mut basis: Option<([usize; 2], Basis)> = None;
        for block in &self.blocks {
            let modes = block.spectral.modes;
            if basis.as_ref().is_none_or(|(m, _)| *m != modes) {
                basis = Some((modes, Basis::new(ny, nx, modes, &h.device())));
            }
            let (_, b) = basis.as_ref().expect("built above");
            h = block.forward_with(h, &e, b);
        }
        Heads {
            drift: self.drift_head.forward(h.clone()),
            noise: self.noise_head.as_ref().map(|head| head.forward(h)),
        }
    }
}
