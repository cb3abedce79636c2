//! The [`Backbone`] trait: any network from stacked window slices to output heads.

use crate::nn::{Fno, Heads, UNet};
use burn::prelude::*;

/// A spatial network used inside a [`SlidingWindow`](super::SlidingWindow).
///
/// `x`: `[N, C·w, Ny, Nx]` — the `w` window slices of `C` channels stacked channel-major
/// (index `c·w + k`, `k = 0` oldest, `k = w − 1` current), `Ny = 1` for 1-D fields;
/// `t`: `[N]`, the diffusion index (0…T−1) as a float. Returns [`Heads`] with `drift`
/// `[N, C, Ny, Nx]` (the one-frame increment of the standardised field) and, for SA-PDD, `noise`.
///
/// Implement it for your own `#[derive(Module)]` network to prototype a new predictor:
///
/// ```
/// use burn::prelude::*;
/// use pdd::nn::{Heads, PeriodicConv, PeriodicConvConfig};
/// use pdd::predictor::{Backbone, Predictor, PredictorBuilder};
///
/// #[derive(Module, Debug)]
/// struct Tiny { conv: PeriodicConv }
///
/// impl Backbone for Tiny {
///     fn forward(&self, x: Tensor<4>, _t: Tensor<1>) -> Heads {
///         Heads { drift: self.conv.forward(x), noise: None }
///     }
/// }
///
/// let device = Device::flex();
/// // 2 channels, window 3 → 6 input channels, kernel 5
/// let tiny = Tiny { conv: PeriodicConvConfig::new(6, 2).with_kernel_size(5).init(&device) };
/// let predictor = PredictorBuilder::new().window(3).channels(2).build(tiny).unwrap();
/// let x = Tensor::<5>::zeros([4, 2, 10, 1, 16], &device);
/// let out = predictor.forward(x, Tensor::zeros([4], &device));
/// assert_eq!(out.drift.dims(), [4, 2, 10, 1, 16]);
/// ```
pub trait Backbone: Module {
    /// `[N, C·w, Ny, Nx]`, `[N]` → heads `[N, C, Ny, Nx]`.
    fn forward(&self, x: Tensor<4>, t: Tensor<1>) -> Heads;
}

impl Backbone for UNet {
    fn forward(&self, x: Tensor<4>, t: Tensor<1>) -> Heads {
        UNet::forward(self, x, t)
    }
}

impl Backbone for Fno {
    fn forward(&self, x: Tensor<4>, t: Tensor<1>) -> Heads {
        Fno::forward(self, x, t)
    }
}
