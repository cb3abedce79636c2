//! Fig. 10: the preset's run simulated with its transition noise σ_λ > 0 (Eq. 6, 58) against
//! the paper's deterministic evaluation (σ_λ = 0), at λ = 0.2 and 0.4. No new training.

use super::options::AblationKind;
use super::report::AblationReport;
use super::runner::{Ablation, settings_line, simulate_scored};
use super::variant::Variant;
use crate::error::Result;
use crate::eval::{Evaluator, compare_paths, compare_psd};
use crate::metrics::relative_spectral_error;
use crate::progress::Progress;
use ndarray::ArrayD;

const COLUMNS: [&str; 4] =
    ["λ", "relative L² (step 6)", "spectral error vs C_λ u₀", "spectral error vs noised u_λ"];

pub(super) fn run(ab: &Ablation, progress: &dyn Progress) -> Result<AblationReport> {
    let variant = Variant::preset();
    let study = ab.train(&variant, progress)?;
    let ev = study.evaluator()?;
    let mut r = AblationReport::new(AblationKind::Noise, &ab.study.preset.name, &COLUMNS);
    r.settings.push(settings_line("run", &ev));
    r.settings.push(format!(
        "noisy: Euler–Maruyama with the trained density's transition noise ({:?} action), seed {}",
        ev.run.config.train.action, ab.options.seed
    ));
    let run = variant.run_name();
    let (grid, w) = (ev.test.grid().clone(), ev.window());
    let frame = (w + ev.eval.l2_step - 1).min(ev.test.frames() - 1);
    let mut sets: Vec<(String, ArrayD<f32>)> = Vec::new();
    for &lambda in &ab.options.noise_lambdas {
        let det = simulate_scored(&ev, lambda, false, 0, w)?;
        let noisy = simulate_scored(&ev, lambda, true, ab.options.seed, w)?;
        let noised = noised_truth(&ev, lambda, ab.options.seed)?;
        let mut vs_noised = Vec::new();
        for (name, s) in [("deterministic", &det), ("noisy", &noisy)] {
            let e = relative_spectral_error(&noised.view(), &s.path.view(), &grid, w)?;
            vs_noised.push(e);
            r.push(format!("{name}, λ = {lambda}"), &run, vec![lambda, s.l2.mean, s.spectral, e]);
        }
        r.notes.push(format!(
            "λ = {lambda}: against the noised data u_λ = C_λ u₀ + √Σ_λ ε (what the path density \
             models) the noisy simulation's spectral error is {:.3}, the deterministic one's {:.3} \
             ({}); against the noise-free C_λ u₀ they score {:.3} and {:.3}.",
            vs_noised[1],
            vs_noised[0],
            if vs_noised[1] < vs_noised[0] {
                "the noise brings the spectrum closer to the noised data, as in Fig. 10"
            } else {
                "at this scale the noise does not bring it closer, unlike Fig. 10"
            },
            noisy.spectral,
            det.spectral,
        ));
        sets.push((format!("physics λ={lambda}"), det.truth));
        sets.push((format!("noised physics λ={lambda}"), noised));
        sets.push((format!("deterministic λ={lambda}"), det.path));
        sets.push((format!("noisy λ={lambda}"), noisy.path));
    }
    let refs: Vec<(&str, &ArrayD<f32>)> = sets.iter().map(|(n, a)| (n.as_str(), a)).collect();
    let dt = ev.run.config.data.frame_dt;
    let title = "simulation with σ_λ > 0 (Fig. 10)";
    ab.save(&mut r, "paths", compare_paths(&refs, &grid, frame, dt, title)?)?;
    let title = "time-averaged PSD: physics, deterministic, noisy";
    ab.save(&mut r, "psd", compare_psd(&refs, &grid, 0, w, title)?)?;
    Ok(r)
}

/// The test paths forward-noised at `lambda`, `u_λ = C_λ u₀ + √Σ_λ ε` (`[B, C, F, *grid]`,
/// standardised): the data the noisy simulation's path density models.
fn noised_truth(ev: &Evaluator, lambda: f64, seed: u64) -> Result<ArrayD<f32>> {
    let index = ev.run.process.index_of(lambda)?;
    let x0 = ev.test.data();
    ev.run.process.q_sample(&x0.view(), &vec![index; x0.shape()[0]], seed)
}
