//! Traces super-resolution of a trained run step by step: the state's RMS and max |x| per
//! channel at every reverse-λ step (standardised units), then the spectral errors of the input
//! and the result — to see where in λ a sampler setting goes wrong.
//!
//! ```text
//! cargo run --release --example sr_trace -- RUN_DIR [samples] [steps] [truth|surrogate] [correctors]
//! ```

use pdd::eval::Evaluator;
use pdd::metrics::relative_spectral_error;
use pdd::sample::SrSource;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let run = std::path::PathBuf::from(args.get(1).expect("usage: sr_trace RUN_DIR [samples] [steps] [truth|surrogate] [correctors]"));
    let samples: usize = args.get(2).map_or(Ok(4), |s| s.parse())?;
    let steps: usize = args.get(3).map_or(Ok(40), |s| s.parse())?;
    let device = burn::prelude::Device::flex();
    let mut eval = pdd::train::TrainedRun::load(&run, &device)?.config.eval;
    eval.samples = samples;
    eval.batch = samples;
    eval.sr_source = if args.get(4).is_some_and(|s| s == "truth") { SrSource::CoarseTruth } else { SrSource::Surrogate };
    let mut ev = Evaluator::new_with(&run, None, &device, Some(eval))?;
    let start = ev.run.process.index_of(ev.eval.sr_lambda)?;
    ev.sampler.set_steps(start, steps);
    if let Some(c) = args.get(5) {
        ev.sampler.corrector_steps = c.parse()?;
    }
    println!("sampler: {:?}", ev.sampler);
    let (low, high) = ev.super_resolve(0, &mut |e| {
        let v = pdd::backend::to_vec(e.state.clone());
        let rms = (v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let at_clamp = v.iter().filter(|x| x.abs() >= 2.999).count() as f64 / v.len() as f64;
        println!("step {:4}/{:4} index {:4} λ {:.4}: rms {rms:.3} max {max:.2} at-clamp {:.1} %", e.step, e.total, e.index, e.lambda, 100.0 * at_clamp);
    })?;
    let grid = ev.test.grid().clone();
    let truth = ev.test.data().clone();
    println!(
        "spectral error: input {:.3}, super-resolved {:.3}",
        relative_spectral_error(&truth.view(), &low.view(), &grid, 0)?,
        relative_spectral_error(&truth.view(), &high.view(), &grid, 0)?
    );
    Ok(())
}
