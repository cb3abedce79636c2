//! One reverse-λ sampler step's dominant cost, the path score, beside one forward pass of the
//! same network on the same batch: PDD's score (autograd of the action, goal ≤ 3 forward
//! passes) and SA-PDD's (the noise head, goal ≤ 1.2), docs/reference.md §5.

use super::{BenchCase, timed};
use crate::Result;
use crate::diffusion::DiffusionConfig;
use crate::nn::UNet;
use crate::predictor::{Action, Builtin, Predictor, PredictorShape, PredictorSpec};
use crate::presets::Preset;
use crate::sample::{PathScore, PddScore, SaPddScore};
use crate::train::Objective;
use burn::prelude::*;
use serde::Serialize;

/// Seconds of the sampler step's parts (medians over the timed repetitions).
#[derive(Debug, Clone, Serialize)]
pub struct SamplerTiming {
    /// The preset.
    pub preset: String,
    /// The device's name.
    pub device: String,
    /// Trajectories per batch.
    pub batch: usize,
    /// Timed repetitions (after one warm-up call each).
    pub steps: usize,
    /// The preset's objective (`pdd` or `sa-pdd`): which score a sampler step uses.
    pub objective: String,
    /// Seconds of the preset's score: one sampler step's network cost.
    pub seconds_per_step: f64,
    /// Forward pass of the predictor without a noise head.
    pub forward: f64,
    /// PDD path score (forward + backward through the action).
    pub pdd_score: f64,
    /// Forward pass of the predictor with a noise head.
    pub sa_forward: f64,
    /// SA-PDD score from the noise head.
    pub sa_score: f64,
}

/// Median wall time of `reps` calls of `f` on `device`, after one warm-up call.
fn median(device: &Device, reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps).map(|_| timed(device, &mut f).1).collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

/// Times the path scores of `case`'s networks (random weights) on `device`, `steps` times each.
pub fn sampler_step(case: &BenchCase, device: &Device, steps: usize) -> Result<SamplerTiming> {
    let steps = steps.max(1);
    let p = Preset::load(&case.preset)?;
    let process = DiffusionConfig::from_preset(&p)?.process(&case.grid)?;
    let [ny, nx] = case.plane();
    let (b, c) = (case.batch, case.channels);
    let x = Tensor::<5>::random(
        [b, c, case.frames, ny, nx],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        device,
    );
    let t = 500;
    let tt = Tensor::<1>::full([b], t as f32, device);
    let spec = Builtin::<UNet>::new(&case.model)?;
    let shape = |noise| PredictorShape::new(c, case.model.window, &case.grid, noise);
    let plain = spec.init(&shape(false)?, device)?;
    let two = spec.init(&shape(true)?, device)?;
    let sync = |y: Tensor<5>| {
        let _ = crate::backend::to_vec(y.sum());
    };
    let forward = median(device, steps, || sync(plain.forward(x.clone(), tt.clone()).drift));
    let sa_forward = median(device, steps, || sync(two.forward(x.clone(), tt.clone()).drift));
    let pdd = PddScore::new(plain.clone(), &process, Action::Scalar, device)?;
    let sa = SaPddScore::new(two.clone(), &process, device)?;
    let pdd_score = median(device, steps, || sync(pdd.score(x.clone(), t).expect("PDD score")));
    let sa_score = median(device, steps, || sync(sa.score(x.clone(), t).expect("SA-PDD score")));
    let objective = case.train.objective;
    Ok(SamplerTiming {
        preset: case.preset.clone(),
        device: format!("{device:?}"),
        batch: b,
        steps,
        objective: objective.name().to_string(),
        seconds_per_step: if objective == Objective::Pdd { pdd_score } else { sa_score },
        forward,
        pdd_score,
        sa_forward,
        sa_score,
    })
}
