//! The paper's numbers (Tables 1–3: full-scale models, 30 001 training steps, 100 test
//! samples), the one place the reports take them from.

use crate::metrics::MeanStd;

/// Tables 1–3 of the paper for one system, mean ± std as printed there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperNumbers {
    /// Table 1: PDD simulation, relative L² at step 6.
    pub sim_l2: MeanStd,
    /// Table 1: PDD simulation, relative spectral error.
    pub sim_spectral: MeanStd,
    /// Table 1: DDPM simulation, relative L² at step 6.
    pub ddpm_sim_l2: MeanStd,
    /// Table 1: DDPM simulation, relative spectral error.
    pub ddpm_sim_spectral: MeanStd,
    /// Table 2: PDD generation, relative spectral error.
    pub generation: MeanStd,
    /// Table 2: DDPM generation, relative spectral error.
    pub ddpm_generation: MeanStd,
    /// Table 3: super-resolved paths, relative spectral error.
    pub super_resolution: MeanStd,
    /// Table 3: the low-resolution inputs, relative spectral error.
    pub low_resolution: MeanStd,
}

const fn ms(mean: f64, std: f64) -> MeanStd {
    MeanStd { mean, std }
}

impl PaperNumbers {
    /// The paper's numbers for `system` (`lorenz96`, `kolmogorov`); `None` for another.
    pub fn of(system: &str) -> Option<Self> {
        match system {
            "lorenz96" => Some(Self {
                sim_l2: ms(0.503, 0.011),
                sim_spectral: ms(0.120, 0.014),
                ddpm_sim_l2: ms(0.557, 0.031),
                ddpm_sim_spectral: ms(0.226, 0.077),
                generation: ms(0.343, 0.028),
                ddpm_generation: ms(0.267, 0.020),
                super_resolution: ms(0.345, 0.027),
                low_resolution: ms(0.873, 0.005),
            }),
            "kolmogorov" => Some(Self {
                sim_l2: ms(0.691, 0.057),
                sim_spectral: ms(0.182, 0.029),
                ddpm_sim_l2: ms(0.861, 0.023),
                ddpm_sim_spectral: ms(0.139, 0.021),
                generation: ms(0.457, 0.025),
                ddpm_generation: ms(0.615, 0.121),
                super_resolution: ms(0.303, 0.011),
                low_resolution: ms(0.743, 0.005),
            }),
            _ => None,
        }
    }

    /// Table 3's ratio of the means, super-resolved / low-resolution.
    pub fn sr_ratio(&self) -> f64 {
        self.super_resolution.mean / self.low_resolution.mean
    }
}
