//! Metrics as functions of the scale λ (the paper's Fig. 7).

use super::MeanStd;
use crate::diffusion::ForwardProcess;
use crate::error::Result;
use crate::progress::Progress;
use serde::{Deserialize, Serialize};

/// A metric evaluated at several scales λ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaSweep {
    /// The λ values asked for.
    pub lambdas: Vec<f64>,
    /// The diffusion index of each (`process.index_of(λ)`).
    pub indices: Vec<usize>,
    /// The metric at each.
    pub values: Vec<MeanStd>,
}

/// Evaluates `metric(λ, index)` for every λ in `lambdas` (each mapped to its diffusion index by
/// `process`), reporting progress per λ. Fails for λ outside `[0, 1]` (before any evaluation)
/// or when `metric` fails.
///
/// ```
/// # use pdd::diffusion::ForwardProcess;
/// # use pdd::metrics::{MeanStd, sweep_lambda};
/// # use pdd::progress::NoProgress;
/// # use pdd::spectral::Grid;
/// let p = ForwardProcess::builder().grid(Grid::line(16)).alpha(0.1).build()?;
/// let s = sweep_lambda(&p, &[0.0, 0.5], &NoProgress, |_, i| Ok(MeanStd::exact(p.sigma2(i))))?;
/// assert_eq!(s.indices, vec![0, 500]);
/// # Ok::<(), pdd::Error>(())
/// ```
pub fn sweep_lambda(
    process: &ForwardProcess,
    lambdas: &[f64],
    progress: &dyn Progress,
    mut metric: impl FnMut(f64, usize) -> Result<MeanStd>,
) -> Result<LambdaSweep> {
    let indices = lambdas.iter().map(|&l| process.index_of(l)).collect::<Result<Vec<_>>>()?;
    progress.start("λ sweep", lambdas.len() as u64);
    let mut values = Vec::with_capacity(lambdas.len());
    for (&l, &i) in lambdas.iter().zip(&indices) {
        values.push(metric(l, i)?);
        progress.advance(1);
    }
    progress.finish();
    Ok(LambdaSweep { lambdas: lambdas.to_vec(), indices, values })
}
