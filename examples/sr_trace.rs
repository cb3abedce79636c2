//! Traces super-resolution of a trained run step by step: the state's RMS and max |x| at every
//! reverse-λ step (standardised units) and its per-mode variance against the forward marginal
//! of the truth, `Â_λ(k)² S(k) + Q̂_λ(k)` (S: the test paths' spectrum), as the median ratio in
//! the coarsest, middle and finest third of the modes (by |ℓ_k|); then the spectral errors of
//! the input and the result — to see where in λ and in which modes a sampler setting goes wrong.
//!
//! ```text
//! cargo run --release --example sr_trace -- RUN_DIR [samples] [steps] [truth|noised|surrogate] [correctors] [snr]
//! ```

use ndarray::ArrayD;
use pdd::diffusion::ForwardProcess;
use pdd::eval::Evaluator;
use pdd::metrics::relative_spectral_error;
use pdd::sample::SrSource;
use pdd::spectral::SpectralPlan;

/// Per-bin variance (orthonormal DFT, half spectrum) of the fields of `x` `[B, C, F, *grid]`.
fn mode_variance(x: &[f32], plan: &SpectralPlan<f64>) -> Vec<f64> {
    let n = plan.grid().len();
    let (mut sc, mut spec) = (plan.make_scratch(), plan.spectrum_buffer());
    let mut acc = vec![0.0; spec.len()];
    let fields = x.len() / n;
    for field in x.chunks(n) {
        let f: Vec<f64> = field.iter().map(|&v| v as f64).collect();
        plan.forward(&f, &mut spec, &mut sc);
        for (a, c) in acc.iter_mut().zip(&spec) {
            *a += c.norm_sqr() / (n * fields) as f64;
        }
    }
    acc
}

/// Median ratio of `state`'s per-mode variance to the truth's forward marginal at `index`, in the
/// coarsest, middle and finest third of the modes.
fn band_ratios(
    state: &[f32],
    truth_spectrum: &[f64],
    process: &ForwardProcess,
    plan: &SpectralPlan<f64>,
    index: usize,
) -> [f64; 3] {
    let var = mode_variance(state, plan);
    let (a, q) = (process.damping(index), process.variance(index));
    let mut modes: Vec<(f64, f64)> = (1..var.len())
        .map(|k| {
            (
                -process.eigenvalues()[k],
                var[k] / ((a[k] as f64).powi(2) * truth_spectrum[k] + q[k] as f64),
            )
        })
        .collect();
    modes.sort_by(|x, y| x.0.total_cmp(&y.0));
    let third = modes.len() / 3;
    let median = |m: &[(f64, f64)]| {
        let mut r: Vec<f64> = m.iter().map(|p| p.1).collect();
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    };
    [median(&modes[..third]), median(&modes[third..2 * third]), median(&modes[2 * third..])]
}

fn values(x: &ArrayD<f32>) -> Vec<f32> {
    x.iter().copied().collect()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let run = std::path::PathBuf::from(args.get(1).expect(
        "usage: sr_trace RUN_DIR [samples] [steps] [truth|noised|surrogate] [correctors] [snr]",
    ));
    let samples: usize = args.get(2).map_or(Ok(4), |s| s.parse())?;
    let steps: usize = args.get(3).map_or(Ok(40), |s| s.parse())?;
    let device = burn::prelude::Device::flex();
    let mut eval: pdd::eval::EvalConfig =
        pdd::train::TrainedRun::load(&run, &device)?.config.stage("eval")?;
    eval.samples = samples;
    eval.batch = samples;
    eval.sr_source = match args.get(4).map(String::as_str) {
        Some("truth") => SrSource::CoarseTruth,
        Some("noised") => SrSource::NoisedTruth,
        _ => SrSource::Surrogate,
    };
    let mut ev = Evaluator::new_with(&run, None, &device, Some(eval))?;
    let start = ev.run.process.index_of(ev.eval.sr_lambda)?;
    ev.sampler.set_steps(start, steps);
    if let Some(c) = args.get(5) {
        ev.sampler.corrector_steps = c.parse()?;
    }
    if let Some(k) = args.get(6) {
        ev.sampler.snr = k.parse()?;
    }
    println!("sampler: {:?}", ev.sampler);
    let grid = ev.test.grid().clone();
    let truth = ev.test.data().clone();
    let plan = SpectralPlan::<f64>::new(&grid);
    let spectrum = mode_variance(&values(&truth), &plan);
    let process = ev.run.process.clone();
    let (low, high) = ev.super_resolve(0, &mut |e| {
        let v = pdd::backend::to_vec(e.state.clone());
        let rms = (v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let at_clamp = v.iter().filter(|x| x.abs() >= 2.999).count() as f64 / v.len() as f64;
        let [lo, mid, hi] = band_ratios(&v, &spectrum, &process, &plan, e.index);
        println!(
            "step {:4}/{:4} index {:4} λ {:.4}: rms {rms:.3} max {max:.2} at-clamp {:.1} %; \
             variance / forward marginal (median; coarse, middle, fine thirds) {lo:.2} {mid:.2} {hi:.2}",
            e.step,
            e.total,
            e.index,
            e.lambda,
            100.0 * at_clamp
        );
    })?;
    println!(
        "spectral error: input {:.3}, super-resolved {:.3}",
        relative_spectral_error(&truth.view(), &low.view(), &grid, 0)?,
        relative_spectral_error(&truth.view(), &high.view(), &grid, 0)?
    );
    Ok(())
}
