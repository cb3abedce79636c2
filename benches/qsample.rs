//! q-sample throughput for paper-size training batches, host (realfft + rayon) vs device
//! (burn `Device::flex()`, real-Fourier-basis matmuls), plus a rough estimate of a U-Net training
//! step on the same device for context (the goal: preparing a batch costs ≤ 10 % of a step).
//!
//! Run: `cargo bench --bench qsample` (add `-- --quick` for fewer repetitions).

use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::module::{conv1d, conv2d};
use burn::tensor::ops::ConvOptions;
use pdd::diffusion::{DeviceProcess, ForwardProcess, batch_to_tensor, white_noise};
use pdd::spectral::Grid;
use std::time::Instant;

/// Median wall time (seconds) of `reps` runs of `f` after one warm-up run.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

/// Rough FLOPs of one forward pass of the reference U-Net (docs/reference.md §8.2) per frame:
/// convolutions only (attention and norms are small at these resolutions). `ndim` spatial axes
/// of `size`, input channels `cin`.
fn unet_flops_per_frame(ndim: u32, size: usize, cin: usize, mults: &[usize]) -> f64 {
    let dim = 32;
    let points = |res: usize| (res as f64).powi(ndim as i32);
    let conv = |ci: usize, co: usize, k: usize, res: usize| {
        2.0 * (ci * co) as f64 * (k as f64).powi(ndim as i32) * points(res)
    };
    let dims: Vec<usize> = std::iter::once(dim).chain(mults.iter().map(|m| dim * m)).collect();
    let resblock = |ci: usize, co: usize, res: usize| {
        conv(ci, co, 3, res)
            + conv(co, co, 3, res)
            + if ci != co { conv(ci, co, 1, res) } else { 0.0 }
    };
    let mut f = conv(cin, dim, 5, size);
    let mut res = size;
    let n = mults.len();
    let mut resolutions = Vec::new();
    for i in 0..n {
        f += resblock(dims[i], dims[i + 1], res) + resblock(dims[i + 1], dims[i + 1], res);
        resolutions.push(res);
        if i < n - 1 {
            f += conv(dims[i + 1], dims[i + 1], 5, res / 2);
            res /= 2;
        }
    }
    f += 2.0 * resblock(dims[n], dims[n], res);
    for i in (0..n).rev() {
        let r = resolutions[i];
        f += resblock(2 * dims[i + 1], dims[i], r) + resblock(dims[i], dims[i], r);
        if i > 0 {
            f += conv(dims[i], dims[i], 5, resolutions[i - 1]);
        }
    }
    f + resblock(2 * dim, dim, size) + conv(dim, cin / 5, 1, size)
}

/// Measured throughput (FLOP/s) of a representative 32 → 32, k = 3 convolution on `device`.
fn conv_rate(device: &Device, ndim: usize, reps: usize) -> f64 {
    if ndim == 1 {
        let x = Tensor::<3>::random([800, 32, 128], Distribution::Normal(0.0, 1.0), device);
        let w = Tensor::<3>::random([32, 32, 3], Distribution::Normal(0.0, 1.0), device);
        let t = time(reps, || {
            let y = conv1d(x.clone(), w.clone(), None, ConvOptions::new([1], [1], [1], 1));
            let _ = y.into_data();
        });
        2.0 * 800.0 * 32.0 * 32.0 * 3.0 * 128.0 / t
    } else {
        let x = Tensor::<4>::random([100, 32, 40, 40], Distribution::Normal(0.0, 1.0), device);
        let w = Tensor::<4>::random([32, 32, 3, 3], Distribution::Normal(0.0, 1.0), device);
        let t = time(reps, || {
            let y = conv2d(x.clone(), w.clone(), None, ConvOptions::new([1, 1], [1, 1], [1, 1], 1));
            let _ = y.into_data();
        });
        2.0 * 100.0 * 32.0 * 32.0 * 9.0 * 1600.0 / t
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let reps = if quick { 3 } else { 7 };
    let device = Device::flex();
    println!(
        "q-sample of a paper-size training batch (median of {reps}), {} rayon threads",
        rayon::current_num_threads()
    );
    for (name, grid, alpha, shape, cin, mults) in [
        ("Lorenz-96", Grid::line(128), 0.1, vec![100, 2, 64, 128], 10, vec![1, 2, 4, 4, 6]),
        ("Kolmogorov", Grid::plane(40, 40), 0.3, vec![80, 1, 40, 40, 40], 5, vec![1, 2, 4, 6]),
    ] {
        let p = ForwardProcess::builder().grid(grid.clone()).alpha(alpha).build().unwrap();
        let dp = DeviceProcess::new(&p, &device).unwrap();
        let b = shape[0];
        let x0 = white_noise(&shape, 1);
        let eps = white_noise(&shape, 2);
        let t: Vec<usize> = (0..b).map(|i| (i * 997) % 1000).collect();
        let mb = (x0.len() * 4) as f64 / 1e6;

        let host_given = time(reps, || {
            let _ = p.q_sample_given_noise(&x0.view(), &t, &eps.view()).unwrap();
        });
        let host_full = time(reps, || {
            let _ = p.q_sample(&x0.view(), &t, 3).unwrap();
        });
        let noise_only = time(reps, || {
            let _ = white_noise(&shape, 3);
        });
        let xd = batch_to_tensor(&x0.view(), &grid, &device).unwrap();
        let ed = batch_to_tensor(&eps.view(), &grid, &device).unwrap();
        let dev_given = time(reps, || {
            let u = dp.q_sample_given_noise(xd.clone(), &t, ed.clone()).unwrap();
            let _ = u.into_data();
        });
        let dev_random = time(reps, || {
            let (u, _) = dp.q_sample(xd.clone(), &t).unwrap();
            let _ = u.into_data();
        });
        let upload = time(reps, || {
            let x = batch_to_tensor(&x0.view(), &grid, &device).unwrap();
            let _ = x.into_data();
        });

        println!("\n{name}: batch {shape:?} ({mb:.0} MB f32)");
        println!("  host   q_sample, given noise        {:>8.1} ms", host_given * 1e3);
        println!(
            "  host   q_sample incl. noise draw    {:>8.1} ms  (noise alone {:.1} ms)",
            host_full * 1e3,
            noise_only * 1e3
        );
        println!("  device q_sample, given noise (flex) {:>8.1} ms", dev_given * 1e3);
        println!("  device q_sample, device noise       {:>8.1} ms", dev_random * 1e3);
        println!("  (upload + readback of one batch     {:>8.1} ms)", upload * 1e3);
        println!(
            "  faster: {} ({:.2}×, given noise)",
            if host_given < dev_given { "host" } else { "device" },
            (host_given / dev_given).max(dev_given / host_given)
        );

        // Rough training-step estimate: fwd + bwd ≈ 3 × forward FLOPs over every frame of the
        // batch, at the measured convolution throughput of this device.
        let frames = (shape[0] * shape[2]) as f64;
        let flops =
            3.0 * frames * unet_flops_per_frame(grid.ndim() as u32, grid.dims()[0], cin, &mults);
        let rate = conv_rate(&device, grid.ndim(), reps.min(3));
        let step = flops / rate;
        println!(
            "  U-Net step estimate: {:.0} GFLOP at {:.1} GFLOP/s (measured conv) ≈ {:.1} s → host q-sample = {:.2} % of a step",
            flops / 1e9,
            rate / 1e9,
            step,
            100.0 * host_full / step
        );
    }
}
