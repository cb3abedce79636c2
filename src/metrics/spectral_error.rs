//! Relative spectral error over space and time (paper Eq. 64).

use super::checked_set;
use crate::error::{Error, Result};
use crate::spectral::{Complex, Grid, SpectralPlan};
use ndarray::{Array3, ArrayViewD};
use rayon::prelude::*;
use rustfft::FftPlanner;

/// The spatio-temporal power spectrum `|G[u]|²` of a sample set, averaged over samples:
/// `G` is the DFT over time (frames `skip_frames..F`, rustfft) and space (the grid's
/// [`SpectralPlan`]), per channel.
///
/// `power` is `[C, F', H]` with `F' = F − skip_frames` temporal frequencies and `H` the spatial
/// half-spectrum bins, normalised by `(F' N)²`; each bin stands for `weights[h]` bins of the
/// full spectrum (the rest follow from the Hermitian symmetry of real data).
#[derive(Debug, Clone, PartialEq)]
pub struct SpatiotemporalPower {
    /// `[C, F', H]`.
    pub power: Array3<f64>,
    /// Full-spectrum multiplicity of each half-spectrum bin (1 or 2).
    pub weights: Vec<f64>,
    /// Number of samples averaged.
    pub samples: usize,
}

impl SpatiotemporalPower {
    /// The sample-averaged spatio-temporal power spectrum of `x` (`[B, C, F, *grid]`), frames
    /// `skip_frames..F`.
    pub fn of(x: &ArrayViewD<f32>, grid: &Grid, skip_frames: usize) -> Result<Self> {
        let set = checked_set(x, grid, skip_frames, "spatio-temporal power input")?;
        let s = set.shape;
        let nt = s.frames - skip_frames;
        let plan = SpectralPlan::<f64>::new(grid);
        let h = grid.half_len();
        let fft = FftPlanner::<f64>::new().plan_fft_forward(nt);
        let norm = 1.0 / ((nt * s.field_len) as f64).powi(2) / s.batch as f64;
        let zero = Complex::new(0.0, 0.0);
        let per_example: Vec<Array3<f64>> = (0..s.batch)
            .into_par_iter()
            .map_init(
                || {
                    let time_scratch = vec![zero; fft.get_inplace_scratch_len()];
                    (
                        plan.make_scratch(),
                        vec![0.0f64; s.field_len],
                        vec![zero; nt * h],
                        vec![zero; nt],
                        time_scratch,
                    )
                },
                |(scratch, field, spectra, column, time_scratch), b| {
                    let mut acc = Array3::<f64>::zeros((s.channels, nt, h));
                    let example = set.example(b);
                    for c in 0..s.channels {
                        for (i, f) in (skip_frames..s.frames).enumerate() {
                            let start = (c * s.frames + f) * s.field_len;
                            for (d, &v) in
                                field.iter_mut().zip(&example[start..start + s.field_len])
                            {
                                *d = v as f64;
                            }
                            plan.forward(field, &mut spectra[i * h..(i + 1) * h], scratch);
                        }
                        for k in 0..h {
                            for (i, z) in column.iter_mut().enumerate() {
                                *z = spectra[i * h + k];
                            }
                            fft.process_with_scratch(column, time_scratch);
                            for (i, z) in column.iter().enumerate() {
                                acc[[c, i, k]] += z.norm_sqr();
                            }
                        }
                    }
                    acc
                },
            )
            .collect();
        let mut power = Array3::<f64>::zeros((s.channels, nt, h));
        for acc in &per_example {
            power += acc;
        }
        Ok(Self { power: power * norm, weights: grid.half_weights(), samples: s.batch })
    }

    /// `Σ |P|` over the full spectrum (all channels).
    pub fn total(&self) -> f64 {
        self.weighted_sum(|p| p.abs())
    }

    fn weighted_sum(&self, f: impl Fn(f64) -> f64) -> f64 {
        let h = self.weights.len();
        self.power.iter().enumerate().map(|(i, &p)| self.weights[i % h] * f(p)).sum()
    }

    /// `‖P_self − P_other‖₁ / ‖P_self‖₁` over the full spectrum and all channels, with `self`
    /// the reference. Fails if the layouts differ or the reference has zero power.
    pub fn relative_error(&self, other: &Self) -> Result<f64> {
        if self.power.dim() != other.power.dim() || self.weights != other.weights {
            return Err(Error::shape(
                "relative spectral error ([C, F', H] of the two spectra)",
                self.power.dim(),
                other.power.dim(),
            ));
        }
        let reference = self.total();
        if reference.is_nan() || reference <= 0.0 {
            return Err(Error::NonFinite {
                context: "relative spectral error: reference has zero power".into(),
            });
        }
        let h = self.weights.len();
        let diff: f64 = self
            .power
            .iter()
            .zip(other.power.iter())
            .enumerate()
            .map(|(i, (a, b))| self.weights[i % h] * (a - b).abs())
            .sum();
        Ok(diff / reference)
    }
}

/// Relative spectral error (Eq. 64): `‖P − P̂‖₁ / ‖P‖₁` with `P`, `P̂` the spatio-temporal power
/// spectra of `truth` and `pred` averaged over their samples ([`SpatiotemporalPower`]).
///
/// `truth`: `[B, C, F, *grid]`, `pred`: `[B', C, F, *grid]` (sample counts may differ). Not
/// symmetric in its arguments; invariant under a common rescaling of both sets;
/// `E(u, a·u) = |a² − 1|`.
pub fn relative_spectral_error(
    truth: &ArrayViewD<f32>,
    pred: &ArrayViewD<f32>,
    grid: &Grid,
    skip_frames: usize,
) -> Result<f64> {
    let reference = SpatiotemporalPower::of(truth, grid, skip_frames)?;
    reference.relative_error(&SpatiotemporalPower::of(pred, grid, skip_frames)?)
}
