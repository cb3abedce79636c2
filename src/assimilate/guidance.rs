//! The posterior path score `∇ ln p_λ(x | y) = s(x, λ) + ∇ ln p(y | x_λ)` for the reverse-λ
//! sampler (docs/assimilation.md), wrapped around any [`PathScore`] (PDD, SA-PDD, a
//! linear-Gaussian predictor), with SDA's closed-form likelihood (Rozet & Louppe 2023) adapted
//! to the coarse-graining process.
//!
//! Per Fourier mode `k` the forward process gives `x_λ = C_k x₀ + √Σ_k ε` (`C = Â_λ`, `Σ = Q̂_λ`).
//! With the data's per-mode prior variance `P_k` ([`PriorSpectrum`]) define the signal fraction
//! `ρ = C²P/(C²P + Σ)`, the Wiener gain `K = CP/(C²P + Σ)` and the variance left
//! `V = PΣ/(C²P + Σ)`. The guidance uses
//!
//! * the denoised estimate `x̂₀ = K[(2 − ρ) x + Σ s]`: Tweedie's `(x + Σ s)/C` where the mode is
//!   signal (`ρ → 1`), the Gaussian estimate `K x` where it is noise (`ρ → 0`; Tweedie would
//!   divide the score's error by `C → 0` there), blended by `ρ` — for a Gaussian prior both
//!   equal `K x`;
//! * the likelihood `p(y | x_λ) ≈ N(y; H x̂₀, σ_y² I + γ H V Hᵀ)` (SDA's covariance
//!   `Σ_y + γ·(forward variance)`, with the forward variance in x₀'s units `Σ/C²` bounded by
//!   the prior: `V ≤ min(P, Σ/C²)`);
//! * the Jacobian `∂x̂₀/∂x ≈ K`, so that `∇ ln p(y | x_λ) ≈ K Hᵀ (σ_y² I + γ H V Hᵀ)⁻¹ (y − H x̂₀)`:
//!   no backward pass beyond the prior score's own.
//!
//! For a stationary Gaussian prior with independent frames and `γ = 1` this is the exact
//! likelihood; with correlated frames `V` ignores what the other frames tell about a frame
//! (an over-estimate, as SDA's). `H V Hᵀ` is dense only within one (channel, frame): the
//! stationary kernel of `V` at the differences of the observed points, factorised once per
//! channel and point pattern.

use super::basis::HostBasis;
use super::linalg::Cholesky;
use super::observations::Observations;
use super::operator::ObservationOperator;
use super::prior::PriorSpectrum;
use crate::diffusion::{ForwardProcess, RealFourierBasis, plane_dims};
use crate::error::{Error, Result};
use crate::sample::PathScore;
use burn::prelude::*;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// [`PathScore`] of the posterior given observations of `P` paths, for a batch of `P · members`
/// examples: example `b` is member `b % members` of path `b / members`.
pub struct GuidedScore<'a> {
    prior: &'a dyn PathScore,
    observations: &'a Observations,
    process: &'a ForwardProcess,
    spectrum: &'a PriorSpectrum,
    members: usize,
    gamma: f64,
    host: HostBasis,
}

/// The per-coefficient multipliers of one diffusion index, per channel (basis layout).
struct Gains {
    /// `K (2 − ρ)` and `K Σ`: x̂₀ from the state and the score.
    from_state: Vec<f32>,
    from_score: Vec<f32>,
    /// `K`, the Jacobian.
    gain: Vec<f32>,
    /// `γ V` per channel (f64, for the kernels).
    variance: Vec<f64>,
}

impl<'a> GuidedScore<'a> {
    /// The posterior score of `prior` given `observations`, with the data's per-mode
    /// variances `spectrum` (one per channel), for `members` ensemble members per observed
    /// path, and SDA's variance factor `gamma` (> 0; 1 is exact for independent Gaussian frames).
    pub fn new(
        prior: &'a dyn PathScore,
        observations: &'a Observations,
        process: &'a ForwardProcess,
        spectrum: &'a PriorSpectrum,
        members: usize,
        gamma: f64,
    ) -> Result<Self> {
        let h = observations.operator();
        if h.grid() != process.grid() {
            return Err(Error::config("obs", "the observations are on another grid than the run"));
        }
        if spectrum.channels() != h.path_dims()[0] {
            let got = spectrum.channels();
            return Err(Error::shape("prior spectrum (channels)", h.path_dims()[0], got));
        }
        if members == 0 || !(gamma > 0.0 && gamma.is_finite()) {
            return Err(Error::config("assimilate", "needs members ≥ 1 and γ > 0"));
        }
        let host = HostBasis::new(process.grid());
        Ok(Self { prior, observations, process, spectrum, members, gamma, host })
    }

