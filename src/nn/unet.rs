//! The reference U-Net (docs/reference.md §8.2), one implementation for 1-D and 2-D fields.

use super::attention::{FullAttention, LinearAttention};
use super::embedding::TimeMlp;
use super::periodic::{PeriodicConv, Spatial};
use super::profile::{self, Part};
use super::resblock::ResBlock;
use super::upsample_nearest;
use crate::error::{Error, Result};
use burn::config::Config;
use burn::prelude::*;

/// Configuration of a [`UNet`]. The paper presets are [`UNetConfig::lorenz96_paper`] and
/// [`UNetConfig::kolmogorov_paper`].
///
/// ```
/// use pdd::nn::{UNetConfig, Spatial};
/// let cfg = UNetConfig::new(Spatial::Line, 10, 2, vec![1, 2], vec![1]).with_dim(8);
/// let net = cfg.init(&burn::tensor::Device::flex()).unwrap();
/// assert!(pdd::nn::num_params(&net) > 0);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct UNetConfig {
    /// 1-D (`Line`, fields `[N, C, 1, L]`) or 2-D (`Plane`, `[N, C, Ny, Nx]`).
    pub spatial: Spatial,
    /// Input channels (`C · window` for the sliding-window predictor).
    pub in_channels: usize,
    /// Output channels per head (`C`).
    pub out_channels: usize,
    /// Channel multipliers per level: level `i` has `dim · dim_mults[i]` channels.
    pub dim_mults: Vec<usize>,
    /// Levels that get a linear-attention block.
    pub attention_levels: Vec<usize>,
    /// Base channel width.
    #[config(default = 32)]
    pub dim: usize,
    /// Kernel size of the initial convolution and of the down/up-sampling convolutions.
    #[config(default = 5)]
    pub init_kernel: usize,
    /// Attention heads.
    #[config(default = 8)]
    pub heads: usize,
    /// Features per attention head.
    #[config(default = 32)]
    pub dim_head: usize,
    /// Frequency base of the sinusoidal index embedding.
    #[config(default = 1000.0)]
    pub time_base: f64,
    /// Add a second output head predicting the forward-process noise (SA-PDD).
    #[config(default = false)]
    pub noise_head: bool,
}

impl UNetConfig {
    /// The reference Lorenz-96 network: `dim_mults [1,2,4,4,6]`, attention at level 4,
    /// input `2 channels × window`.
    pub fn lorenz96_paper(window: usize) -> Self {
        Self::new(Spatial::Line, 2 * window, 2, vec![1, 2, 4, 4, 6], vec![4])
    }

    /// The reference Kolmogorov network: `dim_mults [1,2,4,6]`, attention at level 3,
    /// input `1 channel × window`.
    pub fn kolmogorov_paper(window: usize) -> Self {
        Self::new(Spatial::Plane, window, 1, vec![1, 2, 4, 6], vec![3])
    }

    /// Total down-sampling factor along a down-sampled axis: `2^(levels − 1)`.
    pub fn downsampling_factor(&self) -> usize {
        1 << self.dim_mults.len().saturating_sub(1)
    }

    /// Checks the configuration, naming the offending field.
    pub fn validate(&self) -> Result<()> {
        let f = |name: &str, ok: bool, why: &str| {
            if ok { Ok(()) } else { Err(Error::config(format!("model.{name}"), why)) }
        };
        f("in_channels", self.in_channels > 0, "must be > 0")?;
        f("out_channels", self.out_channels > 0, "must be > 0")?;
        f("dim_mults", !self.dim_mults.is_empty(), "needs at least one level")?;
        f("dim_mults", self.dim_mults.iter().all(|&m| m > 0), "multipliers must be > 0")?;
        f("dim", self.dim > 0, "must be > 0")?;
        f("init_kernel", self.init_kernel % 2 == 1, "must be odd (periodic same padding)")?;
        f("heads", self.heads > 0 && self.dim_head > 0, "heads and dim_head must be > 0")?;
        f("time_base", self.time_base > 1.0, "must be > 1")?;
        f(
            "dim",
            self.dim >= 4 && self.dim.is_multiple_of(2),
            "must be even and ≥ 4 (sinusoidal embedding)",
        )?;
        f("time_base", self.time_base.is_finite(), "must be finite")?;
        if let Some(l) = self.attention_levels.iter().find(|&&l| l >= self.dim_mults.len()) {
            return Err(Error::config(
                "model.attention_levels",
                format!("level {l} does not exist ({} levels)", self.dim_mults.len()),
            ));
        }
        let what = "the U-Net's weights, gradients and Adam state";
        crate::validate::memory::ensure_fits("model.dim", what, self.training_bytes())
    }

