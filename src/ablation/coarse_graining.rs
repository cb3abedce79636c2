//! Figs. 15–16: coarse-graining without noise (Eq. 68, `u_λ = C_λ u₀`, the variant's
//! `diffusion.forward_noise = false`). The paper: simulation near λ = 0 still works, generation
//! fails, and super-resolution fails (SR/LR spectral-error ratio ≥ 1).

use super::options::AblationKind;
use super::report::AblationReport;
use super::runner::{Ablation, settings_line, simulate_scored};
use crate::error::Result;
use crate::eval::{compare_psd, persistence};
use crate::metrics::{relative_l2_at_step, relative_spectral_error};
use crate::progress::Progress;
use ndarray::ArrayD;

const COLUMNS: [&str; 7] = [
    "simulation L² (λ = 0, step 6)",
    "persistence L²",
    "simulation spectral error (λ = 0)",
    "super-resolved spectral error",
    "low-resolution input spectral error",
    "SR / LR",
    "generation spectral error",
];

pub(super) fn run(ab: &Ablation, progress: &dyn Progress) -> Result<AblationReport> {
    let mut r = AblationReport::new(AblationKind::CoarseGraining, &ab.study.preset.name, &COLUMNS);
    let (mut sr_sets, mut gen_sets): (Vec<(String, ArrayD<f32>)>, Vec<_>) = (vec![], vec![]);
    let mut ratios = Vec::new();
    let seed = ab.options.seed;
    for variant in ab.variants(AblationKind::CoarseGraining) {
        let study = ab.train(&variant, progress)?;
        let ev = study.evaluator()?;
        let label = if variant.is_preset() { "with noise (preset)" } else { "noise-free (Eq. 68)" };
        r.settings.push(settings_line(label, &ev));
        let (grid, w, x0) = (ev.test.grid().clone(), ev.window(), ev.test.data().clone());
        let sim = simulate_scored(&ev, 0.0, false, 0, w)?;
        let pers = persistence(&sim.truth, w);
        let pers_l2 =
            relative_l2_at_step(&sim.truth.view(), &pers.view(), &grid, w, ev.eval.l2_step)?;
        progress.start(&format!("super-resolution ({label})"), 1);
        let (low, high) = ev.super_resolve(seed, &mut |_| {})?;
        progress.advance(1);
        progress.finish();
        let sr = relative_spectral_error(&x0.view(), &high.view(), &grid, 0)?;
        let lr = relative_spectral_error(&x0.view(), &low.view(), &grid, 0)?;
        let gen_err = if study.options.no_generation {
            f64::NAN
        } else {
            let n = ev.eval.generation_samples.unwrap_or(x0.shape()[0]);
            progress.start(&format!("generation ({label})"), 1);
            let g = ev.generate(n, seed, &mut |_| {})?;
            progress.advance(1);
            progress.finish();
            let e = relative_spectral_error(&x0.view(), &g.view(), &grid, 0)?;
            gen_sets.push((format!("generated, {label}"), g));
            e
        };
        let values = vec![sim.l2.mean, pers_l2.mean, sim.spectral, sr, lr, sr / lr, gen_err];
        r.push(label, &variant.run_name(), values);
        ratios.push((label, sim.l2.mean, pers_l2.mean, sr / lr, gen_err));
        if sr_sets.is_empty() {
            sr_sets.push(("physics".into(), x0.clone()));
            sr_sets.push((format!("low resolution (λ = {})", ev.eval.sr_lambda), low));
        }
        sr_sets.push((format!("super-resolved, {label}"), high));
        if gen_sets.len() == 1 {
            gen_sets.insert(0, ("test data".into(), x0));
        }
    }
    r.notes.extend(ratios.iter().map(|(label, l2, pers, ratio, g)| {
        format!(
            "{label}: simulation at λ = 0 L² {l2:.3} vs persistence {pers:.3} ({}); super-resolution \
             SR/LR {ratio:.2} ({}); generation spectral error {g:.3}.",
            if l2 < pers { "it still simulates" } else { "no better than persistence" },
            if *ratio >= 1.0 { "fails: no better than its input" } else { "improves on its input" },
        )
    }));
    let grid = crate::io::Dataset::open(ab.study.data_path())?.metadata().grid.clone();
    let refs: Vec<(&str, &ArrayD<f32>)> = sr_sets.iter().map(|(n, a)| (n.as_str(), a)).collect();
    let title = "super-resolution PSD with and without forward noise (Figs. 15–16)";
    ab.save(&mut r, "super-resolution-psd", compare_psd(&refs, &grid, 0, 0, title)?)?;
    if !gen_sets.is_empty() {
        let refs: Vec<(&str, &ArrayD<f32>)> =
            gen_sets.iter().map(|(n, a)| (n.as_str(), a)).collect();
        let title = "generation PSD with and without forward noise";
        ab.save(&mut r, "generation-psd", compare_psd(&refs, &grid, 0, 0, title)?)?;
    }
    Ok(r)
}