    fn gains(&self, t: usize) -> Gains {
        let c_half = self.host.from_half(self.process.damping(t));
        let s_half = self.host.from_half(self.process.variance(t));
        let filter = self.observations.operator().filter().map(|f| self.host.from_half(f));
        let channels = self.spectrum.channels();
        let n = self.host.len();
        let mut g = Gains {
            from_state: Vec::with_capacity(channels * n),
            from_score: Vec::with_capacity(channels * n),
            gain: Vec::with_capacity(channels * n),
            variance: Vec::with_capacity(channels * n),
        };
        for ch in 0..channels {
            for (j, &p) in self.spectrum.variance(ch).iter().enumerate() {
                let (c, s) = (c_half[j], s_half[j]);
                let den = c * c * p + s;
                let (rho, k, v) = if den > 0.0 {
                    (c * c * p / den, c * p / den, p * s / den)
                } else {
                    (0.0, 0.0, 0.0)
                };
                let f = filter.as_ref().map_or(1.0, |f| f[j]);
                g.from_state.push((f * k * (2.0 - rho)) as f32);
                g.from_score.push((f * k * s) as f32);
                g.gain.push((f * k) as f32);
                g.variance.push(self.gamma * f * f * v);
            }
        }
        g
    }

    /// `(σ_y² I + H γV Hᵀ)⁻¹ (y − H x̂₀)` per (example, channel, frame), scattered back onto the
    /// observed points of a zero field `[B, C, F, N]` (flattened).
    fn weights(&self, hx: &[f32], dims: [usize; 5], variance: &[f64]) -> Result<Vec<f32>> {
        let [b, c, f, ny, nx] = dims;
        let n = ny * nx;
        let h = self.observations.operator();
        let sigma2 = h.noise_std().powi(2);
        let kernels: Vec<Vec<f64>> =
            (0..c).map(|ch| self.host.covariance_kernel(&variance[ch * n..(ch + 1) * n])).collect();
        let mut factors: HashMap<(usize, &[usize]), Cholesky> = HashMap::new();
        let mut out = vec![0.0f32; hx.len()];
        for ex in 0..b {
            let y = self.observations.values(ex / self.members);
            let mut next = 0;
            for (ch, kernel) in kernels.iter().enumerate() {
                for fr in 0..f {
                    let pts = h.points(ch, fr);
                    if pts.is_empty() {
                        continue;
                    }
                    let base = ((ex * c + ch) * f + fr) * n;
                    let mut r: Vec<f64> = pts
                        .iter()
                        .zip(y.iter().skip(next))
                        .map(|(&p, &yv)| yv - f64::from(hx[base + p]))
                        .collect();
                    next += pts.len();
                    let factor = match factors.entry((ch, pts)) {
                        Entry::Occupied(e) => e.into_mut(),
                        Entry::Vacant(e) => e.insert(self.innovation(kernel, pts, sigma2)?),
                    };
                    factor.solve(&mut r);
                    for (&p, w) in pts.iter().zip(r) {
                        out[base + p] = w as f32;
                    }
                }
            }
        }
        Ok(out)
    }

    /// The Cholesky factor of `σ_y² I + K(p_a − p_b)` for the points `pts` and the stationary
    /// kernel `kernel`.
    fn innovation(&self, kernel: &[f64], pts: &[usize], sigma2: f64) -> Result<Cholesky> {
        let m = pts.len();
        let mut g = vec![0.0; m * m];
        for (a, &pa) in pts.iter().enumerate() {
            for (b, &pb) in pts.iter().enumerate() {
                g[a * m + b] = kernel[self.host.difference(pa, pb)];
            }
            g[a * m + a] += sigma2;
        }
        Cholesky::new(&g, m)
    }

    fn check(&self, dims: [usize; 5]) -> Result<()> {
        let [b, c, f, ny, nx] = dims;
        let [hc, hf] = self.observations.operator().path_dims();
        let want_b = self.observations.paths() * self.members;
        if b != want_b || c != hc || f != hf || (ny, nx) != plane_dims(self.process.grid()) {
            let (py, px) = plane_dims(self.process.grid());
            return Err(Error::shape(
                "guided score: paths × members, channels, frames, grid",
                [want_b, hc, hf, py, px],
                dims,
            ));
        }
        Ok(())
    }
}

fn per_channel(v: Vec<f32>, c: usize, basis: &RealFourierBasis, device: &Device) -> Tensor<5> {
    let (ny, nx) = basis.dims();
    Tensor::from_data(TensorData::new(v, [1, c, 1, ny, nx]), device)
}

impl PathScore for GuidedScore<'_> {
    fn score(&self, x: Tensor<5>, t: usize) -> Result<Tensor<5>> {
        let dims = x.dims();
        self.check(dims)?;
        let device = x.device();
        let basis = RealFourierBasis::new(self.process.grid(), &device);
        let s = self.prior.score(x.clone(), t)?;
        let g = self.gains(t);
        let c = dims[1];
        let (a, b, k) = (
            per_channel(g.from_state, c, &basis, &device),
            per_channel(g.from_score, c, &basis, &device),
            per_channel(g.gain, c, &basis, &device),
        );
        // H x̂₀ before the point selection: the (filtered) denoised estimate
        let hx = basis.inverse(basis.forward(x) * a + basis.forward(s.clone()) * b);
        let hx = hx
            .try_into_vec_as::<f32>()
            .map_err(|e| Error::Other(format!("reading a device tensor: {e:?}")))?;
        let w = self.weights(&hx, dims, &g.variance)?;
        let w = Tensor::<5>::from_data(TensorData::new(w, dims), &device);
        Ok(s + basis.inverse(basis.forward(w) * k))
    }

    fn extrapolates_first_frame(&self) -> bool {
        self.prior.extrapolates_first_frame()
    }
}