    /// An upper estimate of the bytes training needs for the weights, their gradients and
    /// Adam's two moments (f32): about `12·k·Σ_level (dim·mult)²` weights, `k` the kernel's
    /// points (`init_kernel`, squared in 2-D). Used to refuse absurd sizes before allocating.
    pub fn training_bytes(&self) -> f64 {
        let k = match self.spatial {
            Spatial::Line => self.init_kernel.max(3) as f64,
            Spatial::Plane => (self.init_kernel.max(3) as f64).powi(2),
        };
        let d = self.dim as f64;
        let widths: f64 = self.dim_mults.iter().map(|&m| (d * m as f64).powi(2)).sum();
        let attention = (self.heads as f64 * self.dim_head as f64) * d * 16.0;
        (12.0 * k * (widths + d * d) + attention) * 4.0 * 4.0
    }

    /// Checks that fields of `dims` (`[L]` or `[Ny, Nx]`) fit the network: each down-sampled
    /// axis must be divisible by [`downsampling_factor`](Self::downsampling_factor) and, at the
    /// coarsest level, at least `init_kernel/2` points wide (periodic padding).
    pub fn check_grid(&self, dims: &[usize]) -> Result<()> {
        let want = match self.spatial {
            Spatial::Line => 1,
            Spatial::Plane => 2,
        };
        if dims.len() != want {
            return Err(Error::shape("U-Net grid", format!("{want} spatial axes"), dims));
        }
        let fac = self.downsampling_factor();
        for &n in dims {
            if n % fac != 0 || n / fac < self.init_kernel / 2 {
                return Err(Error::config(
                    "model.dim_mults",
                    format!(
                        "grid axis of {n} points is not divisible into {} levels (factor {fac}, \
                         coarsest axis must keep ≥ {} points)",
                        self.dim_mults.len(),
                        self.init_kernel / 2
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Builds the network with PyTorch-default initialisation (`U(±1/√fan_in)`).
    pub fn init(&self, device: &Device) -> Result<UNet> {
        self.validate()?;
        let s = self.spatial;
        let dim = self.dim;
        let emb = 4 * dim;
        let mut dims = vec![dim];
        dims.extend(self.dim_mults.iter().map(|m| dim * m));
        let n = self.dim_mults.len();
        let attn = |i: usize, c: usize| {
            self.attention_levels
                .contains(&i)
                .then(|| LinearAttention::new(s, c, self.heads, self.dim_head, device))
        };
        let down = (0..n)
            .map(|i| Level {
                res1: ResBlock::new(s, dims[i], dims[i + 1], Some(emb), device),
                res2: ResBlock::new(s, dims[i + 1], dims[i + 1], Some(emb), device),
                attn: attn(i, dims[i + 1]),
                resample: (i + 1 < n).then(|| {
                    PeriodicConv::new(
                        s,
                        dims[i + 1],
                        dims[i + 1],
                        self.init_kernel,
                        2,
                        true,
                        device,
                    )
                }),
            })
            .collect();
        let mid = dims[n];
        let up = (0..n)
            .rev()
            .map(|i| Level {
                res1: ResBlock::new(s, 2 * dims[i + 1], dims[i], Some(emb), device),
                res2: ResBlock::new(s, dims[i], dims[i], Some(emb), device),
                attn: attn(i, dims[i]),
                resample: (i > 0).then(|| {
                    PeriodicConv::new(s, dims[i], dims[i], self.init_kernel, 1, true, device)
                }),
            })
            .collect();
        Ok(UNet {
            init_conv: PeriodicConv::new(
                s,
                self.in_channels,
                dim,
                self.init_kernel,
                1,
                true,
                device,
            ),
            time_mlp: TimeMlp::new(dim, self.time_base, device),
            down,
            mid1: ResBlock::new(s, mid, mid, Some(emb), device),
            mid_attn: FullAttention::new(mid, self.heads, self.dim_head, device),
            mid2: ResBlock::new(s, mid, mid, Some(emb), device),
            up,
            final_block: ResBlock::new(s, 2 * dim, dim, None, device),
            drift_head: PeriodicConv::new(s, dim, self.out_channels, 1, 1, true, device),
            noise_head: self
                .noise_head
                .then(|| PeriodicConv::new(s, dim, self.out_channels, 1, 1, true, device)),
            upsample: s.factor(2),
        })
    }
}

/// One encoder or decoder level: two residual blocks, optional linear attention, and the
/// down-sampling (encoder) or up-sampling (decoder) convolution.
#[derive(Module, Debug)]
pub struct Level {
    /// First residual block.
    pub res1: ResBlock,
    /// Second residual block.
    pub res2: ResBlock,
    /// Optional linear attention.
    pub attn: Option<LinearAttention>,
    /// Stride-2 convolution (encoder) or convolution after nearest up-sampling (decoder).
    pub resample: Option<PeriodicConv>,
}

impl Level {
    fn blocks(&self, x: Tensor<4>, e: &Tensor<2>) -> Tensor<4> {
        let x = self.res2.forward(self.res1.forward(x, Some(e)), Some(e));
        match &self.attn {
            Some(a) => a.forward(x),
            None => x,
        }
    }
}

/// Outputs of a backbone: the drift (one-frame increment) and, for SA-PDD, the noise estimate.
/// Each `[N, C, H, W]`.
#[derive(Debug, Clone)]
pub struct Heads {
    /// Drift head output.
    pub drift: Tensor<4>,
    /// Noise head output (two-head networks only).
    pub noise: Option<Tensor<4>>,
}

/// The reference U-Net: periodic convolutions, RMSNorm + FiLM residual blocks, linear attention
/// at chosen levels, full attention in the middle, one or two 1×1 output heads.
///
/// Input `[N, C_in, H, W]` and the diffusion index `t` `[N]`; output [`Heads`] `[N, C_out, H, W]`.
#[derive(Module, Debug)]
pub struct UNet {
    /// Initial periodic convolution `C_in → dim`.
    pub init_conv: PeriodicConv,
    /// Embedding of the diffusion index.
    pub time_mlp: TimeMlp,
    /// Encoder levels.
    pub down: Vec<Level>,
    /// First middle residual block.
    pub mid1: ResBlock,
    /// Middle full attention.
    pub mid_attn: FullAttention,
    /// Second middle residual block.
    pub mid2: ResBlock,
    /// Decoder levels (coarsest first).
    pub up: Vec<Level>,
    /// Unconditioned block on `[decoder output, initial features]`.
    pub final_block: ResBlock,
    /// 1×1 drift head.
    pub drift_head: PeriodicConv,
    /// 1×1 noise head (SA-PDD).
    pub noise_head: Option<PeriodicConv>,
    /// Up-sampling factors `[fy, fx]`.
    pub upsample: [usize; 2],
}

impl UNet {
    /// Runs the network: `x` `[N, C_in, H, W]`, `t` `[N]` → heads `[N, C_out, H, W]`.
    pub fn forward(&self, x: Tensor<4>, t: Tensor<1>) -> Heads {
        let h0 = self.init_conv.forward(x);
        let e = self.time_mlp.forward(t);
        let mut x = h0.clone();
        let mut skips = Vec::with_capacity(self.down.len());
        for level in &self.down {
            x = level.blocks(x, &e);
            skips.push(x.clone());
            if let Some(conv) = &level.resample {
                x = conv.forward(x);
            }
        }
        x = self.mid2.forward(self.mid_attn.forward(self.mid1.forward(x, Some(&e))), Some(&e));
        for level in &self.up {
            let skip = skips.pop().expect("one skip per level");
            x = level
                .blocks(profile::forward(Part::Resample, || Tensor::cat(vec![x, skip], 1)), &e);
            if let Some(conv) = &level.resample {
                x = conv.forward(profile::forward(Part::Resample, || {
                    upsample_nearest(x, self.upsample)
                }));
            }
        }
        let z = profile::forward(Part::Resample, || Tensor::cat(vec![x, h0], 1));
        let z = self.final_block.forward(z, None);
        Heads {
            drift: self.drift_head.forward(z.clone()),
            noise: self.noise_head.as_ref().map(|h| h.forward(z)),
        }
    }
}
