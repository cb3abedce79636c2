//! The periodic convolution as one burn op on the CPU backend (flex), with its own backward.
//!
//! [`periodic_conv`] computes what `conv2d(pad_periodic(x), w)` (valid padding) computes, in one
//! pass: circular padding is folded into the im2col of [`super::conv_kernel`], and the backward
//! pass has its own input- and weight-gradient kernels instead of burn's generic
//! `conv_transpose2d` and swapped-dimension convolutions (docs/performance.md). Tensors on flex
//! (with or without autodiff) take this route; on every other backend it is the pad + conv of
//! burn's own ops, so GPU builds are unchanged.

use super::conv_kernel::{self, ConvGeometry};
use super::flex::{self, Ad};
use crate::nn::pad_periodic;
use crate::nn::profile::{self, Part};
use burn::backend::tensor::FloatTensor;
use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_flex::{Flex, FlexTensor};

/// Periodic ("circular", "same") convolution without bias: `x [N, C_in, H, W]`, `w [C_out, C_in,
/// kh, kw]` (odd kernels) → `[N, C_out, ⌈H/sy⌉, ⌈W/sx⌉]`, padding `kh/2`, `kw/2` per side.
///
/// # Panics
/// On even kernels, mismatched channels, or padding wider than the field.
pub fn periodic_conv(x: Tensor<4>, w: Tensor<4>, stride: [usize; 2]) -> Tensor<4> {
    let [_, _, kh, kw] = w.dims();
    if let (Some(xp), Some(wp)) = (flex::autodiff(&x), flex::autodiff(&w)) {
        return flex::from_autodiff(forward_autodiff(xp, wp, stride));
    }
    if let (Some(xp), Some(wp)) = (flex::plain(&x), flex::plain(&w)) {
        return flex::from_plain(forward_flex(&xp, &wp, stride));
    }
    let options = ConvOptions::new(stride, [0, 0], [1, 1], 1);
    conv2d(pad_periodic(x, kh / 2, kw / 2), w, None, options)
}

fn geometry(x: &FlexTensor, w: &FlexTensor, [sy, sx]: [usize; 2]) -> ConvGeometry {
    let [n, c_in, h, wd] = flex::dims4(x);
    let [c_out, c_in_w, kh, kw] = flex::dims4(w);
    assert_eq!(c_in, c_in_w, "periodic conv: input has {c_in} channels, kernel {c_in_w}");
    ConvGeometry { n, c_in, h, w: wd, c_out, kh, kw, sy, sx }
}

fn forward_flex(x: &FlexTensor, w: &FlexTensor, stride: [usize; 2]) -> FlexTensor {
    let g = geometry(x, w, stride);
    let y = flex::with_slices(&[x.clone(), w.clone()], |[xs, ws]| conv_kernel::forward(&g, xs, ws));
    flex::tensor(y, [g.n, g.c_out, g.ho(), g.wo()])
}

#[derive(Debug)]
struct PeriodicConvBackward;

impl Backward<Flex, 2> for PeriodicConvBackward {
    /// The forward inputs themselves, which both gradient kernels read. (Kept directly rather
    /// than by checkpoint id; the notebook failure this was first blamed for was a node-id
    /// collision between evcxr cells, fixed in `train::materialize`.)
    type State = (FlexTensor, FlexTensor, [usize; 2]);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let dy = flex::contiguous(grads.consume::<Flex>(&ops.node));
        let (x, w, stride) = ops.state;
        let g = geometry(&x, &w, stride);
        let want = [node_x.is_some(), node_w.is_some()];
        let dys = dy.as_slice::<f32>().expect("f32 output gradient");
        let (dx, dw) = profile::backward(Part::Conv, || {
            flex::with_slices(&[x, w], |[xs, ws]| conv_kernel::backward(&g, xs, ws, dys, want))
        });
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<Flex>(node.id, flex::tensor(dx, [g.n, g.c_in, g.h, g.w]));
        }
        if let (Some(node), Some(dw)) = (node_w, dw) {
            grads.register::<Flex>(node.id, flex::tensor(dw, [g.c_out, g.c_in, g.kh, g.kw]));
        }
    }
}

fn forward_autodiff(x: FloatTensor<Ad>, w: FloatTensor<Ad>, stride: [usize; 2]) -> FloatTensor<Ad> {
    match PeriodicConvBackward.prepare::<flex::Ckp>([x.node(), w.node()]).compute_bound().stateful()
    {
        OpsKind::Tracked(prep) => {
            let y = forward_flex(x.primitive(), w.primitive(), stride);
            prep.finish((x.primitive().clone(), w.primitive().clone(), stride), y)
        }
        OpsKind::UnTracked(prep) => prep.finish(forward_flex(x.primitive(), w.primitive(), stride)),
    }
}
