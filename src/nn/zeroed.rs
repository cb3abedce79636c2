//! Zero-initialised layers: the output projection of a network that must start as the identity
//! of a skip connection (EDM's `c_skip·x + c_out·F(x)` with `F ≡ 0` at step 0; docs/method.md,
//! "The Gaussian skip").

use burn::module::{Module, ModuleMapper, Param};
use burn::prelude::*;

struct Zero;

impl ModuleMapper for Zero {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        // a fresh parameter with the same id: `Param::map` would take the activity of the new
        // tensor, which does not require grad, and freeze the layer
        let (id, t, _) = param.consume();
        Param::initialized(id, t.zeros_like()).set_require_grad(true)
    }
}

/// `module` with every float parameter set to zero (weights and biases), each trainable: apply
/// it to the last layer of an output head only, so that the gradients reaching the layers below
/// it are non-zero after the first step.
pub fn zeroed<M: Module>(module: M) -> M {
    module.map(&mut Zero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;

    #[test]
    fn a_zeroed_layer_outputs_zero_and_keeps_its_shape() {
        let device = Device::flex();
        let layer = zeroed(LinearConfig::new(3, 2).init(&device));
        let y = layer.forward(Tensor::<2>::ones([4, 3], &device));
        assert_eq!(y.dims(), [4, 2]);
        assert_eq!(y.abs().sum().into_scalar::<f32>(), 0.0);
        assert_eq!(layer.num_params(), 8);
        // the zeroed layer trains: its weight gets a gradient on an autodiff device
        let ad = device.autodiff();
        let layer = zeroed(LinearConfig::new(3, 2).init(&ad));
        let loss = layer.forward(Tensor::<2>::ones([4, 3], &ad)).sum();
        let grads = loss.backward();
        let g = layer.weight.grad(&grads).expect("the zeroed weight is trainable");
        assert_eq!(g.sum().into_scalar::<f32>(), 24.0);
    }
}
