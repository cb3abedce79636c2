//! Training-step throughput on the CPU backend, side by side with the PyTorch peer
//! (`benches/peers/unet.py`) on identical shapes.
//!
//! `cargo bench --bench train_step [-- quick|paper]`; set `PDD_TORCH_PYTHON=/path/to/python`
//! (a Python with torch) to also time the peer and print the ratio. `PDD_DEVICE=cpu|wgpu|cuda`
//! picks pdd's device (default cpu; GPUs need the matching cargo feature, see
//! scripts/gpu-check.sh) and is passed to the peer as its torch device (`cuda` or `cpu`).

use burn::optim::{AdamConfig, GradientsAccumulator, GradientsParams};
use burn::prelude::*;
use pdd::nn::{Spatial, UNetConfig};
use pdd::predictor::{ActionScale, PredictorBuilder, pdd_loss};
use std::time::Instant;

struct Case {
    name: &'static str,
    spatial: Spatial,
    channels: usize,
    space: Vec<usize>,
    mults: Vec<usize>,
    att: Vec<usize>,
    dim: usize,
    heads: usize,
    dim_head: usize,
    frames: usize,
    batch: usize,
    accum: usize,
    steps: usize,
}

fn cases(which: &str) -> Vec<Case> {
    let quick = vec![
        Case {
            name: "lorenz96-quick",
            spatial: Spatial::Line,
            channels: 2,
            space: vec![128],
            mults: vec![1, 2, 2],
            att: vec![2],
            dim: 16,
            heads: 4,
            dim_head: 16,
            frames: 32,
            batch: 8,
            accum: 1,
            steps: 5,
        },
        Case {
            name: "kolmogorov-quick",
            spatial: Spatial::Plane,
            channels: 1,
            space: vec![32, 32],
            mults: vec![1, 2, 2],
            att: vec![2],
            dim: 16,
            heads: 4,
            dim_head: 16,
            frames: 16,
            batch: 4,
            accum: 1,
            steps: 5,
        },
    ];
    // paper architectures and frame counts; batch reduced to 2 trajectories per micro-batch so a
    // step fits in seconds on 2 cores (the reference uses 50 / 40 × 2 accumulated)
    let paper = vec![
        Case {
            name: "lorenz96-paper(b=2)",
            spatial: Spatial::Line,
            channels: 2,
            space: vec![128],
            mults: vec![1, 2, 4, 4, 6],
            att: vec![4],
            dim: 32,
            heads: 8,
            dim_head: 32,
            frames: 64,
            batch: 2,
            accum: 2,
            steps: 2,
        },
        Case {
            name: "kolmogorov-paper(b=1)",
            spatial: Spatial::Plane,
            channels: 1,
            space: vec![40, 40],
            mults: vec![1, 2, 4, 6],
            att: vec![3],
            dim: 32,
            heads: 8,
            dim_head: 32,
            frames: 40,
            batch: 1,
            accum: 2,
            steps: 2,
        },
    ];
    match which {
        "quick" => quick,
        "paper" => paper,
        _ => quick.into_iter().chain(paper).collect(),
    }
}

/// The device `PDD_DEVICE` names (default cpu).
fn device() -> Device {
    let choice = std::env::var("PDD_DEVICE").unwrap_or_else(|_| "cpu".into());
    choice.parse::<pdd::backend::DeviceChoice>().unwrap().device().unwrap()
}

fn rust_seconds_per_step(c: &Case) -> f64 {
    let dev = device().autodiff();
    dev.seed(0);
    let cfg =
        UNetConfig::new(c.spatial, c.channels * 5, c.channels, c.mults.clone(), c.att.clone())
            .with_dim(c.dim)
            .with_heads(c.heads)
            .with_dim_head(c.dim_head);
    let net = cfg.init(&dev).unwrap();
    let mut model = PredictorBuilder::new().window(5).channels(c.channels).build(net).unwrap();
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    let (ny, nx) = if c.space.len() == 1 { (1, c.space[0]) } else { (c.space[0], c.space[1]) };
    let inner = device();
    let x = Tensor::<5>::random(
        [c.batch, c.channels, c.frames, ny, nx],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &inner,
    );
    let t = Tensor::<1>::from_floats(vec![500.0f32; c.batch].as_slice(), &inner);
    let s = ActionScale::Scalar(Tensor::<1>::from_floats(vec![0.5f32; c.batch].as_slice(), &inner));
    let mut step = |model: pdd::predictor::SlidingWindow<pdd::nn::UNet>| {
        let mut acc = GradientsAccumulator::new();
        for _ in 0..c.accum {
            let l = pdd_loss(&model, x.clone(), t.clone(), &s).total.div_scalar(c.accum as f32);
            let g = l.backward();
            acc.accumulate(&model, GradientsParams::from_grads(g, &model));
        }
        optim.step(2e-4, model, acc.grads())
    };
    model = step(model); // warm-up
    let t0 = Instant::now();
    for _ in 0..c.steps {
        model = step(model);
    }
    let _ = model;
    t0.elapsed().as_secs_f64() / c.steps as f64
}

fn torch_seconds_per_step(c: &Case, python: &str) -> Option<f64> {
    let cfg = format!(
        r#"{{"name":"{}","nd":{},"C":{},"space":{:?},"mults":{:?},"att":{:?},"dim":{},"heads":{},"dh":{},"frames":{},"batch":{},"accum":{},"steps":{}}}"#,
        c.name,
        c.space.len(),
        c.channels,
        c.space,
        c.mults,
        c.att,
        c.dim,
        c.heads,
        c.dim_head,
        c.frames,
        c.batch,
        c.accum,
        c.steps
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/unet.py");
    let choice = std::env::var("PDD_DEVICE").unwrap_or_else(|_| "cpu".into());
    let torch_device = if choice == "cpu" { "cpu" } else { "cuda" };
    let out = std::process::Command::new(python)
        .args([script, "--bench", &cfg, "--device", torch_device])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.lines().last()?).ok()?;
    v["seconds_per_step"].as_f64()
}

fn main() {
    let which =
        std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_else(|| "quick".into());
    let python = std::env::var("PDD_TORCH_PYTHON").ok();
    println!(
        "{:<24} {:>8} {:>12} {:>12} {:>10}",
        "case", "U-Net N", "pdd s/step", "torch s/step", "pdd/torch"
    );
    for c in cases(&which) {
        let ours = rust_seconds_per_step(&c);
        let theirs = python.as_deref().and_then(|p| torch_seconds_per_step(&c, p));
        let n = c.batch * c.frames;
        match theirs {
            Some(th) => {
                println!("{:<24} {:>8} {:>12.3} {:>12.3} {:>9.2}x", c.name, n, ours, th, th / ours)
            }
            None => println!("{:<24} {:>8} {:>12.3} {:>12} {:>10}", c.name, n, ours, "-", "-"),
        }
    }
    println!("(pdd/torch > 1 means pdd is faster; U-Net N = network inputs per micro-batch)");
}
