//! The figures an evaluation writes, by the paper's numbering: [`EvalFigure`].

/// One figure of an evaluation (`pdd eval`, [`Study::evaluate`](crate::study::Study::evaluate)),
/// named after the paper's figure it reproduces; written as `figures/<file_name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvalFigure {
    /// Fig. 2/3: simulation at λ = 0 and λ = 0.2, paths.
    Simulation,
    /// Fig. 2/3: the time-averaged spatial PSD of those simulations.
    SimulationPsd,
    /// Fig. 4: super-resolution λ = 0.2 → 0 (low-resolution input, output, physics).
    SuperResolution,
    /// Fig. 4: PSD of low resolution, super-resolved and physics.
    SuperResolutionPsd,
    /// Fig. 5/6: simulation at λ = 0 against physics (and the baselines).
    SimulationLambda0,
    /// Fig. 5/6: the PSDs of those paths.
    SimulationLambda0Psd,
    /// Fig. 7: relative L² at the L² step against λ.
    L2VsLambda,
    /// Fig. 7: relative spectral error against λ.
    SpectralVsLambda,
    /// Fig. 8: unconditional generation samples.
    Generation,
    /// Fig. 9: PSD of generated paths.
    GenerationPsd,
}

impl EvalFigure {
    /// Every figure, in the paper's order.
    pub const ALL: [EvalFigure; 10] = [
        Self::Simulation,
        Self::SimulationPsd,
        Self::SuperResolution,
        Self::SuperResolutionPsd,
        Self::SimulationLambda0,
        Self::SimulationLambda0Psd,
        Self::L2VsLambda,
        Self::SpectralVsLambda,
        Self::Generation,
        Self::GenerationPsd,
    ];

    /// The file name under `figures/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Simulation => "fig2_simulation.svg",
            Self::SimulationPsd => "fig2_simulation_psd.svg",
            Self::SuperResolution => "fig4_super_resolution.svg",
            Self::SuperResolutionPsd => "fig4_super_resolution_psd.svg",
            Self::SimulationLambda0 => "fig5_simulation_lambda0.svg",
            Self::SimulationLambda0Psd => "fig5_simulation_lambda0_psd.svg",
            Self::L2VsLambda => "fig7_l2_vs_lambda.svg",
            Self::SpectralVsLambda => "fig7_spectral_vs_lambda.svg",
            Self::Generation => "fig8_generation.svg",
            Self::GenerationPsd => "fig9_generation_psd.svg",
        }
    }
}

/// Refuses to evaluate into `dir` (a report's `figures/` folder) when it already holds
/// evaluation figures and `overwrite` is off: they belong to another report in the same folder
/// (its Markdown links them), and the new evaluation would silently replace them.
pub fn check_figures(dir: &std::path::Path, overwrite: bool) -> crate::Result<()> {
    if overwrite {
        return Ok(());
    }
    match EvalFigure::ALL.iter().map(|f| dir.join(f.file_name())).find(|p| p.exists()) {
        Some(p) => Err(crate::Error::Other(format!(
            "{} already exists: another report in this folder links its figures; write this \
             report into its own folder, or pass --overwrite to replace them",
            p.display()
        ))),
        None => Ok(()),
    }
}

/// Removes the figures in `dir` that an evaluation did not write (`written`): stale files of
/// an earlier evaluation that the new report does not link.
pub fn remove_stale(dir: &std::path::Path, written: &[EvalFigure]) -> crate::Result<()> {
    for f in EvalFigure::ALL.iter().filter(|f| !written.contains(f)) {
        let p = dir.join(f.file_name());
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(crate::Error::io(&p, e));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_distinct_svgs() {
        let names: std::collections::HashSet<_> =
            EvalFigure::ALL.iter().map(|f| f.file_name()).collect();
        assert_eq!(names.len(), EvalFigure::ALL.len());
        assert!(names.iter().all(|n| n.ends_with(".svg") && n.starts_with("fig")));
    }

    /// Issue #26 item 9: a second report in the same folder does not silently take over the
    /// first's figures; stale figures of a skipped task are removed.
    #[test]
    fn existing_figures_are_refused_and_stale_ones_removed() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_figures(dir.path(), false).is_ok());
        let generation = dir.path().join(EvalFigure::Generation.file_name());
        std::fs::write(&generation, "<svg/>").unwrap();
        let e = check_figures(dir.path(), false).unwrap_err().to_string();
        assert!(e.contains("fig8_generation.svg") && e.contains("--overwrite"), "{e}");
        assert!(check_figures(dir.path(), true).is_ok());
        let sim = dir.path().join(EvalFigure::Simulation.file_name());
        std::fs::write(&sim, "<svg/>").unwrap();
        remove_stale(dir.path(), &[EvalFigure::Simulation]).unwrap();
        assert!(sim.exists() && !generation.exists());
    }
}
