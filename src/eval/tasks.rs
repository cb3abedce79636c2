//! Running the paper's experiments with a trained run: simulation, generation and
//! super-resolution on the test split, batched, with host results `[B, C, F, *grid]`
//! (standardised units).

use super::config::EvalConfig;
use crate::diffusion::{DeviceProcess, plane_dims, tensor_to_batch};
use crate::error::{Error, Result};
use crate::io::Dataset;
use crate::predictor::{BuiltinVisitor, Predictor, PredictorSpec, with_builtin};
use crate::sample::{
    PathScore, PddScore, SaPddScore, SamplerConfig, SamplerEvent, SrStart, generate, simulate,
    super_resolve,
};
use crate::train::{ModelKind, Objective, TrainedRun, TrajectorySet, open_run, split_set};
use burn::module::Module;
use burn::prelude::*;
use ndarray::{ArrayD, Axis};
use std::path::Path;

/// A trained run, its test paths and its samplers, ready to run the experiments; built from
/// any predictor ([`Evaluator::from_run`]) or a run directory of a built-in backbone
/// ([`Evaluator::new`]).
pub struct Evaluator {
    /// The loaded run; its predictor is boxed once the path score is built.
    pub run: TrainedRun<Box<dyn Predictor>>,
    /// Compute device (no autodiff).
    pub device: Device,
    /// The forward process on the device.
    pub device_process: DeviceProcess,
    /// Sampler settings.
    pub sampler: SamplerConfig,
    /// Evaluation settings.
    pub eval: EvalConfig,
    /// The first `eval.samples` paths of the evaluated split (`eval.split`, the test split by
    /// default), standardised.
    pub test: TrajectorySet,
    /// The whole evaluated split, standardised (for the sampling floor of the metrics).
    pub test_split: TrajectorySet,
    score: Box<dyn PathScore>,
}

impl Evaluator {
    /// Loads the run in `dir` and the test split of its dataset (or of `data` if given).
    pub fn new(dir: &Path, data: Option<&Path>, device: &Device) -> Result<Self> {
        Self::new_with(dir, data, device, None)
    }

    /// As [`new`](Self::new), with evaluation settings replacing the run's `[eval]` section.
    /// The run's `[model] backbone` must be built in; open a custom predictor's run with
    /// [`TrainedRun::open`] and pass it to [`from_run`](Self::from_run).
    pub fn new_with(
        dir: &Path,
        data: Option<&Path>,
        device: &Device,
        eval: Option<EvalConfig>,
    ) -> Result<Self> {
        let (_, config) = open_run(dir, &[ModelKind::Pdd])?;
        with_builtin(&config.model, Open { dir, data, device, eval })
    }

