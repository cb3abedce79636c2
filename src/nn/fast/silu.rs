//! SiLU `x·σ(x)` as one burn op on the CPU backend (flex), forward and backward in one pass each
//! ([`super::silu_kernel`]), instead of burn's `x·sigmoid(x)` with a scalar `exp` per element and
//! two autodiff nodes (docs/performance.md). On every other backend it is burn's own `silu`.

use super::flex::{self, Ad};
use super::silu_kernel;
use crate::nn::profile::{self, Part};
use burn::backend::TensorMetadata;
use burn::backend::tensor::FloatTensor;
use burn::prelude::*;
use burn_autodiff::NodeId;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_flex::{Flex, FlexTensor};

/// SiLU `x·σ(x)` element-wise, any shape.
pub fn silu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if let Some(p) = flex::autodiff(&x) {
        return flex::from_autodiff(forward_autodiff(p));
    }
    if let Some(p) = flex::plain(&x) {
        return flex::from_plain(forward_flex(&p));
    }
    burn::tensor::activation::silu(x)
}

fn forward_flex(x: &FlexTensor) -> FlexTensor {
    let x = flex::contiguous(x.clone());
    let y = silu_kernel::forward(x.as_slice::<f32>().expect("f32 tensor"));
    flex::tensor_shaped(y, x.shape())
}

#[derive(Debug)]
struct SiluBackward;

impl Backward<Flex, 1> for SiluBackward {
    type State = NodeId;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, ckp: &mut Checkpointer) {
        let [Some(node)] = ops.parents else { return };
        let dy = flex::contiguous(grads.consume::<Flex>(&ops.node));
        let x = flex::contiguous(ckp.retrieve_node_output::<FlexTensor>(ops.state));
        let dx = profile::backward(Part::Silu, || {
            silu_kernel::backward(
                x.as_slice::<f32>().expect("f32 tensor"),
                dy.as_slice::<f32>().expect("f32 output gradient"),
            )
        });
        grads.register::<Flex>(node.id, flex::tensor_shaped(dx, x.shape()));
    }
}

fn forward_autodiff(x: FloatTensor<Ad>) -> FloatTensor<Ad> {
    match SiluBackward.prepare::<flex::Ckp>([x.node()]).compute_bound().stateful() {
        OpsKind::Tracked(mut prep) => {
            let state = prep.checkpoint(&x);
            prep.finish(state, forward_flex(x.primitive()))
        }
        OpsKind::UnTracked(prep) => prep.finish(forward_flex(x.primitive())),
    }
}
