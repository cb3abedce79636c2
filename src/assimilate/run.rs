//! Assimilation with a trained run (docs/assimilation.md): observe its test paths, sample the
//! guided posterior ensemble, and score it beside plain interpolation of the same observations.

use super::enkf::{EnkfConfig, lorenz96_enkf};
use super::interpolate::interpolate;
use super::observations::Observations;
use super::operator::ObservationOperator;
use super::posterior::{PosteriorConfig, sample_posterior};
use super::prior::PriorSpectrum;
use super::scores::{AssimilationScores, score_ensemble};
use super::spec::ObsSpec;
use crate::diffusion::tensor_to_batch;
use crate::error::Result;
use crate::eval::{Evaluator, concat};
use crate::io::{Dataset, Split};
use crate::sample::SamplerEvent;
use crate::systems::Lorenz96;
use crate::train::split_set;
use ndarray::{Array2, ArrayD, Axis};
use std::time::Instant;

/// Settings of [`assimilate`].
#[derive(Debug, Clone, PartialEq)]
pub struct AssimilateConfig {
    /// The observation operator.
    pub obs: ObsSpec,
    /// Posterior members per test path.
    pub members: usize,
    /// SDA's variance factor γ.
    pub gamma: f64,
    /// Training paths from which the prior spectrum is estimated.
    pub spectrum_paths: usize,
    /// Seed of the observation noise and of the sampler.
    pub seed: u64,
    /// Members of the ensemble Kalman filter baseline (Lorenz-96 runs only; 0: none).
    pub enkf_members: usize,
    /// Its multiplicative inflation.
    pub enkf_inflation: f64,
    /// Its Gaspari–Cohn localisation half-width in grid points (`None`: none).
    pub enkf_localization: Option<f64>,
}

impl Default for AssimilateConfig {
    fn default() -> Self {
        Self {
            obs: ObsSpec { points: Some(4), frames: 4, sigma: Some(0.1), ..ObsSpec::default() },
            members: 8,
            gamma: 1.0,
            spectrum_paths: 64,
            seed: 0,
            enkf_members: 32,
            enkf_inflation: 1.05,
            enkf_localization: Some(16.0),
        }
    }
}

/// One estimate, its scores and its wall time.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// `pdd`, `interpolation`, …
    pub name: String,
    /// `[P · M, C, F, *grid]` (standardised; `M = 1` for a deterministic estimate).
    pub paths: ArrayD<f32>,
    /// Members per path.
    pub members: usize,
    /// Its scores against the truth.
    pub scores: AssimilationScores,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// The outcome of [`assimilate`] (standardised units).
#[derive(Debug, Clone)]
pub struct Assimilation {
    /// The test paths `[P, C, F, *grid]`.
    pub truth: ArrayD<f32>,
    /// Their observations.
    pub observations: Observations,
    /// The posterior ensemble first, then the baselines.
    pub estimates: Vec<Estimate>,
}

impl Assimilation {
    /// A markdown table of the estimates' scores (the README's layout).
    pub fn markdown(&self) -> String {
        let mut s = String::from(
            "| estimate | RMSE unobserved | RMSE observed | spread/skill | CRPS | spectral error | time (s) |\n|---|---|---|---|---|---|---|\n",
        );
        for e in &self.estimates {
            let ss = e.scores.spread_skill.map_or("–".into(), |v| format!("{v:.3}"));
            s += &format!(
                "| {} | {:.4} | {:.4} | {ss} | {:.4} | {:.3} | {:.1} |\n",
                e.name,
                e.scores.rmse_unobserved,
                e.scores.rmse_observed,
                e.scores.crps,
                e.scores.spectral_error,
                e.seconds
            );
        }
        s
    }
}

/// The first `n` training paths of the evaluator's dataset (standardised) and the dataset.
pub fn training_paths(ev: &Evaluator, n: usize) -> Result<(ArrayD<f32>, Dataset)> {
    let run = &ev.run;
    let ds = Dataset::open(run.config.data.path_from(&run.dir))?;
    let train = split_set(&ds, Split::Train, &run.stats())?;
    let idx: Vec<usize> = (0..n.clamp(1, train.len())).collect();
    Ok((train.gather(&idx), ds))
}

/// The ensemble Kalman filter with the true physics, for a Lorenz-96 dataset (`None`
/// otherwise, or without members).
fn enkf_estimate(
    ev: &Evaluator,
    ds: &Dataset,
    cfg: &AssimilateConfig,
    observations: &Observations,
    climatology: &ArrayD<f32>,
) -> Result<Option<(ArrayD<f32>, f64)>> {
    let Some(l96) = ds.metadata().config.lorenz96.clone().filter(|_| cfg.enkf_members > 1) else {
        return Ok(None);
    };
    let start = Instant::now();
    let model = Lorenz96::new(l96.clone())?;
    let enkf = EnkfConfig {
        members: cfg.enkf_members,
        inflation: cfg.enkf_inflation,
        localization: cfg.enkf_localization,
        steps_per_frame: l96.steps_per_frame,
        seed: cfg.seed,
    };
    let x = lorenz96_enkf(&model, &ev.run.stats(), observations, &climatology.view(), &enkf)?;
    Ok(Some((x, start.elapsed().as_secs_f64())))
}