    /// The evaluator of `run` (any predictor) on the test split of its dataset (or of `data`),
    /// with `eval` replacing the run's `[eval]` section if given.
    pub fn from_run<P: Predictor + Module + 'static>(
        run: TrainedRun<P>,
        data: Option<&Path>,
        device: &Device,
        eval: Option<EvalConfig>,
    ) -> Result<Self> {
        let eval = match eval {
            Some(e) => e,
            None => run.config.stage("eval")?,
        };
        eval.validate()?;
        let path =
            data.map(Path::to_path_buf).unwrap_or_else(|| run.config.data.path_from(&run.dir));
        let ds = Dataset::open(&path)?;
        let grid = run.config.data.grid()?;
        if ds.metadata().grid.dims() != grid.dims()
            || ds.metadata().channels.len() != run.config.data.channels
        {
            return Err(Error::shape(
                format!("{}: dataset vs run grid/channels", path.display()),
                (grid.dims().to_vec(), run.config.data.channels),
                (ds.metadata().grid.dims().to_vec(), ds.metadata().channels.len()),
            ));
        }
        let all = split_set(&ds, eval.split, &run.stats())?;
        let n = eval.samples.min(all.len());
        let test = TrajectorySet::new(all.gather(&(0..n).collect::<Vec<_>>()), grid)?;
        let device_process = DeviceProcess::new(&run.process, device)?;
        let score = path_score(&run, device)?;
        let sampler: SamplerConfig = run.config.stage("sample")?;
        let run = run.map(|m| Box::new(m) as Box<dyn Predictor>);
        let device = device.clone();
        Ok(Self { run, device, device_process, sampler, eval, test, test_split: all, score })
    }

    /// The path score used by the reverse sampler.
    pub fn score(&self) -> &dyn PathScore {
        self.score.as_ref()
    }

    /// Slices the predictor sees.
    pub fn window(&self) -> usize {
        self.run.model.window()
    }

    fn chunks(&self) -> Vec<Vec<usize>> {
        let n = self.test.len();
        (0..n).collect::<Vec<_>>().chunks(self.eval.batch).map(<[usize]>::to_vec).collect()
    }

    fn grid(&self) -> &crate::spectral::Grid {
        self.test.grid()
    }

    /// Deterministic (or noisy) surrogate simulation at scale `lambda` over all test paths,
    /// for `F − w` steps so the path has the test length. Returns `(truth C_λ u₀, path)`.
    pub fn simulate(
        &self,
        lambda: f64,
        noise: bool,
        seed: u64,
    ) -> Result<(ArrayD<f32>, ArrayD<f32>)> {
        let index = self.run.process.index_of(lambda)?;
        let f = self.test.frames();
        let steps = f.saturating_sub(self.window());
        let (mut truth, mut path) = (Vec::new(), Vec::new());
        for (k, idx) in self.chunks().iter().enumerate() {
            let x0 = self.test.tensor(idx, &self.device);
            let noise = noise.then_some(self.run.config.train.action);
            let sim = simulate(
                &self.run.model,
                &self.run.process,
                &self.device_process,
                x0,
                index,
                steps,
                noise,
                seed + k as u64,
            )?;
            truth.push(tensor_to_batch(sim.truth, self.grid())?);
            path.push(tensor_to_batch(sim.path, self.grid())?);
        }
        Ok((concat(truth), concat(path)))
    }

    /// `n` unconditionally generated paths of the test shape (refused, naming `samples`, when
    /// they would not fit in memory).
    pub fn generate(
        &self,
        n: usize,
        seed: u64,
        callback: &mut dyn FnMut(&SamplerEvent),
    ) -> Result<ArrayD<f32>> {
        let (ny, nx) = plane_dims(self.grid());
        let (c, f) = (self.test.channels(), self.test.frames());
        // the paths are gathered in memory (f32), then copied once by `concat`
        let bytes = n as f64 * (c * f * ny * nx) as f64 * 4.0 * 2.0;
        crate::validate::memory::ensure_fits("samples", &format!("{n} generated paths"), bytes)?;
        let mut out = Vec::new();
        let mut done = 0;
        let mut k = 0u64;
        while done < n {
            let b = self.eval.batch.min(n - done);
            let r = generate(
                self.score(),
                &self.run.process,
                &self.device_process,
                [b, c, f, ny, nx],
                &self.sampler,
                seed.wrapping_mul(1000) + k,
                &self.device,
                callback,
            )?;
            out.push(tensor_to_batch(r.into_result()?, self.grid())?);
            done += b;
            k += 1;
        }
        Ok(concat(out))
    }

    /// Super-resolution of every test path from `eval.sr_lambda`: `(low, high)`.
    pub fn super_resolve(
        &self,
        seed: u64,
        callback: &mut dyn FnMut(&SamplerEvent),
    ) -> Result<(ArrayD<f32>, ArrayD<f32>)> {
        let (mut low, mut high) = (Vec::new(), Vec::new());
        for (k, idx) in self.chunks().iter().enumerate() {
            let x0 = self.test.tensor(idx, &self.device);
            let sr = super_resolve(
                self.score(),
                &self.run.model,
                &self.run.process,
                &self.device_process,
                x0,
                SrStart {
                    lambda: self.eval.sr_lambda,
                    source: self.eval.sr_source,
                    action: self.run.config.train.action,
                },
                &self.sampler,
                seed.wrapping_mul(1000) + k as u64,
                callback,
            )?;
            low.push(tensor_to_batch(sr.low, self.grid())?);
            high.push(tensor_to_batch(sr.high.into_result()?, self.grid())?);
        }
        Ok((concat(low), concat(high)))
    }
}

/// Stacks host batches along axis 0.
pub fn concat(parts: Vec<ArrayD<f32>>) -> ArrayD<f32> {
    let views: Vec<_> = parts.iter().map(|a| a.view()).collect();
    ndarray::concatenate(Axis(0), &views).expect("batches of one shape")
}

/// Opens an evaluator on the built-in predictor it is given (see [`with_builtin`]).
struct Open<'a> {
    dir: &'a Path,
    data: Option<&'a Path>,
    device: &'a Device,
    eval: Option<EvalConfig>,
}

impl BuiltinVisitor for Open<'_> {
    type Output = Evaluator;
    fn visit<S: PredictorSpec + Clone + Send + Sync + 'static>(self, spec: S) -> Result<Evaluator> {
        let run = TrainedRun::open(self.dir, &spec, self.device)?;
        Evaluator::from_run(run, self.data, self.device, self.eval)
    }
}

/// The path score of the objective `run` was trained with (PDD: autograd of the path action;
/// SA-PDD: the noise head).
fn path_score<P: Predictor + Module + 'static>(
    run: &TrainedRun<P>,
    device: &Device,
) -> Result<Box<dyn PathScore>> {
    let (model, process) = (run.model.clone(), &run.process);
    Ok(match run.config.train.objective {
        Objective::Pdd => Box::new(PddScore::new(model, process, run.config.train.action, device)?),
        Objective::SaPdd => Box::new(SaPddScore::new(model, process, device)?),
    })
}

/// Persistence baseline: the conditioning frames, then the last one repeated.
/// `x` `[B, C, F, *grid]` → same shape.
pub fn persistence(x: &ArrayD<f32>, window: usize) -> ArrayD<f32> {
    let mut p = x.clone();
    let last = x.index_axis(Axis(2), window - 1).to_owned();
    for f in window..x.shape()[2] {
        p.index_axis_mut(Axis(2), f).assign(&last);
    }
    p
}
