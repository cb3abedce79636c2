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
}
