//! The U-Net block's tail, channel RMS norm → FiLM → SiLU, as one burn op on the CPU backend
//! (flex) with its own backward pass ([`super::norm_kernel`]), instead of about ten autodiff nodes
//! of full-size element-wise ops (docs/performance.md). On every other backend, and as the
//! reference the fused op is tested against, it is [`rms_norm_film_silu_reference`].

use super::flex::{self, Ad};
use super::norm_kernel::{self, NormGeometry, NormInputs};
use crate::nn::profile::{self, Part};
use burn::backend::TensorMetadata;
use burn::backend::tensor::FloatTensor;
use burn::prelude::*;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_flex::{Flex, FlexTensor};

/// `silu(rms_norm(x)·(1 + scale) + shift)`: `x [N, C, H, W]`, `gamma [C]`, `film = (scale,
/// shift)` each `[N, C, 1, 1]` (none: scale and shift 0) → `[N, C, H, W]`. The norm is
/// `x / max(‖x‖₂, 1e−12) · √C · γ` over channels per position (docs/reference.md §8.3).
///
/// # Panics
/// If the shapes disagree.
pub fn rms_norm_film_silu(
    x: Tensor<4>,
    gamma: Tensor<1>,
    film: Option<(Tensor<4>, Tensor<4>)>,
) -> Tensor<4> {
    let [n, c, _, _] = x.dims();
    let (scale, shift) = match &film {
        Some((s, b)) => (s.clone(), b.clone()),
        None => {
            (Tensor::zeros([n, c, 1, 1], &x.device()), Tensor::zeros([n, c, 1, 1], &x.device()))
        }
    };
    let ad = [
        flex::autodiff(&x),
        flex::autodiff(&gamma),
        flex::autodiff(&scale),
        flex::autodiff(&shift),
    ];
    if let [Some(x), Some(g), Some(s), Some(b)] = ad {
        return flex::from_autodiff(forward_autodiff([x, g, s, b]));
    }
    let plain = [flex::plain(&x), flex::plain(&gamma), flex::plain(&scale), flex::plain(&shift)];
    if let [Some(x), Some(g), Some(s), Some(b)] = plain {
        return flex::from_plain(forward_flex(&[x, g, s, b]));
    }
    rms_norm_film_silu_reference(x, gamma, film)
}

/// The same computation through burn's own ops (the route of GPU backends).
pub fn rms_norm_film_silu_reference(
    x: Tensor<4>,
    gamma: Tensor<1>,
    film: Option<(Tensor<4>, Tensor<4>)>,
) -> Tensor<4> {
    let mut h = crate::nn::norm::rms_norm(x, gamma);
    if let Some((scale, shift)) = film {
        h = h.mul(scale.add_scalar(1.0)).add(shift);
    }
    burn::tensor::activation::silu(h)
}

/// Runs `f` on the geometry and elements of `[x, γ, scale, shift]`.
fn with_inputs<R>(t: &[FlexTensor; 4], f: impl FnOnce(&NormGeometry, &NormInputs) -> R) -> R {
    let [n, c, h, w] = flex::dims4(&t[0]);
    flex::with_slices(t, |[x, gamma, scale, shift]| {
        f(&NormGeometry { n, c, p: h * w }, &NormInputs { x, gamma, scale, shift })
    })
}

fn forward_flex(t: &[FlexTensor; 4]) -> FlexTensor {
    let y = with_inputs(t, norm_kernel::forward);
    flex::tensor_shaped(y, t[0].shape())
}

#[derive(Debug)]
struct NormFilmSiluBackward;

impl Backward<Flex, 4> for NormFilmSiluBackward {
    /// The forward inputs `[x, γ, scale, shift]`, which the backward pass reads.
    type State = [FlexTensor; 4];

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = flex::contiguous(grads.consume::<Flex>(&ops.node));
        let dys = dy.as_slice::<f32>().expect("f32 output gradient");
        let t = ops.state;
        let g = profile::backward(Part::NormFilmSilu, || {
            with_inputs(&t, |geo, i| norm_kernel::backward(geo, i, dys))
        });
        let [node_x, node_g, node_s, node_b] = ops.parents;
        let parts = [(node_x, g.dx), (node_g, g.dgamma), (node_s, g.dscale), (node_b, g.dshift)];
        for ((node, d), input) in parts.into_iter().zip(&t) {
            if let Some(node) = node {
                grads.register::<Flex>(node.id, flex::tensor_shaped(d, input.shape()));
            }
        }
    }
}

fn forward_autodiff(t: [FloatTensor<Ad>; 4]) -> FloatTensor<Ad> {
    let nodes = [t[0].node(), t[1].node(), t[2].node(), t[3].node()];
    let prims = [0, 1, 2, 3].map(|i| t[i].primitive().clone());
    match NormFilmSiluBackward.prepare::<flex::Ckp>(nodes).compute_bound().stateful() {
        OpsKind::Tracked(prep) => {
            let y = forward_flex(&prims);
            prep.finish(prims, y)
        }
        OpsKind::UnTracked(prep) => prep.finish(forward_flex(&prims)),
    }
}
