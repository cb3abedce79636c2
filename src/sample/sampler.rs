//! The reverse-λ predictor–corrector sampler (paper Algorithm 3; docs/reference.md §5.1–§5.4).

use super::integrator::{Integrator, Step};
use super::score::PathScore;
use crate::diffusion::{ForwardProcess, RealFourierBasis};
use crate::error::{Error, Result};
use burn::prelude::*;
use burn::tensor::Distribution;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Settings of the reverse-λ sampler. Defaults reproduce the reference
/// (docs/reference.md §5.2–§5.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplerConfig {
    /// Langevin signal-to-noise κ (0.7 Lorenz-96, 0.3 Kolmogorov).
    pub snr: f64,
    /// Corrector steps after every predictor step (3 in the paper).
    pub corrector_steps: usize,
    /// Subtract the space–time mean per (example, channel) after every update (reference).
    pub remove_mean: bool,
    /// Clamp the state to `±clamp` after every update (reference: 3; `None` disables).
    pub clamp: Option<f64>,
    /// Use every `stride`-th λ index (1: all 1000 steps; 10: 100 steps of Δλ = 0.01).
    pub stride: usize,
    /// Cap the step at this fraction of the current index (`Δλ ≤ ρ λ`), so steps shrink
    /// geometrically towards λ = 0 where `σ²_λ` is small: the explicit score term of an ETD1 step
    /// is only stable for `Δλ β² / σ²_λ ≲ 1`, which a uniform stride > 1 violates near λ = 0.
    /// `None` (the reference): uniform steps of `stride`.
    pub max_relative_step: Option<f64>,
    /// Cap the step so that the ETD1 exponent `z = −ℓ_max Δλ` of the stiffest mode stays below
    /// this value. For a mode whose score is its Gaussian restoring force `−u/Q̂_k` (every
    /// noise-dominated high wavenumber) one ETD1 step multiplies it by `2 − e^z` instead of the
    /// exact `e^{−z}`: unstable for `z > ln 3`, so a large `stride` blows the finest scales up.
    /// The reference's `stride = 1` has `z ≤ 0.17` (Lorenz-96) / `0.10` (Kolmogorov), which the
    /// default `0.5` leaves untouched; `None` removes the cap.
    /// Ignored by [`Integrator::GaussianSplit`], which integrates those modes exactly.
    pub max_etd_exponent: Option<f64>,
    /// How a predictor step integrates the reverse SDE: `etd1` (the reference) or
    /// `gaussian-split` (the forward process's Gaussian part of the score integrated exactly:
    /// stable at any step size; see [`Integrator`]).
    pub integrator: Integrator,
    /// The integrator of unconditional generation (the long reverse run from λ ≈ 1), when it
    /// differs from [`integrator`](Self::integrator) (`None`: the same). See
    /// [`for_generation`](Self::for_generation).
    pub generation_integrator: Option<Integrator>,
    /// Index at which the loop stops (the reference never reaches 0: it stops at 1, and its
    /// Kolmogorov notebooks read the state at 3).
    pub final_index: usize,
    /// Add noise on the last step too (the reference omits it).
    pub noise_on_last_step: bool,
    /// Apply the frame-0 extrapolation when the score asks for it (PDD).
    pub extrapolate_first_frame: bool,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            snr: 0.7,
            corrector_steps: 3,
            remove_mean: true,
            clamp: Some(3.0),
            stride: 1,
            max_relative_step: None,
            max_etd_exponent: Some(0.5),
            integrator: Default::default(),
            generation_integrator: None,
            final_index: 1,
            noise_on_last_step: false,
            extrapolate_first_frame: true,
        }
    }
}

impl SamplerConfig {
    /// The `(from, to)` index pairs of the reverse loop starting at `start`: uniform steps of
    /// `stride`, capped at `max_relative_step · t` (at least 1), never below `final_index`.
    pub fn schedule(&self, start: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut t = start;
        while t > self.final_index {
            let mut k = self.stride.max(1);
            if let Some(r) = self.max_relative_step {
                k = k.min(((r * t as f64).floor() as usize).max(1));
            }
            let next = t.saturating_sub(k).max(self.final_index);
            out.push((t, next));
            t = next;
        }
        out
    }

    /// The settings of unconditional generation: these with
    /// [`generation_integrator`](Self::generation_integrator) as the integrator, if set.
    pub fn for_generation(&self) -> Self {
        Self { integrator: self.generation_integrator.unwrap_or(self.integrator), ..self.clone() }
    }

