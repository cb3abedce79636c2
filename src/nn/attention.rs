//! Linear and full self-attention over spatial positions (docs/reference.md §8.3).

use super::norm::ChannelLayerNorm;
use super::periodic::{PeriodicConv, Spatial};
use super::profile::{self, Part};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::softmax;

/// Pre-normalised residual linear attention: `x + LinAttn(LayerNormC(x))`.
///
/// `q` is soft-maxed over its `dim_head` features, `k` over positions, `q` scaled by
/// `dim_head^{−1/2}`; context `k vᵀ` per head. `[N, C, H, W] → [N, C, H, W]`.
#[derive(Module, Debug)]
pub struct LinearAttention {
    /// Pre-norm.
    pub norm: ChannelLayerNorm,
    /// 1×1 convolution `C → 3·heads·dim_head` (no bias).
    pub to_qkv: PeriodicConv,
    /// 1×1 convolution `heads·dim_head → C` (with bias).
    pub to_out: PeriodicConv,
    /// Number of heads.
    pub heads: usize,
    /// Features per head.
    pub dim_head: usize,
}

impl LinearAttention {
    /// A linear attention block on `dim` channels.
    pub fn new(
        spatial: Spatial,
        dim: usize,
        heads: usize,
        dim_head: usize,
        device: &Device,
    ) -> Self {
        let hidden = heads * dim_head;
        Self {
            norm: ChannelLayerNorm::new(dim, device),
            to_qkv: PeriodicConv::new(spatial, dim, 3 * hidden, 1, 1, false, device),
            to_out: PeriodicConv::new(spatial, hidden, dim, 1, 1, true, device),
            heads,
            dim_head,
        }
    }

    /// `x + attention(norm(x))`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        profile::forward(Part::Attention, || self.attend(x))
    }

    fn attend(&self, x: Tensor<4>) -> Tensor<4> {
        let [n, _c, h, w] = x.dims();
        let (hd, dh, p) = (self.heads, self.dim_head, h * w);
        let qkv = self.to_qkv.forward(self.norm.forward(x.clone())).reshape([n, 3, hd, dh, p]);
        let q = qkv.clone().narrow(1, 0, 1).reshape([n, hd, dh, p]);
        let k = qkv.clone().narrow(1, 1, 1).reshape([n, hd, dh, p]);
        let v = qkv.narrow(1, 2, 1).reshape([n, hd, dh, p]);
        let q = softmax(q, 2).mul_scalar((dh as f32).powf(-0.5));
        let k = softmax(k, 3);
        let ctx = k.matmul(v.swap_dims(2, 3)); // [n, hd, d, e]
        let out = ctx.swap_dims(2, 3).matmul(q); // [n, hd, e, p]
        x + self.to_out.forward(out.reshape([n, hd * dh, h, w]))
    }
}

/// Pre-normalised residual softmax attention over all positions (no positional encoding):
/// `x + Attn(LayerNormC(x))`, tokens = positions (row-major). `[N, C, H, W] → [N, C, H, W]`.
#[derive(Module, Debug)]
pub struct FullAttention {
    /// Pre-norm.
    pub norm: ChannelLayerNorm,
    /// `C → 3·heads·dim_head` (no bias).
    pub to_qkv: Linear,
    /// `heads·dim_head → C` (no bias).
    pub to_out: Linear,
    /// Number of heads.
    pub heads: usize,
    /// Features per head.
    pub dim_head: usize,
}

impl FullAttention {
    /// A full attention block on `dim` channels.
    pub fn new(dim: usize, heads: usize, dim_head: usize, device: &Device) -> Self {
        let hidden = heads * dim_head;
        Self {
            norm: ChannelLayerNorm::new(dim, device),
            to_qkv: LinearConfig::new(dim, 3 * hidden).with_bias(false).init(device),
            to_out: LinearConfig::new(hidden, dim).with_bias(false).init(device),
            heads,
            dim_head,
        }
    }

    /// `x + attention(norm(x))`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        profile::forward(Part::Attention, || self.attend(x))
    }

    fn attend(&self, x: Tensor<4>) -> Tensor<4> {
        let [n, c, h, w] = x.dims();
        let (hd, dh, p) = (self.heads, self.dim_head, h * w);
        // [n, p, c] by permuting before the reshape: burn 0.22.1's wgpu backward is wrong for a
        // reshape followed by a transpose after the norm (docs/scaling.md, "The parity test, run")
        let tokens = self.norm.forward(x.clone()).permute([0, 2, 3, 1]).reshape([n, p, c]);
        let qkv = self.to_qkv.forward(tokens); // [n, p, 3·hd·dh]
        let split = |i: usize| {
            qkv.clone().narrow(2, i * hd * dh, hd * dh).reshape([n, p, hd, dh]).swap_dims(1, 2)
        };
        let (q, k, v) = (split(0).mul_scalar((dh as f32).powf(-0.5)), split(1), split(2));
        let a = softmax(q.matmul(k.swap_dims(2, 3)), 3); // [n, hd, p, p]
        let o = a.matmul(v).swap_dims(1, 2).reshape([n, p, hd * dh]);
        let o = self.to_out.forward(o).swap_dims(1, 2).reshape([n, c, h, w]);
        x + o
    }
}
