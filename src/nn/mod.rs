//! Neural-network building blocks, the reference U-Net (docs/reference.md §8) and a Fourier Neural
//! Operator backbone ([`Fno`], paper Appendix D.5), on burn 0.22.
//!
//! All spatial operators act on `[N, C, Ny, Nx]` tensors; 1-D fields use `Ny = 1` with `1 × k`
//! kernels ([`Spatial::Line`]), so the 1-D and 2-D networks share one implementation and have the
//! same parameter counts as the reference's `Conv1d`/`Conv2d` versions.

mod attention;
mod embedding;
mod fast;
mod fno;
mod norm;
mod periodic;
pub mod profile;
mod resblock;
mod unet;
mod zeroed;

pub use attention::{FullAttention, LinearAttention};
pub use embedding::{TimeMlp, sinusoidal_embedding};
pub use fast::{
    Route, periodic_conv, rms_norm_film_silu, rms_norm_film_silu_reference, route as fused_route,
    silu, upsample_nearest, upsample_nearest_reference,
};
pub use fno::{
    Fno, FnoBlock, FnoConfig, FnoProjection, SpectralConv, SpectralConvConfig, pointwise,
};
pub use norm::{ChannelLayerNorm, ChannelRmsNorm};
pub use periodic::{PeriodicConv, PeriodicConvConfig, Spatial, pad_periodic};
pub use resblock::{Block, ResBlock};
pub use unet::{Heads, Level, UNet, UNetConfig};
pub use zeroed::zeroed;

/// Number of trainable scalars in a module.
pub fn num_params<M: burn::module::Module>(module: &M) -> usize {
    module.num_params()
}
