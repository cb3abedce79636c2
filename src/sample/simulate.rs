//! Surrogate simulation at a fixed λ (paper Algorithm 2; docs/reference.md §5.6).

use crate::diffusion::{DeviceProcess, ForwardProcess, Table};
use crate::error::{Error, Result};
use crate::predictor::{Action, Predictor};
use burn::prelude::*;
use burn::tensor::Distribution;

/// Result of [`simulate`], standardised units, each `[B, C, ·, Ny, Nx]`.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The "physics" reference: the test paths coarse-grained deterministically, `C_λ u₀`
    /// (`[B, C, F, Ny, Nx]`).
    pub truth: Tensor<5>,
    /// The surrogate path: the `w` conditioning frames copied from `truth`, then `n_steps`
    /// predicted frames (`[B, C, w + n_steps, Ny, Nx]`).
    pub path: Tensor<5>,
    /// Window size `w` (the number of conditioning frames to exclude from metrics).
    pub window: usize,
}

/// Rolls `predictor` forward in physical time at diffusion index `index` from the first window
/// of the coarse-grained test paths `x0` `[B, C, F, Ny, Nx]` (standardised):
/// `u_{n+1} = u_n + g(u_{n−w+1..n}, λ) [+ noise]` (Euler–Maruyama, Eq. 24, in standardised
/// units). `noise = None` is the paper's deterministic evaluation (σ_λ = 0); `Some(action)`
/// adds the transition noise of the PDD density the predictor was trained with (Eq. 58;
/// Fig. 10): white `√var_λ ξ` for [`Action::Scalar`], coloured `F⁻¹{B̂_λ F{ξ}}` (each mode with
/// its forward variance `Q̂_λ(k)`) for [`Action::Spectral`]. `seed` fixes that noise.
#[allow(clippy::too_many_arguments)]
pub fn simulate<P: Predictor>(
    predictor: &P,
    process: &ForwardProcess,
    device_process: &DeviceProcess,
    x0: Tensor<5>,
    index: usize,
    n_steps: usize,
    noise: Option<Action>,
    seed: u64,
) -> Result<Simulation> {
    process.check_index(index)?;
    let [b, c, f, ny, nx] = x0.dims();
    let w = predictor.window();
    if f < w {
        return Err(Error::shape(
            "simulate: test paths must hold the first window",
            format!("F ≥ {w}"),
            f,
        ));
    }
    if c != predictor.channels() {
        return Err(Error::shape("simulate: channels", predictor.channels(), c));
    }
    let device = x0.device();
    let truth = device_process.coarse_grain(x0, &vec![index; b])?;
    let mut frames: Vec<Tensor<5>> = (0..w).map(|k| truth.clone().narrow(2, k, 1)).collect();
    let t = Tensor::<1>::full([b], index as f32, &device);
    let sigma = process.sigma2(index).sqrt();
    device.seed(seed);
    for n in 0..n_steps {
        let window = Tensor::cat(frames[frames.len() - w..].to_vec(), 2);
        let g = predictor.step(window, t.clone()).drift.reshape([b, c, 1, ny, nx]);
        let mut next = frames.last().expect("window ≥ 1").clone() + g;
        if let Some(action) = noise {
            let xi = Tensor::random([b, c, 1, ny, nx], Distribution::Normal(0.0, 1.0), &device);
            next = next
                + match action {
                    Action::Scalar => xi.mul_scalar(sigma),
                    Action::Spectral => {
                        device_process.operator(Table::NoiseStd).apply(xi, &vec![index; b])?
                    }
                };
        }
        if !next.clone().is_finite().all().into_scalar::<bool>() {
            return Err(Error::NonFinite {
                context: format!("simulation at λ index {index}, step {}", n + 1),
            });
        }
        frames.push(next);
    }
    Ok(Simulation { truth, path: Tensor::cat(frames, 2), window: w })
}
