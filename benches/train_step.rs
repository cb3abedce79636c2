//! Training-step throughput, side by side with the PyTorch peer (`benches/peers/unet.py`) on
//! identical shapes. The measuring code is `pdd::bench::train_step`, which `pdd bench
//! train-step` also runs.
//!
//! `cargo bench --bench train_step [-- quick|paper]`; set `PDD_TORCH_PYTHON=/path/to/python`
//! (a Python with torch) to also time the peer and print the ratio. `PDD_DEVICE=cpu|wgpu|cuda`
//! picks pdd's device (default cpu; GPUs need the matching cargo feature, see
//! scripts/gpu-pack.sh) and is passed to the peer as its torch device (`cuda` or `cpu`).
//! `PDD_BREAKDOWN=1` also prints both step breakdowns by layer kind (pdd's from
//! `pdd::nn::profile`, the peer's from torch.profiler; docs/performance.md).
//!
//! Shapes: lorenz96-quick as its preset (8 trajectories × 32 frames); kolmogorov-quick at 4 × 16
//! frames (the preset trains 2 × 8-frame crops; the larger batch keeps the numbers comparable
//! with the earlier measurements in docs/performance.md); the paper presets' networks and frame
//! counts with 2 (Lorenz-96) or 1 (Kolmogorov) trajectories per micro-batch so a step takes
//! seconds on 2 cores.

use burn::prelude::*;
use pdd::bench::{BenchCase, peer_config, train_step};

/// `(preset, batch, frames override, timed steps)`.
fn cases(which: &str) -> Vec<(&'static str, usize, Option<usize>, usize)> {
    let quick = vec![("lorenz96-quick", 8, None, 5), ("kolmogorov-quick", 4, Some(16), 5)];
    let paper = vec![("lorenz96-paper", 2, None, 2), ("kolmogorov-paper", 1, None, 2)];
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

/// Whether `PDD_BREAKDOWN` asks for the per-kind breakdowns.
fn breakdown() -> bool {
    std::env::var("PDD_BREAKDOWN").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn torch_seconds_per_step(case: &BenchCase, steps: usize, python: &str) -> Option<f64> {
    let cfg = peer_config(case, steps).to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/unet.py");
    let choice = std::env::var("PDD_DEVICE").unwrap_or_else(|_| "cpu".into());
    let torch_device = if choice == "cpu" { "cpu" } else { "cuda" };
    let mut args = vec![script, "--bench", &cfg, "--device", torch_device];
    if breakdown() {
        args.push("--profile");
    }
    let out = std::process::Command::new(python).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let json = text.lines().find(|l| l.starts_with('{'))?;
    if breakdown() {
        text.lines().for_each(|l| println!("  torch {l}"));
    }
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v["seconds_per_step"].as_f64()
}

fn main() {
    let which =
        std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_else(|| "quick".into());
    let python = std::env::var("PDD_TORCH_PYTHON").ok();
    println!(
        "{:<24} {:>8} {:>12} {:>12} {:>10}   pdd forward / backward / optimiser",
        "case", "U-Net N", "pdd s/step", "torch s/step", "pdd/torch"
    );
    for (preset, batch, frames, steps) in cases(&which) {
        let mut case = BenchCase::from_preset(preset, Some(batch)).unwrap();
        case.frames = frames.unwrap_or(case.frames);
        let r = train_step(&case, &device(), steps).unwrap();
        let theirs = python.as_deref().and_then(|p| torch_seconds_per_step(&case, steps, p));
        let name = format!("{preset}(b={batch})");
        let (th, ratio) = match theirs {
            Some(th) => (format!("{th:.3}"), format!("{:.2}x", th / r.seconds_per_step)),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{:<24} {:>8} {:>12.3} {:>12} {:>10}   {:.3} / {:.3} / {:.3}",
            name,
            r.network_inputs,
            r.seconds_per_step,
            th,
            ratio,
            r.forward,
            r.backward,
            r.optimiser
        );
        if breakdown() {
            print!("{}", r.parts_table("  pdd "));
        }
    }
    println!("(pdd/torch > 1 means pdd is faster; U-Net N = network inputs per micro-batch)");
}
