//! The linear-Gaussian baseline of every table (docs/method.md, "The linear-Gaussian
//! yardstick"; shared/spec/metrics.md §5): the run's own data statistics and forward process,
//! no training. It simulates with its deterministic rollout and generates and super-resolves
//! with the run's reverse-λ sampler driven by its PDD score under `action = "spectral"`.

use super::report::Baseline;
use super::tasks::Evaluator;
use crate::error::Result;
use crate::predictor::{Action, LinearGaussianPredictor};
use crate::train::{Objective, TrainedRun, linear_gaussian, run_second_order};
use ndarray::ArrayD;

/// The linear-Gaussian model of an evaluated run, with the same test paths and settings.
pub struct LinearGaussianBaseline {
    ev: Evaluator,
}

impl LinearGaussianBaseline {
    /// The baseline of the run `ev` evaluates: statistics from the run directory
    /// (`second_order.h5`, estimated from the training split when missing), the run's forward
    /// process, window, `[sample]` and `eval` settings.
    pub fn new(ev: &Evaluator) -> Result<Self> {
        let run = &ev.run;
        let mut config = run.config.clone();
        config.train.objective = Objective::Pdd;
        config.train.action = Action::Spectral;
        let stats = run_second_order(&run.dir, &run.config)?;
        let model = LinearGaussianPredictor::new(linear_gaussian(&config, &stats)?);
        let lg = TrainedRun {
            dir: run.dir.clone(),
            config,
            process: run.process.clone(),
            model,
            step: 0,
            skipped: vec![],
        };
        let data = Some(run.config.data.path_from(&run.dir));
        let mut inner =
            Evaluator::from_run(lg, data.as_deref(), &ev.device, Some(ev.eval.clone()))?;
        inner.sampler = ev.sampler.clone();
        Ok(Self { ev: inner })
    }

    /// Its evaluator (the linear-Gaussian predictor with the run's test paths and samplers), for
    /// tasks beyond the tables (e.g. data assimilation).
    pub fn evaluator(&self) -> &Evaluator {
        &self.ev
    }
}

impl Baseline for LinearGaussianBaseline {
    fn name(&self) -> String {
        "linear-Gaussian".into()
    }

    fn simulate(
        &self,
        _x0: &ArrayD<f32>,
        _window: usize,
        seed: u64,
    ) -> Result<Option<ArrayD<f32>>> {
        Ok(Some(self.ev.simulate(0.0, false, seed)?.1))
    }

    fn generate(&self, _x0: &ArrayD<f32>, n: usize, seed: u64) -> Result<Option<ArrayD<f32>>> {
        Ok(Some(self.ev.generate(n, seed, &mut |_| {})?))
    }

    fn super_resolve(&self, seed: u64) -> Result<Option<(ArrayD<f32>, ArrayD<f32>)>> {
        Ok(Some(self.ev.super_resolve(seed, &mut |_| {})?))
    }
}
