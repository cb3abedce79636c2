//! Cost of the path score relative to one forward pass of the same network on the same batch
//! (issue goals: PDD autograd score ≤ 3×, SA-PDD noise-head score ≤ 1.2×), for the quick
//! presets' networks (random weights; the cost does not depend on them). The measuring code is
//! `pdd::bench::sampler_step`, which `pdd bench sampler-step` also runs.
//!
//! `cargo bench --bench sampler_step [-- BATCH] [paper]` (default batch 4; `paper`: the paper
//! presets' networks and grids instead of the quick ones). `PDD_DEVICE=cpu|wgpu|cuda` picks
//! the device (default cpu; GPUs need the matching cargo feature, see scripts/gpu-pack.sh).
//! Frames: 32 (Lorenz-96) and 16 (Kolmogorov) for the quick presets, the paper's for `paper`.

use pdd::bench::{BenchCase, sampler_step};

fn main() {
    let batch: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(4);
    let choice = std::env::var("PDD_DEVICE").unwrap_or_else(|_| "cpu".into());
    let device = choice.parse::<pdd::backend::DeviceChoice>().unwrap().device().unwrap();
    let cases = if std::env::args().any(|a| a == "paper") {
        [("lorenz96-paper", None), ("kolmogorov-paper", None)]
    } else {
        [("lorenz96-quick", None), ("kolmogorov-quick", Some(16))]
    };
    for (preset, frames) in cases {
        let mut case = BenchCase::from_preset(preset, Some(batch)).unwrap();
        case.frames = frames.unwrap_or(case.frames);
        let r = sampler_step(&case, &device, 5).unwrap();
        let [ny, nx] = case.plane();
        println!(
            "{preset} [{batch}, {}, {}, {ny}, {nx}]: forward {:.1} ms; PDD score {:.1} ms = {:.2}× (goal ≤ 3); SA-PDD forward {:.1} ms, score {:.1} ms = {:.2}× (goal ≤ 1.2)",
            case.channels,
            case.frames,
            1e3 * r.forward,
            1e3 * r.pdd_score,
            r.pdd_score / r.forward,
            1e3 * r.sa_forward,
            1e3 * r.sa_score,
            r.sa_score / r.sa_forward
        );
    }
}
