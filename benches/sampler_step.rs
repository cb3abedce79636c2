//! Cost of the path score relative to one forward pass of the same network on the same batch
//! (issue goals: PDD autograd score ≤ 3×, SA-PDD noise-head score ≤ 1.2×), for the quick
//! presets' networks (random weights; the cost does not depend on them).
//!
//! `cargo bench --bench sampler_step [-- BATCH] [paper]` (default batch 4; `paper`: the paper
//! presets' networks and grids instead of the quick ones). `PDD_DEVICE=cpu|wgpu|cuda` picks
//! the device (default cpu; GPUs need the matching cargo feature, see scripts/gpu-check.sh).

use burn::prelude::*;
use pdd::diffusion::DiffusionConfig;
use pdd::nn::UNet;
use pdd::predictor::{Action, Builtin, ModelConfig, Predictor, PredictorShape, PredictorSpec};
use pdd::presets::Preset;
use pdd::sample::{PathScore, PddScore, SaPddScore};
use pdd::spectral::Grid;
use std::time::Instant;

/// Median wall time of `reps` calls of `f`, in seconds (after one warm-up call).
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    t[reps / 2]
}

fn main() {
    let batch: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(4);
    let choice = std::env::var("PDD_DEVICE").unwrap_or_else(|_| "cpu".into());
    let device = choice.parse::<pdd::backend::DeviceChoice>().unwrap().device().unwrap();
    let cases = if std::env::args().any(|a| a == "paper") {
        [
            ("lorenz96-paper", Grid::line(128), 2, 64),
            ("kolmogorov-paper", Grid::plane(40, 40), 1, 40),
        ]
    } else {
        [
            ("lorenz96-quick", Grid::line(128), 2, 32),
            ("kolmogorov-quick", Grid::plane(32, 32), 1, 16),
        ]
    };
    for (preset, grid, channels, frames) in cases {
        let p = Preset::load(preset).unwrap();
        let model: ModelConfig = p.section("model").unwrap();
        let process = DiffusionConfig::from_preset(&p).unwrap().process(&grid).unwrap();
        let dims = grid.dims().to_vec();
        let (ny, nx) = if dims.len() == 1 { (1, dims[0]) } else { (dims[0], dims[1]) };
        let x = Tensor::<5>::random(
            [batch, channels, frames, ny, nx],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        let t = 500;
        let tt = Tensor::<1>::full([batch], t as f32, &device);
        let spec = Builtin::<UNet>::new(&model).unwrap();
        let shape = |noise| PredictorShape::new(channels, model.window, &grid, noise).unwrap();
        let plain = spec.init(&shape(false), &device).unwrap();
        let two = spec.init(&shape(true), &device).unwrap();
        let sync = |y: Tensor<5>| {
            let _ = pdd::backend::to_vec(y.sum());
        };
        let fwd = time(5, || sync(plain.forward(x.clone(), tt.clone()).drift));
        let fwd2 = time(5, || sync(two.forward(x.clone(), tt.clone()).drift));
        let pdd = PddScore::new(plain.clone(), &process, Action::Scalar, &device).unwrap();
        let sa = SaPddScore::new(two.clone(), &process, &device).unwrap();
        let s_pdd = time(5, || sync(pdd.score(x.clone(), t).unwrap()));
        let s_sa = time(5, || sync(sa.score(x.clone(), t).unwrap()));
        println!(
            "{preset} [{batch}, {channels}, {frames}, {ny}, {nx}]: forward {:.1} ms; PDD score {:.1} ms = {:.2}× (goal ≤ 3); SA-PDD forward {:.1} ms, score {:.1} ms = {:.2}× (goal ≤ 1.2)",
            1e3 * fwd,
            1e3 * s_pdd,
            s_pdd / fwd,
            1e3 * fwd2,
            1e3 * s_sa,
            s_sa / fwd2
        );
    }
}
