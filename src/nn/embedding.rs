//! Sinusoidal embedding of the diffusion index and the time MLP (docs/reference.md §8.2–§8.3).

use burn::nn::{Gelu, Linear, LinearConfig};
use burn::prelude::*;

/// Sinusoidal embedding of a scalar per example: `[sin(t·f_j)…, cos(t·f_j)…]` with
/// `f_j = base^{−j/(half−1)}`, `j = 0…half−1`, `half = dim/2`.
///
/// Input `t` `[N]` (the integer diffusion index as a float, as the reference), output `[N, dim]`.
pub fn sinusoidal_embedding(t: Tensor<1>, dim: usize, base: f64) -> Tensor<2> {
    assert!(
        dim >= 4 && dim.is_multiple_of(2),
        "embedding dimension must be even and ≥ 4, got {dim}"
    );
    let half = dim / 2;
    let freqs: Vec<f32> =
        (0..half).map(|j| base.powf(-(j as f64) / (half as f64 - 1.0)) as f32).collect();
    let f = Tensor::<1>::from_floats(freqs.as_slice(), &t.device()).reshape([1, half]);
    let n = t.dims()[0];
    let arg = t.reshape([n, 1]).mul(f);
    Tensor::cat(vec![arg.clone().sin(), arg.cos()], 1)
}

/// Time MLP: sinusoidal(dim) → Linear(dim, 4·dim) → GELU (erf) → Linear(4·dim, 4·dim).
/// Input `[N]`, output `[N, 4·dim]`.
#[derive(Module, Debug)]
pub struct TimeMlp {
    /// First linear layer.
    pub lin1: Linear,
    /// Exact (erf) GELU.
    pub act: Gelu,
    /// Second linear layer.
    pub lin2: Linear,
    /// Embedding dimension.
    pub dim: usize,
    /// Frequency base of the sinusoidal embedding.
    pub base: f64,
}

impl TimeMlp {
    /// A time MLP for embedding dimension `dim` and frequency base `base`.
    pub fn new(dim: usize, base: f64, device: &Device) -> Self {
        Self {
            lin1: LinearConfig::new(dim, 4 * dim).init(device),
            act: Gelu::new(),
            lin2: LinearConfig::new(4 * dim, 4 * dim).init(device),
            dim,
            base,
        }
    }

    /// `[N] → [N, 4·dim]`.
    pub fn forward(&self, t: Tensor<1>) -> Tensor<2> {
        super::profile::forward(super::profile::Part::TimeEmbedding, || {
            let e = sinusoidal_embedding(t, self.dim, self.base);
            self.lin2.forward(self.act.forward(self.lin1.forward(e)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_matches_formula() {
        let d = Device::flex();
        let e = sinusoidal_embedding(Tensor::from_floats([0.0, 7.0], &d), 8, 1000.0);
        let v = e.into_data().try_into_vec::<f32>().unwrap();
        for (row, t) in [0.0f64, 7.0].iter().enumerate() {
            for j in 0..4 {
                let f = 1000f64.powf(-(j as f64) / 3.0);
                assert!((v[row * 8 + j] as f64 - (t * f).sin()).abs() < 1e-5);
                assert!((v[row * 8 + 4 + j] as f64 - (t * f).cos()).abs() < 1e-5);
            }
        }
    }
}
