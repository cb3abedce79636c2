//! Channel normalisations of the reference U-Net (docs/reference.md §8.3).

use burn::module::Param;
use burn::prelude::*;

/// RMS normalisation over channels: `x / max(‖x‖₂, 1e−12) · √C · γ_c` per position.
///
/// Input and output `[N, C, H, W]`; `γ` `[C]` starts at 1.
#[derive(Module, Debug)]
pub struct ChannelRmsNorm {
    /// Per-channel gain `[C]`.
    pub gamma: Param<Tensor<1>>,
}

impl ChannelRmsNorm {
    /// A norm over `channels` channels.
    pub fn new(channels: usize, device: &Device) -> Self {
        Self { gamma: Param::from_tensor(Tensor::ones([channels], device)) }
    }

    /// Normalises `x` `[N, C, H, W]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        rms_norm(x, self.gamma.val())
    }
}

/// [`ChannelRmsNorm`]'s computation with gain `gamma [C]` on `x [N, C, H, W]`, in burn's ops.
pub(crate) fn rms_norm(x: Tensor<4>, gamma: Tensor<1>) -> Tensor<4> {
    let c = gamma.dims()[0];
    // max(‖x‖, 1e-12) == sqrt(max(‖x‖², 1e-24)); the clamp keeps the gradient finite at 0.
    let norm = x.clone().square().sum_dim(1).clamp_min(1e-24).sqrt();
    let g = gamma.reshape([1, c, 1, 1]).mul_scalar((c as f32).sqrt());
    x.div(norm).mul(g)
}

/// Layer normalisation over channels without bias: `(x − mean_c)/√(var_c + 1e−5) · γ_c`
/// (biased variance), the reference's pre-attention norm. Input/output `[N, C, H, W]`.
#[derive(Module, Debug)]
pub struct ChannelLayerNorm {
    /// Per-channel gain `[C]`.
    pub gamma: Param<Tensor<1>>,
}

impl ChannelLayerNorm {
    /// A norm over `channels` channels.
    pub fn new(channels: usize, device: &Device) -> Self {
        Self { gamma: Param::from_tensor(Tensor::ones([channels], device)) }
    }

    /// Normalises `x` `[N, C, H, W]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let c = self.gamma.dims()[0];
        let mean = x.clone().mean_dim(1);
        let centred = x - mean;
        let var = centred.clone().square().mean_dim(1);
        centred.div(var.add_scalar(1e-5).sqrt()).mul(self.gamma.val().reshape([1, c, 1, 1]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_norm_gives_unit_rms_over_channels() {
        let d = Device::flex();
        let x = Tensor::<1>::from_floats([3.0, 4.0, 0.5, -1.0, 2.0, 2.0], &d).reshape([1, 3, 1, 2]);
        let y = ChannelRmsNorm::new(3, &d).forward(x).into_data().try_into_vec::<f32>().unwrap();
        // position 0: channels (3, 0.5, 2); position 1: (4, -1, 2)
        for p in 0..2 {
            let ms: f32 = (0..3).map(|c| y[c * 2 + p].powi(2)).sum::<f32>() / 3.0;
            assert!((ms - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn layer_norm_centres_and_scales() {
        let d = Device::flex();
        let x = Tensor::<1>::from_floats([1.0, 2.0, 3.0, 5.0], &d).reshape([1, 4, 1, 1]);
        let y = ChannelLayerNorm::new(4, &d).forward(x).into_data().try_into_vec::<f32>().unwrap();
        let mean = 2.75f32;
        let var = [1.0f32, 2.0, 3.0, 5.0].iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
        for (i, v) in [1.0f32, 2.0, 3.0, 5.0].iter().enumerate() {
            assert!((y[i] - (v - mean) / (var + 1e-5).sqrt()).abs() < 1e-5);
        }
    }
}
