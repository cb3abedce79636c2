//! One optimiser step of the U-Net predictor with the PDD loss (docs/reference.md §9): the
//! micro-batches' forward passes (loss included), their backward passes (gradients collected
//! per parameter) and the Adam update, each timed on its own.

use super::{BenchCase, timed};
use crate::Result;
use crate::nn::UNet;
use crate::nn::profile::{self, PartTime};
use crate::predictor::{ActionScale, Builtin, PredictorShape, PredictorSpec, pdd_loss};
use burn::optim::{AdamConfig, GradientsAccumulator, GradientsParams};
use burn::prelude::*;
use serde::Serialize;

/// Seconds per training step and its parts (means over the timed steps).
#[derive(Debug, Clone, Serialize)]
pub struct TrainTiming {
    /// The preset.
    pub preset: String,
    /// The device's name.
    pub device: String,
    /// Trajectories per micro-batch.
    pub batch: usize,
    /// Micro-batches per step.
    pub accum: usize,
    /// Timed steps (after one warm-up step).
    pub steps: usize,
    /// Network inputs per micro-batch (`batch × frames`).
    pub network_inputs: usize,
    /// Wall seconds per step.
    pub seconds_per_step: f64,
    /// Of which: forward passes and the loss.
    pub forward: f64,
    /// Of which: backward passes and collecting the gradients.
    pub backward: f64,
    /// Of which: the Adam update.
    pub optimiser: f64,
    /// Seconds per step by layer kind ([`crate::nn::profile`]): the network's parts, then what
    /// the parts leave of the forward pass and of the backward pass (burn's own ops and its
    /// autodiff bookkeeping), so that the rows sum to `forward + backward`.
    pub parts: Vec<PartRow>,
}

/// One row of [`TrainTiming::parts`].
#[derive(Debug, Clone, Serialize)]
pub struct PartRow {
    /// What the row counts.
    pub part: String,
    /// Forward seconds per step.
    pub forward: f64,
    /// Backward seconds per step.
    pub backward: f64,
}

impl TrainTiming {
    /// [`Self::parts`] as a text table, one line per row (header first), each line after
    /// `indent`.
    pub fn parts_table(&self, indent: &str) -> String {
        let mut out =
            format!("{indent}{:<34} {:>10} {:>10}\n", "part (s/step)", "forward", "backward");
        for p in &self.parts {
            out += &format!("{indent}{:<34} {:>10.4} {:>10.4}\n", p.part, p.forward, p.backward);
        }
        out
    }
}

/// The rows of [`TrainTiming::parts`] from `total` parts over `steps` steps.
fn part_rows(total: Vec<PartTime>, steps: usize, forward: f64, backward: f64) -> Vec<PartRow> {
    let per = |s: f64| s / steps as f64;
    let mut rows: Vec<PartRow> = total
        .iter()
        .map(|t| PartRow {
            part: t.part.label().into(),
            forward: per(t.forward),
            backward: per(t.backward),
        })
        .collect();
    let (f, b) = rows.iter().fold((0.0, 0.0), |(f, b), r| (f + r.forward, b + r.backward));
    rows.push(PartRow { part: "rest of forward".into(), forward: forward - f, backward: 0.0 });
    rows.push(PartRow {
        part: "burn's backward ops + autodiff".into(),
        forward: 0.0,
        backward: backward - b,
    });
    rows
}

/// Times `steps` training steps (after one warm-up step) of `case` on `device` (autodiff is
/// added here).
pub fn train_step(case: &BenchCase, device: &Device, steps: usize) -> Result<TrainTiming> {
    let steps = steps.max(1);
    let dev = device.clone().autodiff();
    dev.seed(0);
    let shape = PredictorShape::new(case.channels, case.model.window, &case.grid, false)?;
    let mut model = Some(Builtin::<UNet>::new(&case.model)?.init(&shape, &dev)?);
    let mut optim = AdamConfig::new().with_epsilon(case.train.eps as f32).init();
    let [ny, nx] = case.plane();
    let b = case.batch;
    let x = Tensor::<5>::random(
        [b, case.channels, case.frames, ny, nx],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        device,
    );
    let t = Tensor::<1>::full([b], 500.0, device);
    let s = ActionScale::Scalar(Tensor::<1>::full([b], 0.5, device));
    let mut parts = [0.0f64; 3];
    let was_on = profile::enabled();
    profile::enable(true);
    for step in 0..=steps {
        if step == 1 {
            profile::reset();
        }
        let mut acc = GradientsAccumulator::new();
        let mut now = [0.0f64; 3];
        let m = model.take().expect("the model is put back after every step");
        for _ in 0..case.accum {
            let (l, tf) = timed(device, || {
                pdd_loss(&m, x.clone(), t.clone(), &s, None).total.div_scalar(case.accum as f32)
            });
            let (g, tb) = timed(device, || GradientsParams::from_grads(l.backward(), &m));
            acc.accumulate(&m, g);
            now[0] += tf;
            now[1] += tb;
        }
        let (m, to) = timed(device, || optim.step(case.train.lr, m, acc.grads()));
        now[2] = to;
        model = Some(m);
        if step > 0 {
            parts.iter_mut().zip(now).for_each(|(p, v)| *p += v / steps as f64);
        }
    }
    let total = profile::snapshot();
    profile::enable(was_on);
    Ok(TrainTiming {
        parts: part_rows(total, steps, parts[0], parts[1]),
        preset: case.preset.clone(),
        device: format!("{device:?}"),
        batch: b,
        accum: case.accum,
        steps,
        network_inputs: case.network_inputs(),
        seconds_per_step: parts.iter().sum(),
        forward: parts[0],
        backward: parts[1],
        optimiser: parts[2],
    })
}

/// The PyTorch peer's configuration of `case` (`benches/peers/unet.py --bench JSON`).
pub fn peer_config(case: &BenchCase, steps: usize) -> serde_json::Value {
    let m = &case.model;
    serde_json::json!({
        "name": case.preset, "nd": case.grid.ndim(), "C": case.channels,
        "space": case.grid.dims(), "mults": m.dim_mults, "att": m.attention_levels,
        "dim": m.dim, "heads": m.heads, "dh": m.dim_head, "frames": case.frames,
        "batch": case.batch, "accum": case.accum, "steps": steps,
    })
}
