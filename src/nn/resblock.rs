//! Convolution blocks with FiLM conditioning (docs/reference.md §8.3).

use super::fast::{rms_norm_film_silu, silu};
use super::norm::ChannelRmsNorm;
use super::periodic::{PeriodicConv, Spatial};
use super::profile::{self, Part};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

/// Periodic conv (k = 3) → RMSNorm → optional FiLM `x·(scale+1)+shift` → SiLU (the last three
/// one fused op on the CPU, [`super::rms_norm_film_silu`]).
/// `[N, C_in, H, W] → [N, C_out, H, W]`.
#[derive(Module, Debug)]
pub struct Block {
    /// The 3-point (3×3) periodic convolution.
    pub conv: PeriodicConv,
    /// Channel RMS norm.
    pub norm: ChannelRmsNorm,
}

impl Block {
    /// A block `c_in → c_out`.
    pub fn new(spatial: Spatial, c_in: usize, c_out: usize, device: &Device) -> Self {
        Self {
            conv: PeriodicConv::new(spatial, c_in, c_out, 3, 1, true, device),
            norm: ChannelRmsNorm::new(c_out, device),
        }
    }

    /// Applies the block; `film = (scale, shift)`, each `[N, C_out, 1, 1]`.
    pub fn forward(&self, x: Tensor<4>, film: Option<(Tensor<4>, Tensor<4>)>) -> Tensor<4> {
        let h = self.conv.forward(x);
        profile::forward(Part::NormFilmSilu, || rms_norm_film_silu(h, self.norm.gamma.val(), film))
    }
}

/// FiLM parameters from an embedding: `Linear(SiLU(e))` `[N, 2C]` split into `(scale, shift)`,
/// each `[N, C, 1, 1]`, applied as `x·(scale+1)+shift`.
pub(crate) fn film_params(lin: &Linear, e: Tensor<2>) -> (Tensor<4>, Tensor<4>) {
    let ss = lin.forward(profile::forward(Part::Silu, || silu(e)));
    let [n, c2] = ss.dims();
    let c = c2 / 2;
    let scale = ss.clone().narrow(1, 0, c).reshape([n, c, 1, 1]);
    let shift = ss.narrow(1, c, c).reshape([n, c, 1, 1]);
    (scale, shift)
}

/// Residual block `h = Block2(Block1(x, FiLM(e))) + Res(x)`; `Res` is a 1×1 convolution when the
/// channel count changes. `[N, C_in, H, W]` (+ embedding `[N, E]`) `→ [N, C_out, H, W]`.
#[derive(Module, Debug)]
pub struct ResBlock {
    /// `Linear(SiLU(e)) → (scale, shift)`; absent for unconditioned blocks.
    pub film: Option<Linear>,
    /// First block (FiLM-modulated).
    pub block1: Block,
    /// Second block.
    pub block2: Block,
    /// 1×1 convolution on the skip path when `C_in ≠ C_out`.
    pub skip: Option<PeriodicConv>,
}

impl ResBlock {
    /// A residual block `c_in → c_out`, conditioned on an embedding of size `emb` if given.
    pub fn new(
        spatial: Spatial,
        c_in: usize,
        c_out: usize,
        emb: Option<usize>,
        device: &Device,
    ) -> Self {
        Self {
            film: emb.map(|e| LinearConfig::new(e, 2 * c_out).init(device)),
            block1: Block::new(spatial, c_in, c_out, device),
            block2: Block::new(spatial, c_out, c_out, device),
            skip: (c_in != c_out)
                .then(|| PeriodicConv::new(spatial, c_in, c_out, 1, 1, true, device)),
        }
    }

    /// Applies the block; `emb` `[N, E]` is required iff the block is conditioned.
    ///
    /// # Panics
    /// If a conditioned block gets no embedding.
    pub fn forward(&self, x: Tensor<4>, emb: Option<&Tensor<2>>) -> Tensor<4> {
        let film = self.film.as_ref().map(|lin| {
            film_params(lin, emb.expect("a conditioned ResBlock needs the time embedding").clone())
        });
        let h = self.block2.forward(self.block1.forward(x.clone(), film), None);
        let r = match &self.skip {
            Some(conv) => conv.forward(x),
            None => x,
        };
        h + r
    }
}
