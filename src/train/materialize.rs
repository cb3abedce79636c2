//! A freshly built model's parameters, rebuilt by the trainer's own code before training.
//!
//! burn gives every autodiff node an id from a counter that is a `static` of `burn-autodiff`.
//! Inside one program there is one counter; in a Jupyter notebook there is one per cell: evcxr
//! links a copy of every dependency into each cell's library (kernels/README.md, "evcxr
//! behaviours"). A predictor whose constructor was written in an earlier cell than the one that
//! trains it (the tutorials' custom predictor) initialises its parameters lazily with that cell's
//! copy, so their leaf ids come from another counter than the training step's operations, and two
//! nodes of one graph can share an id: their gradients are then summed (wrongly, or with a shape
//! error). [`materialize`] copies every float parameter into a new tensor made here, so the whole
//! step's graph draws its ids from one counter. The values and parameter ids are unchanged.

use burn::module::{Module, ModuleMapper, Param};
use burn::prelude::*;

struct Rebuild<'a> {
    device: &'a Device,
}

impl ModuleMapper for Rebuild<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, t, _) = param.consume();
        let trainable = t.is_require_grad();
        let fresh = Tensor::from_data(t.into_data(), self.device);
        Param::initialized(id, fresh).set_require_grad(trainable)
    }
}

/// `model` with every float parameter copied into a tensor created by this crate's code on
/// `device` (the training device, usually with autodiff): same values, same parameter ids, same
/// trainability.
pub fn materialize<M: Module>(model: M, device: &Device) -> M {
    model.map(&mut Rebuild { device })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::ModuleVisitor;
    use burn::nn::LinearConfig;

    struct Collect(Vec<(burn::module::ParamId, Vec<f32>)>);

    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let v = param.val().into_data().try_into_vec::<f32>().unwrap();
            self.0.push((param.id, v));
        }
    }

    fn params<M: Module>(m: &M) -> Vec<(burn::module::ParamId, Vec<f32>)> {
        let mut c = Collect(Vec::new());
        m.visit(&mut c);
        c.0
    }

    #[test]
    fn values_ids_and_training_are_kept() {
        let ad = Device::flex().autodiff();
        let layer = LinearConfig::new(3, 2).init(&ad);
        let before = params(&layer);
        let layer = materialize(layer, &ad);
        assert_eq!(params(&layer), before);
        let loss = layer.forward(Tensor::<2>::ones([4, 3], &ad)).sum();
        let grads = loss.backward();
        let g = layer.weight.grad(&grads).expect("the rebuilt weight is trainable");
        assert_eq!(g.sum().into_scalar::<f32>(), 24.0);
        assert!(layer.bias.as_ref().unwrap().grad(&grads).is_some());
    }

    #[test]
    fn frozen_parameters_stay_frozen() {
        let ad = Device::flex().autodiff();
        let layer = LinearConfig::new(3, 2).init(&ad).no_grad();
        let layer = materialize(layer, &ad);
        let x = Tensor::<2>::ones([4, 3], &ad).require_grad();
        let grads = layer.forward(x.clone()).sum().backward();
        assert!(layer.weight.grad(&grads).is_none());
        assert!(x.grad(&grads).is_some());
    }
}
