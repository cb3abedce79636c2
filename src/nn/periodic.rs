//! Periodic (circular) padding and convolutions.
//!
//! burn has no circular padding mode, so [`pad_periodic`] builds it from slices, and
//! [`PeriodicConv`] wraps a `Conv2d` with valid padding behind it. Every spatial operator of the
//! U-Net works on `[N, C, Ny, Nx]` tensors; 1-D fields are carried with `Ny = 1` and kernels of
//! height 1, so one implementation serves both systems.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// How many spatial axes the fields have; decides kernel shapes, strides and up-sampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Spatial {
    /// 1-D fields `[N, C, 1, L]`: kernels `1 × k`, strides `1 × s`.
    Line,
    /// 2-D fields `[N, C, Ny, Nx]`: kernels `k × k`, strides `s × s`.
    Plane,
}

impl Spatial {
    /// The layout of fields on `grid`: 1 axis → [`Spatial::Line`], 2 → [`Spatial::Plane`].
    pub fn of(grid: &crate::spectral::Grid) -> crate::Result<Self> {
        match grid.ndim() {
            1 => Ok(Spatial::Line),
            2 => Ok(Spatial::Plane),
            n => Err(crate::Error::config("grid", format!("{n} axes are not supported"))),
        }
    }

    /// Kernel shape `[kh, kw]` for a nominal kernel size `k`.
    pub fn kernel(self, k: usize) -> [usize; 2] {
        match self {
            Spatial::Line => [1, k],
            Spatial::Plane => [k, k],
        }
    }

    /// The per-axis factor `[fy, fx]` for a nominal factor `s` (strides, up-sampling).
    pub fn factor(self, s: usize) -> [usize; 2] {
        match self {
            Spatial::Line => [1, s],
            Spatial::Plane => [s, s],
        }
    }
}

/// Pads `x` `[N, C, H, W]` periodically by `py` rows and `px` columns on each side.
///
/// Output `[N, C, H + 2py, W + 2px]`; row `-1` is row `H − 1`, and so on.
///
/// # Panics
/// If `py > H` or `px > W` (the wrap-around would need more than one period).
pub fn pad_periodic(x: Tensor<4>, py: usize, px: usize) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    assert!(py <= h && px <= w, "periodic padding ({py}, {px}) exceeds the field size ({h}, {w})");
    let x = if py > 0 {
        let top = x.clone().narrow(2, h - py, py);
        let bottom = x.clone().narrow(2, 0, py);
        Tensor::cat(vec![top, x, bottom], 2)
    } else {
        x
    };
    if px > 0 {
        let left = x.clone().narrow(3, w - px, px);
        let right = x.clone().narrow(3, 0, px);
        Tensor::cat(vec![left, x, right], 3)
    } else {
        x
    }
}

/// A convolution with periodic boundary conditions ("same" size for stride 1).
///
/// Input `[N, C_in, H, W]`, output `[N, C_out, ⌈H/sy⌉, ⌈W/sx⌉]` for odd kernels with padding
/// `k/2` per side (PyTorch `padding_mode="circular"`, `padding=k//2`).
#[derive(Module, Debug)]
pub struct PeriodicConv {
    /// The convolution, applied with valid padding to the periodically padded input.
    pub conv: Conv2d,
    /// Rows padded on each side.
    pub pad_y: usize,
    /// Columns padded on each side.
    pub pad_x: usize,
}

/// Configuration of a [`PeriodicConv`], burn style:
///
/// ```
/// use pdd::nn::{PeriodicConvConfig, Spatial};
/// use burn::prelude::*;
/// let device = Device::flex();
/// let conv = PeriodicConvConfig::new(10, 2).with_kernel_size(5).init(&device);
/// let y = conv.forward(Tensor::<4>::zeros([3, 10, 1, 128], &device));
/// assert_eq!(y.dims(), [3, 2, 1, 128]);
/// let plane = PeriodicConvConfig::new(4, 8).with_spatial(Spatial::Plane).with_stride(2);
/// let y = plane.init(&device).forward(Tensor::<4>::zeros([1, 4, 40, 40], &device));
/// assert_eq!(y.dims(), [1, 8, 20, 20]);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct PeriodicConvConfig {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// 1-D (`1 × k` kernels on `[N, C, 1, L]`) or 2-D (`k × k`).
    #[config(default = "Spatial::Line")]
    pub spatial: Spatial,
    /// Nominal kernel size (odd: periodic "same" padding needs it).
    #[config(default = 3)]
    pub kernel_size: usize,
    /// Stride along each spatial axis.
    #[config(default = 1)]
    pub stride: usize,
    /// Whether the convolution has a bias.
    #[config(default = true)]
    pub bias: bool,
}