    /// Sets `stride` so that a loop from index `start` takes about `steps` uniform steps
    /// (`⌈start / steps⌉`, at least 1), e.g. 100 instead of 1000.
    pub fn set_steps(&mut self, start: usize, steps: usize) {
        self.stride = start.div_ceil(steps.max(1)).max(1);
    }

    /// [`schedule`](Self::schedule) with the stride further capped by
    /// [`max_etd_exponent`](Self::max_etd_exponent) for `process`'s stiffest mode (ETD1 only).
    pub fn stable_schedule(&self, process: &ForwardProcess, start: usize) -> Vec<(usize, usize)> {
        let mut cfg = self.clone();
        if let Some(zcap) = self.max_etd_exponent.filter(|_| self.integrator.needs_stiffness_cap())
        {
            let z1 = process.eigenvalues().iter().fold(0.0f64, |m, &l| m.max(-l)) * process.dt();
            if z1 > 0.0 {
                cfg.stride = cfg.stride.min(((zcap / z1).floor() as usize).max(1));
            }
        }
        cfg.schedule(start)
    }

    /// Checks the values ([`crate::validate`], docs/validation.md), naming the offending field.
    pub fn validate(&self) -> Result<()> {
        crate::validate::check(self)
    }

    /// The reverse schedule from `start` ([`stable_schedule`](Self::stable_schedule)), refused
    /// when it is empty: a start at or below `final_index` (a task's λ rounding to index 0
    /// with few diffusion steps, or `final_index` at or above the start) would return the
    /// input, or pure noise, as if it were a sample.
    pub fn checked_schedule(
        &self,
        process: &ForwardProcess,
        start: usize,
    ) -> Result<Vec<(usize, usize)>> {
        let schedule = self.stable_schedule(process, start);
        let why = format!(
            "= {} leaves no reverse step from the start index {start} (λ = {:.4} with \
             diffusion.steps = {}): the sampler would return its input unchanged; \
             final_index must be below the start index",
            self.final_index,
            start as f64 / process.steps() as f64,
            process.steps()
        );
        crate::validate::non_empty("sample.final_index", &schedule, &why)?;
        Ok(schedule)
    }
}

impl crate::validate::Ranges for SamplerConfig {
    const SECTION: &'static str = "sample";
    const RULES: &'static [crate::validate::Rule] = {
        use crate::validate::Rule;
        &[
            Rule::range("snr", 0.0, 1e3),
            Rule::range("corrector_steps", 0.0, 1e4),
            Rule::positive("clamp"),
            Rule::at_least("stride", 1.0),
            Rule::range("max_relative_step", 0.0, 1.0).open_below(),
            Rule::positive("max_etd_exponent"),
            Rule::any("generation_integrator"),
            Rule::at_least("final_index", 0.0),
        ]
    };
}

/// One step of the sampler, reported to the callback.
#[derive(Debug, Clone)]
pub struct SamplerEvent<'a> {
    /// Index the state has just reached.
    pub index: usize,
    /// `λ = index/T`.
    pub lambda: f64,
    /// Steps done and total.
    pub step: usize,
    /// See `step`.
    pub total: usize,
    /// The state `[B, C, F, Ny, Nx]`.
    pub state: &'a Tensor<5>,
}

/// What [`reverse_sample`] returns: the state at `index`, and why it stopped early if it did.
#[derive(Debug, Clone)]
pub struct SampleResult {
    /// The last finite state `[B, C, F, Ny, Nx]`.
    pub state: Tensor<5>,
    /// Its diffusion index.
    pub index: usize,
    /// `Some(reason)` when sampling stopped on a non-finite state (the state is the last good one).
    pub failure: Option<String>,
}

impl SampleResult {
    /// The state, or an error if sampling failed.
    pub fn into_result(self) -> Result<Tensor<5>> {
        match self.failure {
            None => Ok(self.state),
            Some(reason) => Err(Error::NonFinite { context: reason }),
        }
    }
}

/// `u(t₀) ← 2u(t₁) − u(t₂)` on the frame axis of `x` `[B, C, F, Ny, Nx]` (F ≥ 3).
pub fn extrapolate_first_frame(x: Tensor<5>) -> Tensor<5> {
    let f = x.dims()[2];
    let first = x.clone().narrow(2, 1, 1).mul_scalar(2.0) - x.clone().narrow(2, 2, 1);
    Tensor::cat(vec![first, x.narrow(2, 1, f - 1)], 2)
}

