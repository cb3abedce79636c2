//! [`Ablation`]: a preset's [`Study`] and the studies' settings; trains, resumes and shares
//! the variants, runs a study and writes its report.

use super::options::{AblationKind, AblationOptions};
use super::report::AblationReport;
use super::variant::Variant;
use crate::error::Result;
use crate::eval::Evaluator;
use crate::metrics::{MeanStd, relative_l2_at_step, relative_spectral_error};
use crate::progress::Progress;
use crate::study::{Study, StudyOptions};
use ndarray::ArrayD;
use std::path::PathBuf;
use std::time::Instant;

/// The ablation studies of one preset (see the [module docs](super)).
#[derive(Debug, Clone)]
pub struct Ablation {
    /// The preset's study: its directory holds `data.h5`, `run/`, `variants/` and `ablations/`;
    /// its options (training steps, test paths, λ steps, no generation) size every variant.
    pub study: Study,
    /// The studies' settings.
    pub options: AblationOptions,
}

/// A simulation scored against its physics reference `C_λ u₀`.
pub(super) struct Scored {
    /// `C_λ u₀`, `[B, C, F, *grid]` (standardised).
    pub truth: ArrayD<f32>,
    /// The surrogate path, `[B, C, F, *grid]`.
    pub path: ArrayD<f32>,
    /// Relative L² at `[eval] l2_step` after the window.
    pub l2: MeanStd,
    /// Relative spectral error over the frames after `skip`.
    pub spectral: f64,
}

impl Ablation {
    /// The studies of `study`'s preset with `options` (validated when a study runs, against
    /// the data's frame count).
    pub fn new(study: Study, options: AblationOptions) -> Result<Self> {
        Ok(Self { study, options })
    }

    /// `DIR/ablations`: reports (`<study>.md`, `.json`) and `figures/`.
    pub fn out_dir(&self) -> PathBuf {
        self.study.dir.join("ablations")
    }

    /// The variants `kind` trains or reuses (the preset itself included where compared).
    pub fn variants(&self, kind: AblationKind) -> Vec<Variant> {
        let window = self.preset_window();
        match kind {
            AblationKind::Noise => vec![Variant::preset()],
            AblationKind::Window => self
                .options
                .windows
                .iter()
                .map(|&w| if Some(w) == window { Variant::preset() } else { Variant::window(w) })
                .collect(),
            AblationKind::Laplacian => {
                vec![Variant::preset(), Variant::no_laplacian(self.options.mass_factor)]
            }
            AblationKind::CoarseGraining => vec![Variant::preset(), Variant::noise_free()],
        }
    }

    /// The preset's `model.window`, if it sets one.
    fn preset_window(&self) -> Option<usize> {
        let model = self.study.preset.table().get("model")?;
        model.get("window")?.as_integer().map(|w| w as usize)
    }

    /// The study of `variant`: its derived preset ([`Variant::derive`]) training into
    /// `DIR/<variant.run_name()>`, sharing `DIR/data.h5` and the size overrides.
    pub fn variant_study(&self, variant: &Variant) -> Result<Study> {
        let preset = variant.derive(&self.study.preset)?;
        Ok(Study::from_preset(preset, &self.study.dir, self.study.device.clone())
            .with_options(self.study.options.clone())
            .with_run_dir(variant.run_name()))
    }

    /// Generates (or opens) the data, then trains `variant` — resumed if its run stopped early,
    /// only loaded if it reached the step budget — and returns its study (ready for
    /// [`Study::evaluator`]).
    pub fn train(&self, variant: &Variant, progress: &dyn Progress) -> Result<Study> {
        let study = self.variant_study(variant)?;
        study.data(progress)?;
        crate::validate::check(&self.options)?; // the variant's own window is checked by training
        study.train(progress)?;
        Ok(study)
    }

    /// Runs study `kind` (training what it needs) and writes its report and figures into
    /// [`out_dir`](Self::out_dir).
    pub fn run(&self, kind: AblationKind, progress: &dyn Progress) -> Result<AblationReport> {
        let t0 = Instant::now();
        let ds = self.study.data(progress)?;
        self.options.validate_for(kind, ds.metadata().frames)?;
        let figures = self.out_dir().join("figures");
        std::fs::create_dir_all(&figures).map_err(|e| crate::Error::io(&figures, e))?;
        let mut report = match kind {
            AblationKind::Noise => super::noise::run(self, progress)?,
            AblationKind::Window => super::window::run(self, progress)?,
            AblationKind::Laplacian => super::laplacian::run(self, progress)?,
            AblationKind::CoarseGraining => super::coarse_graining::run(self, progress)?,
        };
        report.seconds = t0.elapsed().as_secs_f64();
        report.write(&self.out_dir())?;
        Ok(report)
    }

    /// Every study in the paper's order ([`AblationKind::ALL`]).
    pub fn run_all(&self, progress: &dyn Progress) -> Result<Vec<AblationReport>> {
        AblationKind::ALL.iter().map(|&k| self.run(k, progress)).collect()
    }

    /// Saves `figure` as `figures/<study>-<name>.svg` and lists it in `report`.
    pub(super) fn save(
        &self,
        report: &mut AblationReport,
        name: &str,
        figure: crate::plot::Figure,
    ) -> Result<()> {
        let file = format!("figures/{}-{name}.svg", report.study.name());
        figure.save_overwrite(self.out_dir().join(&file))?;
        report.figures.push(file);
        Ok(())
    }
}

/// The size of the ablations tutorial (`notebooks/ablations.ipynb`, `examples/ablations.rs`):
/// 100 training steps per run and 8 test paths; with `ci` the smoke size of the notebooks' CI run
/// (10 steps, one test path, 3 reverse-λ steps, no generation).
pub fn tutorial_size(ci: bool) -> StudyOptions {
    StudyOptions {
        train_steps: Some(if ci { 10 } else { 100 }),
        eval_samples: Some(if ci { 1 } else { 8 }),
        lambda_steps: if ci { Some(3) } else { None },
        no_generation: ci,
        ..StudyOptions::default()
    }
}

/// Simulates at `lambda` (deterministic unless `noise`) and scores against `C_λ u₀`: L² at
/// `[eval] l2_step` after the window, spectral error over the frames after `skip` (≥ the window;
/// a common `skip` scores runs of different windows on the same frames).
pub(super) fn simulate_scored(
    ev: &Evaluator,
    lambda: f64,
    noise: bool,
    seed: u64,
    skip: usize,
) -> Result<Scored> {
    let grid = ev.test.grid();
    let w = ev.window();
    let (truth, path) = ev.simulate(lambda, noise, seed)?;
    let l2 = relative_l2_at_step(&truth.view(), &path.view(), grid, w, ev.eval.l2_step)?;
    let spectral = relative_spectral_error(&truth.view(), &path.view(), grid, skip.max(w))?;
    Ok(Scored { truth, path, l2, spectral })
}

/// The settings behind an evaluator's numbers, for a report's header.
pub(super) fn settings_line(label: &str, ev: &Evaluator) -> String {
    let s = &ev.sampler;
    format!(
        "`{label}`: {} objective, step {}, window {}, {} test paths; sampler κ = {}, {} corrector(s), \
         stride {}, integrator {:?} (generation {:?})",
        ev.run.config.train.objective.name(),
        ev.run.step,
        ev.window(),
        ev.test.len(),
        s.snr,
        s.corrector_steps,
        s.stride,
        s.integrator,
        s.generation_integrator.unwrap_or(s.integrator),
    )
}
