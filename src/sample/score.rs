//! Path scores `∇_u ln p_λ({u_λ}_t)` that drive the reverse-λ sampler
//! (docs/reference.md §3.3–§3.4).

use crate::diffusion::{ForwardProcess, RealFourierBasis, SpectralOperator, Table};
use crate::error::Result;
use crate::predictor::{Action, PathAction, Predictor, path_residual};
use burn::module::Module;
use burn::prelude::*;

/// A score for whole paths: `x` `[B, C, F, Ny, Nx]` at diffusion index `t` → `[B, C, F, Ny, Nx]`.
pub trait PathScore {
    /// The score of `x` at index `t` (same for every example), on `x`'s device, without any
    /// autodiff graph attached.
    fn score(&self, x: Tensor<5>, t: usize) -> Result<Tensor<5>>;
    /// Whether the sampler overwrites frame 0 by `2u₁ − u₂` after every update (PDD: the action
    /// has no term for the initial slice, docs/reference.md §5.2; SA-PDD: no).
    fn extrapolates_first_frame(&self) -> bool;
}

/// The PDD path score: minus the gradient of the Gaussian path action
/// `S = ½ Σ_{c,f,space} R_f²`, `R_f = (x_{f+1} − x_f − g_f(x))/σ_t` (paper Eq. 7 and 10; or the
/// spectral weighting of [`Action::Spectral`]) with respect to the **whole** path, by one
/// reverse-mode pass through the predictor (docs/reference.md §3.3). The predictor's parameters are
/// frozen so only the input gradient is computed; no graph outlives a call.
pub struct PddScore<P> {
    predictor: P,
    action: PathAction,
    device: Device,
}

impl<P: Predictor + Module> PddScore<P> {
    /// Wraps `predictor` (moved to the autodiff version of `device`) with the path action
    /// `action` of `process` (the one it was trained with: `[train] action`).
    pub fn new(
        predictor: P,
        process: &ForwardProcess,
        action: Action,
        device: &Device,
    ) -> Result<Self> {
        let ad = device.clone().autodiff();
        let predictor = predictor.to_device(&ad).no_grad();
        let action = PathAction::new(action, process, &ad)?;
        Ok(Self { predictor, action, device: ad })
    }

    /// The path action `S_t(x)` per example `[B]` (for checks and diagnostics).
    pub fn action(&self, x: Tensor<5>, t: usize) -> Result<Tensor<1>> {
        let b = x.dims()[0];
        let x = x.without_autodiff().to_device(&self.device.clone().without_autodiff()).autodiff();
        let r = self.residual(x, t)?;
        let n = r.shape().num_elements() / b;
        Ok(r.square().reshape([b, n]).sum_dim(1).mul_scalar(0.5).reshape([b]))
    }

    fn residual(&self, x: Tensor<5>, t: usize) -> Result<Tensor<5>> {
        let b = x.dims()[0];
        let tt = Tensor::<1>::full([b], t as f32, &self.device);
        let scale = self.action.scale(&vec![t; b])?;
        let g = self.predictor.forward(x.clone(), tt).drift;
        Ok(path_residual(x, g, &scale))
    }
}

impl<P: Predictor + Module> PathScore for PddScore<P> {
    fn score(&self, x: Tensor<5>, t: usize) -> Result<Tensor<5>> {
        let dev = x.device();
        let xg = x
            .without_autodiff()
            .to_device(&self.device.clone().without_autodiff())
            .autodiff()
            .require_grad();
        let s = self.residual(xg.clone(), t)?.square().sum().mul_scalar(0.5);
        let grads = s.backward();
        let g = xg.grad(&grads).expect("the path requires grad");
        Ok(g.neg().without_autodiff().to_device(&dev.without_autodiff()))
    }

    fn extrapolates_first_frame(&self) -> bool {
        true
    }
}

/// The SA-PDD score from the noise head: `F⁻¹{ P̂_t F{ε̂_θ(x, t)} }` with `P̂ = −Q̂^{−1/2}`
/// (docs/reference.md §3.4). Forward passes only.
pub struct SaPddScore<P> {
    predictor: P,
    precision: SpectralOperator,
}

impl<P: Predictor + Module> SaPddScore<P> {
    /// Wraps a two-head `predictor` (moved to `device`, no autodiff).
    pub fn new(predictor: P, process: &ForwardProcess, device: &Device) -> Result<Self> {
        let device = device.clone().without_autodiff();
        let basis = RealFourierBasis::new(process.grid(), &device);
        let precision = SpectralOperator::from_process(&basis, process, Table::PrecisionSqrt)?;
        Ok(Self { predictor: predictor.to_device(&device).no_grad(), precision })
    }
}

impl<P: Predictor + Module> PathScore for SaPddScore<P> {
    fn score(&self, x: Tensor<5>, t: usize) -> Result<Tensor<5>> {
        let b = x.dims()[0];
        let tt = Tensor::<1>::full([b], t as f32, &x.device());
        let eps = self.predictor.forward(x, tt).noise.ok_or_else(|| {
            crate::Error::config(
                "model.noise_head",
                "SA-PDD sampling needs a predictor with a noise head",
            )
        })?;
        self.precision.apply(eps, &vec![t; b])
    }

    fn extrapolates_first_frame(&self) -> bool {
        false
    }
}