/// Subtracts the mean over frames and space per (example, channel).
pub fn remove_space_time_mean(x: Tensor<5>) -> Tensor<5> {
    let [b, c, f, ny, nx] = x.dims();
    let m = x.clone().reshape([b, c, f * ny * nx]).mean_dim(2).reshape([b, c, 1, 1, 1]);
    x - m
}

/// The white noise of one update: drawn from the device's generator, given, or none.
#[derive(Debug, Clone)]
pub enum StepNoise {
    /// Draw `ξ ~ N(0, I)` on the state's device (`Tensor::random`; seed it with `device.seed`).
    Draw,
    /// Use this `ξ` (same shape as the state), e.g. to replay another implementation's noise.
    Given(Box<Tensor<5>>),
    /// No noise (the reference's last step, docs/reference.md §5.2).
    Off,
}

impl StepNoise {
    fn sample(&self, dims: [usize; 5], device: &Device) -> Result<Option<Tensor<5>>> {
        Ok(match self {
            Self::Draw => Some(Tensor::random(dims, Distribution::Normal(0.0, 1.0), device)),
            Self::Given(xi) if xi.dims() != dims => {
                return Err(Error::shape("StepNoise::Given (the state's shape)", dims, xi.dims()));
            }
            Self::Given(xi) => Some(xi.as_ref().clone()),
            Self::Off => None,
        })
    }
}

/// The single updates of the reverse-λ sampler (paper Algorithm 3; docs/reference.md §5.2–§5.3),
/// for writing a sampling loop of one's own; [`reverse_sample`] is the loop built from them.
///
/// ```
/// use burn::prelude::*;
/// use pdd::diffusion::ForwardProcess;
/// use pdd::sample::{PathScore, ReverseStep, SamplerConfig, StepNoise};
/// use pdd::spectral::Grid;
///
/// /// The score of white noise of variance σ² per point: −x/σ².
/// struct White(f32);
/// impl PathScore for White {
///     fn score(&self, x: Tensor<5>, _t: usize) -> pdd::Result<Tensor<5>> { Ok(x.div_scalar(-self.0)) }
///     fn extrapolates_first_frame(&self) -> bool { false }
/// }
///
/// let device = Device::flex();
/// let process = ForwardProcess::builder().grid(Grid::line(16)).alpha(0.1).build()?;
/// let cfg = SamplerConfig { corrector_steps: 1, ..SamplerConfig::default() };
/// let mut step = ReverseStep::new(&White(0.5), &process, &cfg, &device)?;
/// let mut x = Tensor::<5>::ones([1, 1, 4, 1, 16], &device);
/// for (t, next) in cfg.stable_schedule(&process, 200) {
///     x = step.predict(x, t, next, StepNoise::Off)?;
///     x = step.correct(x, t, StepNoise::Off)?; // a callback of your own goes here
/// }
/// assert_eq!(x.dims(), [1, 1, 4, 1, 16]);
/// # Ok::<(), pdd::Error>(())
/// ```
pub struct ReverseStep<'a> {
    score: &'a dyn PathScore,
    process: &'a ForwardProcess,
    cfg: &'a SamplerConfig,
    basis: RealFourierBasis,
    extrapolate: bool,
    operators: HashMap<(usize, usize), Step>,
}

impl<'a> ReverseStep<'a> {
    /// The updates of `cfg` for `score` on `process`, with the Fourier bases on `device`.
    pub fn new(
        score: &'a dyn PathScore,
        process: &'a ForwardProcess,
        cfg: &'a SamplerConfig,
        device: &Device,
    ) -> Result<Self> {
        cfg.validate()?;
        let basis = RealFourierBasis::new(process.grid(), device);
        let extrapolate = cfg.extrapolate_first_frame && score.extrapolates_first_frame();
        Ok(Self { score, process, cfg, basis, extrapolate, operators: HashMap::new() })
    }

    fn check(&self, x: &Tensor<5>, t: usize) -> Result<()> {
        self.process.check_index(t)?;
        self.basis.check(x, "ReverseStep x")?;
        if self.extrapolate && x.dims()[2] < 3 {
            return Err(Error::shape(
                "ReverseStep (frame-0 extrapolation)",
                "F ≥ 3 frames",
                x.dims(),
            ));
        }
        Ok(())
    }