impl PeriodicConvConfig {
    /// Builds the convolution on `device`.
    ///
    /// # Panics
    /// If the kernel size is even or zero, or a channel count or the stride is zero.
    pub fn init(&self, device: &Device) -> PeriodicConv {
        let k = self.kernel_size;
        assert!(k % 2 == 1, "periodic convolution needs an odd kernel size, got {k}");
        assert!(
            self.c_in > 0 && self.c_out > 0 && self.stride > 0,
            "periodic convolution needs channels and stride ≥ 1, got {} → {} stride {}",
            self.c_in,
            self.c_out,
            self.stride
        );
        let [kh, kw] = self.spatial.kernel(k);
        let conv = Conv2dConfig::new([self.c_in, self.c_out], [kh, kw])
            .with_stride(self.spatial.factor(self.stride))
            .with_padding(PaddingConfig2d::Valid)
            .with_bias(self.bias)
            .init(device);
        PeriodicConv { conv, pad_y: kh / 2, pad_x: kw / 2 }
    }
}

impl PeriodicConv {
    /// Shorthand for the U-Net's layers: [`PeriodicConvConfig`] with every field given.
    pub(crate) fn new(
        spatial: Spatial,
        c_in: usize,
        c_out: usize,
        k: usize,
        s: usize,
        bias: bool,
        device: &Device,
    ) -> Self {
        PeriodicConvConfig::new(c_in, c_out)
            .with_spatial(spatial)
            .with_kernel_size(k)
            .with_stride(s)
            .with_bias(bias)
            .init(device)
    }

    /// Applies the convolution: `[N, C_in, H, W] → [N, C_out, H', W']`.
    ///
    /// On the CPU backend this is one fused op ([`super::fast::periodic_conv`]); elsewhere burn's
    /// pad + valid convolution. Both compute the same sums (up to float summation order).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        super::profile::forward(super::profile::Part::Conv, || self.forward_fused(x))
    }

    fn forward_fused(&self, x: Tensor<4>) -> Tensor<4> {
        let y = super::fast::periodic_conv(x, self.conv.weight.val(), self.conv.stride);
        match &self.conv.bias {
            Some(b) => {
                let c = b.dims()[0];
                y + b.val().reshape([1, c, 1, 1])
            }
            None => y,
        }
    }

    /// The same convolution through burn's own ops: periodic padding, then `Conv2d` with valid
    /// padding. The reference that [`PeriodicConv::forward`] is tested against.
    pub fn forward_reference(&self, x: Tensor<4>) -> Tensor<4> {
        self.conv.forward(pad_periodic(x, self.pad_y, self.pad_x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::upsample_nearest;

    fn dev() -> Device {
        Device::flex()
    }

    fn values(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn padding_is_the_wrap_around_definition() {
        let (h, w, py, px) = (3usize, 5usize, 2usize, 3usize);
        let data: Vec<f32> = (0..2 * h * w).map(|v| v as f32).collect();
        let x = Tensor::<1>::from_floats(data.as_slice(), &dev()).reshape([1, 2, h, w]);
        let y = values(pad_periodic(x, py, px));
        let (hh, ww) = (h + 2 * py, w + 2 * px);
        for c in 0..2 {
            for i in 0..hh {
                for j in 0..ww {
                    let si = (i as isize - py as isize).rem_euclid(h as isize) as usize;
                    let sj = (j as isize - px as isize).rem_euclid(w as isize) as usize;
                    assert_eq!(y[(c * hh + i) * ww + j], data[(c * h + si) * w + sj]);
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "exceeds the field size")]
    fn padding_more_than_a_period_panics() {
        let x = Tensor::<4>::zeros([1, 1, 2, 2], &dev());
        let _ = pad_periodic(x, 3, 0);
    }

    #[test]
    #[should_panic(expected = "needs an odd kernel size, got 4")]
    fn even_kernel_is_refused() {
        let _ = PeriodicConvConfig::new(1, 1).with_kernel_size(4).init(&dev());
    }

    #[test]
    #[should_panic(expected = "needs channels and stride ≥ 1")]
    fn zero_channels_are_refused() {
        let _ = PeriodicConvConfig::new(0, 1).init(&dev());
    }

    #[test]
    fn periodic_conv_equals_circular_sum() {
        // 1-D line conv, kernel 3: y_j = Σ_m w_m x_{j+m-1 mod L} + b
        let d = dev();
        let conv = PeriodicConv::new(Spatial::Line, 1, 1, 3, 1, true, &d);
        let wts = conv.conv.weight.val().into_data().try_into_vec::<f32>().unwrap();
        let b =
            conv.conv.bias.as_ref().unwrap().val().into_data().try_into_vec::<f32>().unwrap()[0];
        let l = 7;
        let x: Vec<f32> = (0..l).map(|i| (i as f32 * 0.7).sin()).collect();
        let y =
            values(conv.forward(Tensor::<1>::from_floats(x.as_slice(), &d).reshape([1, 1, 1, l])));
        for j in 0..l {
            let e: f32 = (0..3).map(|m| wts[m] * x[(j + l + m - 1) % l]).sum::<f32>() + b;
            assert!((y[j] - e).abs() < 1e-5, "{j}: {} vs {e}", y[j]);
        }
    }

    #[test]
    fn upsample_repeats_values() {
        let d = dev();
        let x = Tensor::<1>::from_floats([1.0, 2.0, 3.0, 4.0], &d).reshape([1, 1, 2, 2]);
        let y = values(upsample_nearest(x, [2, 2]));
        assert_eq!(y, vec![1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.]);
    }
}
