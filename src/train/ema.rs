//! Exponential moving average of the weights (optional; the reference's EMA never updates).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::prelude::*;
use std::collections::HashMap;

/// A shadow copy of a module whose weights track `θ̄ ← d·θ̄ + (1 − d)·θ` after every step.
#[derive(Debug, Clone)]
pub struct Ema<M: Module> {
    /// The averaged module (same parameter ids as the live one).
    pub shadow: M,
    /// Decay `d`.
    pub decay: f64,
}

struct Collect(HashMap<ParamId, Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        let v = p.val().detach().without_autodiff();
        let n = v.shape().num_elements();
        self.0.insert(p.id, v.reshape([n]));
    }
}

struct Blend {
    live: HashMap<ParamId, Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(live) = self.live.remove(&p.id) else { return p };
        let d = self.decay;
        p.map(|s| {
            let shape = s.shape();
            s.mul_scalar(d) + live.reshape(shape).mul_scalar(1.0 - d)
        })
    }
}

impl<M: Module> Ema<M> {
    /// Starts the average at the current weights of `model`.
    pub fn new(model: &M, decay: f64) -> Self {
        Self { shadow: model.clone().no_grad(), decay }
    }

    /// Blends the live weights of `model` into the average.
    pub fn update(&mut self, model: &M) {
        let mut c = Collect(HashMap::new());
        model.visit(&mut c);
        let mut blend = Blend { live: c.0, decay: self.decay };
        self.shadow = self.shadow.clone().map(&mut blend);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};

    #[test]
    fn ema_blends_with_the_decay() {
        let d = Device::flex();
        let lin: Linear = LinearConfig::new(2, 1).init(&d);
        let w0 = crate::backend::to_vec(lin.weight.val());
        let mut ema = Ema::new(&lin, 0.9);
        let moved = lin.clone().map(&mut Blend { live: HashMap::new(), decay: 0.0 });
        // move the live weights by +1 and blend
        let live = Linear { weight: moved.weight.map(|w| w.add_scalar(1.0)), ..moved };
        ema.update(&live);
        let w = crate::backend::to_vec(ema.shadow.weight.val());
        for (a, b) in w.iter().zip(&w0) {
            assert!((a - (b + 0.1)).abs() < 1e-6);
        }
    }
}