    /// One predictor step from index `t` down to `next < t` (docs/reference.md §5.2): the
    /// integrator's mean, frame-0 extrapolation (PDD), `noise` scaled by the integrator, mean
    /// removal, clamp. `x` `[B, C, F, Ny, Nx]` → the same shape.
    pub fn predict(
        &mut self,
        x: Tensor<5>,
        t: usize,
        next: usize,
        noise: StepNoise,
    ) -> Result<Tensor<5>> {
        self.check(&x, t)?;
        if next >= t {
            return Err(Error::config(
                "ReverseStep::predict",
                format!("needs next < t (got {t} → {next})"),
            ));
        }
        let key = self.cfg.integrator.cache_key(t, next);
        if let Entry::Vacant(e) = self.operators.entry(key) {
            e.insert(Step::new(self.cfg.integrator, self.process, &self.basis, t, next)?);
        }
        let step = &self.operators[&key];
        let s = self.score.score(x.clone(), t)?;
        let mut m = self.after_mean(step.mean(x.clone(), s));
        if let Some(xi) = noise.sample(x.dims(), &x.device())? {
            m = m + step.noise(xi)?;
        }
        Ok(self.after_noise(m))
    }

    /// One Langevin corrector update at score index `t` (docs/reference.md §5.3): step size
    /// `α = 2κ² d / ‖s‖²` per (example, channel), `d = F·Ny·Nx`; mean `x + α s`, frame-0
    /// extrapolation (PDD), noise `√(2α) ξ`, mean removal, clamp. `x` `[B, C, F, Ny, Nx]`.
    pub fn correct(&self, x: Tensor<5>, t: usize, noise: StepNoise) -> Result<Tensor<5>> {
        self.check(&x, t)?;
        let [b, c, f, ny, nx] = x.dims();
        let per_bc = (f * ny * nx) as f64;
        let s = self.score.score(x.clone(), t)?;
        let norm2 = s
            .clone()
            .square()
            .reshape([b, c, f * ny * nx])
            .sum_dim(2)
            .clamp_min(1e-12)
            .reshape([b, c, 1, 1, 1]);
        let alpha = norm2.recip().mul_scalar(2.0 * self.cfg.snr * self.cfg.snr * per_bc);
        let mut m = self.after_mean(x.clone() + s * alpha.clone());
        if let Some(z) = noise.sample(x.dims(), &x.device())? {
            m = m + z * alpha.mul_scalar(2.0).sqrt();
        }
        Ok(self.after_noise(m))
    }

    fn after_mean(&self, m: Tensor<5>) -> Tensor<5> {
        if self.extrapolate { extrapolate_first_frame(m) } else { m }
    }

    fn after_noise(&self, x: Tensor<5>) -> Tensor<5> {
        let x = if self.cfg.remove_mean { remove_space_time_mean(x) } else { x };
        match self.cfg.clamp {
            Some(c) => x.clamp(-c, c),
            None => x,
        }
    }
}

