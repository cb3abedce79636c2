//! Samples trained DDPM baselines on a dataset's test split and times them: simulation
//! (`ddpm-sim`: relative L² at the 6th step against persistence, relative spectral error) and
//! generation (`ddpm-gen`: relative spectral error), for several sampler settings — the
//! measured cost/accuracy trade-off of the `[ddpm]` stride. Metrics in physical units.
//!
//! ```text
//! cargo run --release --example ddpm_baseline -- --data D.h5 [--sim RUN] [--gen RUN] \
//!     [--samplers ancestral:20,ancestral:50,ddim:20] [--seed 0]
//! ```

use clap::Parser;
use ndarray::{ArrayD, Axis};
use pdd::baseline::{DdpmRun, ReverseStep};
use pdd::diffusion::tensor_to_batch;
use pdd::io::{Dataset, Split};
use pdd::metrics::{relative_l2_at_step, relative_spectral_error};
use pdd::progress::NoProgress;
use pdd::train::split_set;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
struct Args {
    /// Dataset (its test split is the reference).
    #[arg(long)]
    data: PathBuf,
    /// A `ddpm-sim` run directory.
    #[arg(long)]
    sim: Option<PathBuf>,
    /// A `ddpm-gen` run directory.
    #[arg(long)]
    generator: Option<PathBuf>,
    /// Sampler settings `method:stride`, comma separated (method: ancestral, ancestral-small, ddim).
    #[arg(long, default_value = "ancestral:20")]
    samplers: String,
    /// Sampling seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn parse_sampler(s: &str) -> anyhow::Result<(ReverseStep, usize)> {
    let (m, k) =
        s.split_once(':').ok_or_else(|| anyhow::anyhow!("sampler `{s}`: want method:stride"))?;
    let method = match m {
        "ancestral" => ReverseStep::Ancestral,
        "ancestral-small" => ReverseStep::AncestralSmall,
        "ddim" => ReverseStep::Ddim,
        _ => anyhow::bail!("unknown method `{m}`"),
    };
    Ok((method, k.parse()?))
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let device = burn::tensor::Device::flex();
    let ds = Dataset::open(&a.data)?;
    let grid = ds.metadata().grid.clone();
    let samplers: Vec<(ReverseStep, usize)> =
        a.samplers.split(',').map(parse_sampler).collect::<anyhow::Result<_>>()?;
    let physical = |run: &DdpmRun, x: ArrayD<f32>| -> anyhow::Result<ArrayD<f32>> {
        let mut x = x;
        run.stats().denormalise(&mut x)?;
        Ok(x)
    };
    for (path, is_sim) in [(a.sim.as_ref(), true), (a.generator.as_ref(), false)] {
        let Some(path) = path else { continue };
        let mut run = DdpmRun::load(path, &device)?;
        let test = split_set(&ds, Split::Test, &run.stats())?;
        let idx: Vec<usize> = (0..test.len()).collect();
        let truth = physical(&run, test.gather(&idx))?;
        println!(
            "{} ({}, step {}): {} test paths {:?}",
            path.display(),
            run.config.kind,
            run.step,
            idx.len(),
            truth.shape()
        );
        for &(method, stride) in &samplers {
            run.sampler.method = method;
            run.sampler.stride = stride;
            let calls = run.sampler.steps()?.len();
            let t0 = Instant::now();
            if is_sim {
                let w = run.config.model.window;
                let frames = test.frames();
                let x0 = test.tensor(&idx, &device);
                let out = physical(
                    &run,
                    tensor_to_batch(run.simulate(x0, frames - w, a.seed, &NoProgress)?, &grid)?,
                )?;
                let secs = t0.elapsed().as_secs_f64();
                let l2 = relative_l2_at_step(&truth.view(), &out.view(), &grid, w, 6)?;
                let last = truth.index_axis(Axis(2), w - 1).insert_axis(Axis(2));
                let persistence = ndarray::concatenate(Axis(2), &vec![last.view(); frames])?;
                let p = relative_l2_at_step(&truth.view(), &persistence.view(), &grid, w, 6)?;
                let spec = relative_spectral_error(&truth.view(), &out.view(), &grid, w)?;
                println!(
                    "  {method:?} stride {stride} ({calls} calls/slice): {} slices in {secs:.1} s ({:.3} s per slice of the batch); \
                     rel L² step 6 {:.3} ± {:.3} (persistence {:.3}); spectral error {spec:.3}",
                    frames - w,
                    secs / (frames - w) as f64,
                    l2.mean,
                    l2.std,
                    p.mean
                );
            } else {
                let out = physical(
                    &run,
                    tensor_to_batch(run.generate(idx.len(), a.seed, &device, &NoProgress)?, &grid)?,
                )?;
                let secs = t0.elapsed().as_secs_f64();
                let spec = relative_spectral_error(&truth.view(), &out.view(), &grid, 0)?;
                println!(
                    "  {method:?} stride {stride} ({calls} calls): {} paths in {secs:.1} s; spectral error {spec:.3}",
                    idx.len()
                );
            }
        }
    }
    Ok(())
}
