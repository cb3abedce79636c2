//! How the Gaussian path action normalises its residuals (paper Eq. 7–8; docs/method.md,
//! "Path action").
//!
//! The action of a path `x` at diffusion index `t` is `S_t(x) = ½ Σ_{c,f,space} R_f²` with
//! residuals built from the increment error `e_f = x_{f+1} − x_f − g_f(x)`:
//!
//! * [`Action::Scalar`] (the paper and the reference, docs/reference.md §3.3): `R_f = e_f / σ_t`,
//!   one noise level `σ²_t = mean_k Q̂_t(k)` for every Fourier mode. For an ideal predictor of pure
//!   noise (`g_f = −x_f`) the score is `−x/σ²_t` on every mode, whereas the forward process's own
//!   score is `−x̂_k/Q̂_t(k)`: fine modes, whose `Q̂_t(k) < σ²_t`, are under-restored, and the
//!   reverse drift `(|ℓ_k| − β²/σ²_t) x̂_k` grows wherever `|ℓ_k| > β²/σ²_t`.
//! * [`Action::Spectral`] (pdd's option): `R_f = F⁻¹{ Q̂_t(k)^{−1/2} F{e_f} }`, each mode
//!   weighted by the forward process's own variance. The ideal predictor's score is then
//!   `−F⁻¹{x̂_k/Q̂_t(k)}`, the exact Gaussian score, stable without correctors.
//!
//! The training loss is the mean of `R²` over all `B·C·(F−1)·space` entries with the same
//! weighting, so the score used for sampling is the gradient of what was trained.

use crate::diffusion::{ForwardProcess, RealFourierBasis, SpectralOperator, Table};
use crate::error::{Error, Result};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// The residual weighting of the path action (`[train] action`); see the module docs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    Default,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Action {
    /// One scalar `σ_t` for every mode (the paper and the reference).
    #[default]
    Scalar,
    /// Each Fourier mode weighted by `Q̂_t(k)^{−1/2}` (pdd's option).
    Spectral,
}

impl Action {
    /// The preset / command-line spelling (`scalar`, `spectral`).
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl std::str::FromStr for Action {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        crate::error::parse_named(s, "train.action", "action")
    }
}

/// The residual normalisation of one batch: `R = scale(e)` for increment errors `e`
/// `[B, C, F−1, Ny, Nx]`. Built by [`PathAction::scale`].
#[derive(Debug, Clone)]
pub enum ActionScale {
    /// Divide example `b` by `σ_{t_b}`; `[B]`.
    Scalar(Tensor<1>),
    /// `F⁻¹{ m_b(k) F{e_b} }` with `m_b = Q̂_{t_b}^{−1/2}` as `[B, 1, 1, Ny, Nx]` in the basis
    /// layout.
    Spectral {
        /// The Fourier bases.
        basis: Box<RealFourierBasis>,
        /// The per-example multipliers.
        multiplier: Tensor<5>,
    },
}

impl ActionScale {
    /// Applies the normalisation to `e` `[B, C, F', Ny, Nx]`.
    pub fn apply(&self, e: Tensor<5>) -> Tensor<5> {
        match self {
            Self::Scalar(sigma) => {
                let b = e.dims()[0];
                e.div(sigma.clone().reshape([b, 1, 1, 1, 1]))
            }
            Self::Spectral { basis, multiplier } => {
                basis.inverse(basis.forward(e) * multiplier.clone())
            }
        }
    }
}

/// The action's weighting for every diffusion index of a forward process, on a device.
#[derive(Debug, Clone)]
pub struct PathAction {
    kind: Action,
    sigma: Vec<f64>,
    precision: Option<SpectralOperator>,
    device: Device,
}

impl PathAction {
    /// The weighting `kind` for `process`, with its tables on `device`.
    pub fn new(kind: Action, process: &ForwardProcess, device: &Device) -> Result<Self> {
        let sigma = process.sigma2_table().iter().map(|s| s.sqrt()).collect();
        let precision = match kind {
            Action::Scalar => None,
            Action::Spectral => {
                let basis = RealFourierBasis::new(process.grid(), device);
                Some(SpectralOperator::from_process(&basis, process, Table::PrecisionSqrt)?)
            }
        };
        Ok(Self { kind, sigma, precision, device: device.clone() })
    }

    /// Which weighting this is.
    pub fn kind(&self) -> Action {
        self.kind
    }

    /// `σ_t = √var_t` (the scalar action's noise level at index `t`).
    pub fn sigma(&self, t: usize) -> f64 {
        self.sigma[t]
    }

    /// The normalisation of a batch whose examples sit at indices `t`.
    pub fn scale(&self, t: &[usize]) -> Result<ActionScale> {
        if let Some(&bad) = t.iter().find(|&&i| i >= self.sigma.len()) {
            return Err(Error::OutOfRange {
                name: "diffusion index".into(),
                value: bad as f64,
                range: format!("0 ..= {}", self.sigma.len() - 1),
            });
        }
        Ok(match &self.precision {
            None => {
                let s: Vec<f32> = t.iter().map(|&i| self.sigma[i] as f32).collect();
                ActionScale::Scalar(Tensor::from_floats(s.as_slice(), &self.device))
            }
            // P̂ = −Q̂^{−1/2}: the sign is dropped so that R keeps the sign of the error
            Some(op) => ActionScale::Spectral {
                basis: Box::new(op.basis().clone()),
                multiplier: op.multiplier(t)?.neg(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::Grid;

    #[test]
    fn actions_parse_and_scales_check_their_indices() {
        assert_eq!("spectral".parse::<Action>().unwrap(), Action::Spectral);
        assert!("vector".parse::<Action>().unwrap_err().to_string().contains("train.action"));
        let cfg: crate::train::TrainConfig = toml::from_str(
            "steps = 1\nbatch_size = 1\ncheckpoint_every = 1\nseed = 0\naction = \"spectral\"\n",
        )
        .unwrap();
        assert_eq!(cfg.action, Action::Spectral);
        let p =
            ForwardProcess::builder().grid(Grid::line(16)).alpha(0.1).steps(100).build().unwrap();
        let device = Device::flex();
        let scalar = PathAction::new(Action::Scalar, &p, &device).unwrap();
        assert!(scalar.scale(&[100]).is_err());
        // the scalar scale divides by σ_t: a constant field e becomes e/σ_t
        let e = Tensor::<5>::ones([1, 1, 2, 1, 16], &device);
        let r = scalar.scale(&[40]).unwrap().apply(e.clone());
        let expected = 1.0 / p.sigma2(40).sqrt();
        assert!((r.max().into_scalar::<f32>() as f64 - expected).abs() < 1e-5 * expected);
        // the spectral scale multiplies the k = 0 mode (a constant field) by Q̂_t(0)^{−1/2}
        let spectral = PathAction::new(Action::Spectral, &p, &device).unwrap();
        let r = spectral.scale(&[40]).unwrap().apply(e);
        let expected = 1.0 / (p.variance(40)[0] as f64).sqrt();
        assert!((r.min().into_scalar::<f32>() as f64 - expected).abs() < 1e-4 * expected);
    }
}