/// Integrates the reverse-λ SDE from `x` at index `start` down to `cfg.final_index`
/// (Algorithm 3 with the reference's loop semantics, docs/reference.md §5.4): for
/// `t = start, start − k, …` (stride `k`) while `t > final_index`: a [`ReverseStep::predict`] to
/// `t − k` (noise except on the last step), then `corrector_steps` [`ReverseStep::correct`]
/// updates at the same score index `t` (reference quirk, docs/reference.md §11.7). `seed` fixes
/// the noise through `device.seed(seed)`: burn keeps one generator per device, so two samplers
/// running at once on the same device (e.g. from two threads) interleave their draws and are not
/// reproducible. `x` `[B, C, F, Ny, Nx]` (F ≥ 3 when extrapolating).
///
/// An empty schedule (`start ≤ final_index`) is an error naming `sample.final_index`.
/// The callback sees every new state. A non-finite state stops the loop: the result then holds
/// the last finite state, its index and the reason.
pub fn reverse_sample(
    score: &dyn PathScore,
    process: &ForwardProcess,
    x: Tensor<5>,
    start: usize,
    cfg: &SamplerConfig,
    seed: u64,
    callback: &mut dyn FnMut(&SamplerEvent),
) -> Result<SampleResult> {
    let device = x.device();
    let mut stepper = ReverseStep::new(score, process, cfg, &device)?;
    stepper.check(&x, start)?;
    device.seed(seed);
    let steps = cfg.checked_schedule(process, start)?;
    let total = steps.len();
    let mut state = x;
    let mut index = start;
    for (n, &(t, next)) in steps.iter().enumerate() {
        let noisy = n + 1 < total || cfg.noise_on_last_step;
        let noise = || if noisy { StepNoise::Draw } else { StepNoise::Off };
        let mut xn = stepper.predict(state.clone(), t, next, noise())?;
        for _ in 0..cfg.corrector_steps {
            xn = stepper.correct(xn, t, noise())?;
        }
        if !xn.clone().is_finite().all().into_scalar::<bool>() {
            return Ok(SampleResult {
                state,
                index,
                failure: Some(format!(
                    "reverse sampling produced a non-finite state at λ index {t} → {next} (λ = {:.3}); \
                     kept the state at index {index}",
                    process.lambda(next)
                )),
            });
        }
        state = xn;
        index = next;
        callback(&SamplerEvent {
            index,
            lambda: process.lambda(index),
            step: n + 1,
            total,
            state: &state,
        });
    }
    Ok(SampleResult { state, index, failure: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_uniform_or_geometric_near_zero() {
        let uniform = SamplerConfig { stride: 100, ..SamplerConfig::default() };
        let s = uniform.schedule(999);
        assert_eq!(s.first(), Some(&(999, 899)));
        assert_eq!(s.last(), Some(&(99, 1)));
        let reference = SamplerConfig::default();
        assert_eq!(reference.schedule(999).len(), 998); // t = 999 … 2, as docs/reference.md §5.4
        let relative =
            SamplerConfig { stride: 20, max_relative_step: Some(0.1), ..SamplerConfig::default() };
        let s = relative.schedule(999);
        assert!(
            s.iter().all(|&(t, n)| t - n <= 20 && (t - n == 1 || (t - n) as f64 <= 0.1 * t as f64))
        );
        assert_eq!(s.last().unwrap().1, 1);
        assert!(s.len() < 120, "{}", s.len());
        // contiguous
        assert!(s.windows(2).all(|w| w[0].1 == w[1].0));
    }

    #[test]
    fn generation_may_use_its_own_integrator() {
        let cfg: SamplerConfig = toml::from_str(
            "stride = 50\nmax_relative_step = 0.15\ngeneration_integrator = \"gaussian-split\"",
        )
        .unwrap();
        assert_eq!(cfg.integrator, Integrator::Etd1);
        let generation = cfg.for_generation();
        assert_eq!((generation.integrator, generation.stride), (Integrator::GaussianSplit, 50));
        let p = ForwardProcess::builder()
            .grid(crate::spectral::Grid::line(128))
            .alpha(0.1)
            .steps(1000)
            .build()
            .unwrap();
        // ETD1 is held to the stiffness cap (Δλ ≤ 0.003 on this grid), the split is not
        let (etd1, split) = (cfg.stable_schedule(&p, 999), generation.stable_schedule(&p, 999));
        assert!(
            etd1.iter().all(|(t, n)| t - n <= 3) && split.iter().any(|(t, n)| t - n == 50),
            "{split:?}"
        );
        assert!(split.len() * 5 < etd1.len(), "{} vs {} steps", split.len(), etd1.len());
        assert!(toml::from_str::<SamplerConfig>("integrator = \"rk4\"").is_err());
    }

    #[test]
    fn every_field_has_a_range() {
        let c = SamplerConfig {
            max_relative_step: Some(0.1),
            generation_integrator: Some(Integrator::GaussianSplit),
            ..SamplerConfig::default()
        };
        assert!(crate::validate::uncovered(&c).is_empty(), "{:?}", crate::validate::uncovered(&c));
        let e = SamplerConfig { snr: f64::NAN, ..c.clone() }.validate().unwrap_err().to_string();
        assert!(e.contains("`sample.snr`"), "{e}");
        let e = SamplerConfig { clamp: Some(0.0), ..c }.validate().unwrap_err().to_string();
        assert!(e.contains("`sample.clamp`"), "{e}");
    }

    /// Issue #26 item 3: an empty reverse schedule is refused, not returned as a sample.
    #[test]
    fn an_empty_schedule_is_refused_by_name() {
        let grid = crate::spectral::Grid::line(16);
        let p = ForwardProcess::builder().grid(grid.clone()).alpha(0.1).build().unwrap();
        let high = SamplerConfig { final_index: 5000, ..SamplerConfig::default() };
        let e = high.checked_schedule(&p, 200).unwrap_err().to_string();
        assert!(e.contains("`sample.final_index`") && e.contains("200"), "{e}");
        // T = 1: λ = 0.2 rounds to index 0, below the default final index 1
        let one = ForwardProcess::builder().grid(grid).alpha(0.1).steps(1).build().unwrap();
        let start = one.index_of(0.2).unwrap();
        let e = SamplerConfig::default().checked_schedule(&one, start).unwrap_err().to_string();
        assert!(e.contains("diffusion.steps = 1"), "{e}");
        assert_eq!(SamplerConfig::default().checked_schedule(&p, 200).unwrap().len(), 199);
    }
}