/// `cfg.members` posterior paths per observed path with `ev`'s path score guided by the
/// observations (in batches of `eval.batch` paths), and the wall time.
fn posterior(
    ev: &Evaluator,
    observations: &Observations,
    spectrum: &PriorSpectrum,
    cfg: &AssimilateConfig,
    callback: &mut dyn FnMut(&SamplerEvent),
) -> Result<(ArrayD<f32>, f64)> {
    let start = Instant::now();
    let mut parts = Vec::new();
    let paths = observations.paths();
    for (k, first) in (0..paths).step_by(ev.eval.batch.max(1)).enumerate() {
        let n = ev.eval.batch.max(1).min(paths - first);
        let chunk = observations.subset(first..first + n)?;
        let post = PosteriorConfig {
            members: cfg.members,
            gamma: cfg.gamma,
            seed: cfg.seed.wrapping_mul(1000) + k as u64,
        };
        let x = sample_posterior(
            ev.score(),
            &ev.run.process,
            &chunk,
            spectrum,
            &ev.sampler,
            post,
            &ev.device,
            callback,
        )?;
        parts.push(tensor_to_batch(x.into_result()?, ev.test.grid())?);
    }
    Ok((concat(parts), start.elapsed().as_secs_f64()))
}

/// Observes the evaluator's test paths with `cfg.obs`, samples `cfg.members` posterior paths
/// each with the run's path score guided by the observations, and scores them beside the
/// linear-Gaussian posterior (the same guided sampler driven by the linear-Gaussian
/// predictor's score, docs/method.md), plain interpolation and, on Lorenz-96, the EnKF.
pub fn assimilate(
    ev: &Evaluator,
    cfg: &AssimilateConfig,
    callback: &mut dyn FnMut(&SamplerEvent),
) -> Result<Assimilation> {
    let truth = ev.test.data().clone();
    let dims = [ev.test.channels(), ev.test.frames()];
    let operator = cfg.obs.build(&ev.run.process, dims)?;
    let observations = Observations::from_truth(operator, &truth.view(), cfg.seed)?;
    let (climatology, ds) = training_paths(ev, cfg.spectrum_paths)?;
    let spectrum = PriorSpectrum::estimate(&ev.test.grid().clone(), &climatology.view())?;
    let mask = observations.operator().observed_mask();
    let grid = ev.test.grid().clone();
    let (ensemble, seconds) = posterior(ev, &observations, &spectrum, cfg, callback)?;
    let scores = score_ensemble(&ensemble.view(), &truth.view(), cfg.members, &mask, &grid)?;
    let lg = crate::eval::LinearGaussianBaseline::new(ev)?;
    let (lg_paths, lg_seconds) =
        posterior(lg.evaluator(), &observations, &spectrum, cfg, callback)?;
    let lg_scores = score_ensemble(&lg_paths.view(), &truth.view(), cfg.members, &mask, &grid)?;
    let start = Instant::now();
    let interp = interpolate(&observations);
    let interp_seconds = start.elapsed().as_secs_f64();
    let interp_scores = score_ensemble(&interp.view(), &truth.view(), 1, &mask, &grid)?;
    let mut estimates = vec![
        Estimate { name: "pdd".into(), paths: ensemble, members: cfg.members, scores, seconds },
        Estimate {
            name: "linear-Gaussian".into(),
            paths: lg_paths,
            members: cfg.members,
            scores: lg_scores,
            seconds: lg_seconds,
        },
        Estimate {
            name: "interpolation".into(),
            paths: interp,
            members: 1,
            scores: interp_scores,
            seconds: interp_seconds,
        },
    ];
    if let Some((x, seconds)) = enkf_estimate(ev, &ds, cfg, &observations, &climatology)? {
        let scores = score_ensemble(&x.view(), &truth.view(), cfg.enkf_members, &mask, &grid)?;
        let name = "EnKF (true physics)".into();
        estimates.push(Estimate { name, paths: x, members: cfg.enkf_members, scores, seconds });
    }
    Ok(Assimilation { truth, observations, estimates })
}

impl Observations {
    /// The observations of paths `range` only.
    pub fn subset(&self, range: std::ops::Range<usize>) -> Result<Self> {
        let rows: Vec<f64> = range.clone().flat_map(|p| self.values(p).to_vec()).collect();
        let values = Array2::from_shape_vec((range.len(), self.operator().count()), rows)
            .map_err(|e| crate::Error::Other(e.to_string()))?;
        Self::new(self.operator().clone(), values)
    }
}

/// The ensemble mean `[P, ...]` of an ensemble `[P · M, ...]`.
pub fn ensemble_mean(ensemble: &ArrayD<f32>, members: usize) -> ArrayD<f32> {
    let p = ensemble.shape()[0] / members;
    let parts: Vec<ArrayD<f32>> = (0..p)
        .map(|i| {
            let e = ensemble.slice_axis(Axis(0), (i * members..(i + 1) * members).into());
            e.mean_axis(Axis(0)).expect("members ≥ 1").insert_axis(Axis(0))
        })
        .collect();
    concat(parts)
}
