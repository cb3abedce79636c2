//! 2-D Kolmogorov flow (paper Eq. 61–62, docs/reference.md §6.2): a pseudo-spectral vorticity
//! solver in f64.
//!
//! ```text
//! ∂ω/∂t = −(u ∂_x ω + v ∂_y ω) − μ ω + ν ∇²ω − k_f cos(k_f y)
//! ψ̂ = ω̂ / |k|² (ψ̂₀ = 0),   u = ∂_y ψ,   v = −∂_x ψ          (so ω = −∇²ψ)
//! ```
//!
//! on `[0, 2π)²`, stored row-major `[Ny, Nx]` (y = axis 0, x = axis 1, the crate's convention).
//! The forcing varies along y = axis 0, which is where the reference's training tensors end up
//! having it after their two transposes (docs/reference.md §6.2, axis note).
//!
//! * Spectral state: the half spectrum of ω ([`SpectralPlan`] convention, unnormalised).
//! * De-aliasing: 2/3 rule with a square mask `|k_x| ≤ K, |k_y| ≤ K`, `K = ⌊(N−1)/3⌋`
//!   (`= N/3 = 85` at N = 256 as in the reference; the `−1` keeps the rule alias-free when 3
//!   divides N). Every forward transform is masked, so the state stays masked and the
//!   quadratic term is exactly the Galerkin-truncated one (it conserves energy and enstrophy).
//! * Time stepping: explicit midpoint RK2, `k1 = f(ω̂)`, `k2 = f(ω̂ + ½dt k1)`, `ω̂ += dt k2`,
//!   as the reference. The linear term is not stiff here (`(μ + ν K²·2) dt ≈ 0.015` at 256²,
//!   dt = 1e−3); the step is limited by advection, so an integrating-factor/ETD scheme would
//!   not buy a larger step and is not offered.
//! * Initial condition: `ω₀ = forcing + A·U[0,1)` per solver grid point (A = 5), row-major draws.
//! * Frames: frame `m` is stored at `t = burn_in + m·frame_interval` exactly (steps are
//!   counted in integers). The reference accumulates `t += dt` in floating point and keeps
//!   frames while `t ≥ 50`, so its first frame is at t ≈ 50.5 (docs/reference.md §6.2); set
//!   `burn_in = 50.5` to reproduce those frame times.
//! * Every step checks that the state is finite; a blow-up stops with [`Error::BlowUp`] naming
//!   the trajectory and the model time.

use super::{DownsampleMethod, Downsampler, SystemKind, check_out_len, positive, whole_steps};
use crate::error::{Error, Result};
use crate::rng::ChaCha8Rng;
use crate::spectral::{Complex, Grid, Scratch, SpectralPlan};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Kolmogorov-flow parameters (`[data.kolmogorov]`). Defaults are the reference's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KolmogorovConfig {
    /// Solver grid points per axis (square grid).
    pub solver_grid: usize,
    /// Stored (training) grid points per axis.
    pub output_grid: usize,
    /// Linear drag μ.
    pub mu: f64,
    /// Viscosity ν.
    pub nu: f64,
    /// Forcing wavenumber k_f (forcing `−k_f cos(k_f y)`; 0 = unforced).
    pub forcing_wavenumber: usize,
    /// Time step.
    pub dt: f64,
    /// Model time before the first stored frame (a whole number of steps).
    pub burn_in: f64,
    /// Model time between stored frames (a whole number of steps).
    pub frame_interval: f64,
    /// Stored frames per trajectory.
    pub frames: usize,
    /// Amplitude A of the uniform noise in the initial condition `forcing + A·U[0,1)`.
    pub init_amplitude: f64,
    /// Solver grid → output grid.
    pub downsample: DownsampleMethod,
}

impl Default for KolmogorovConfig {
    fn default() -> Self {
        Self {
            solver_grid: 256,
            output_grid: 40,
            mu: 0.1,
            nu: 1e-3,
            forcing_wavenumber: 4,
            dt: 1e-3,
            burn_in: 50.0,
            frame_interval: 0.5,
            frames: 40,
            init_amplitude: 5.0,
            downsample: DownsampleMethod::Spectral,
        }
    }
}

impl crate::validate::Ranges for KolmogorovConfig {
    const SECTION: &'static str = "data.kolmogorov";
    const RULES: &'static [crate::validate::Rule] = Self::RANGES;
}

impl KolmogorovConfig {
    /// The range table of `[data.kolmogorov]` (docs/validation.md).
    pub const RANGES: &'static [crate::validate::Rule] = {
        use crate::validate::Rule;
        &[
            Rule::range("solver_grid", 8.0, 8192.0),
            Rule::range("output_grid", 2.0, 8192.0),
            Rule::range("mu", 0.0, 1e6),
            Rule::range("nu", 0.0, 1e6),
            Rule::at_least("forcing_wavenumber", 0.0),
            Rule::range("dt", 0.0, 1.0).open_below(),
            Rule::range("burn_in", 0.0, 1e9),
            Rule::range("frame_interval", 0.0, 1e9).open_below(),
            Rule::range("frames", 1.0, 1e6),
            Rule::range("init_amplitude", -1e6, 1e6),
        ]
    };

    /// Checks every field ([`crate::validate`]); errors name it (`data.kolmogorov.…`).
    pub fn validate(&self) -> Result<()> {
        crate::validate::check(self)?;
        let f = |n: &str| format!("data.kolmogorov.{n}");
        if self.solver_grid < 8 {
            return Err(Error::config(
                f("solver_grid"),
                format!("must be ≥ 8, got {}", self.solver_grid),
            ));
        }
        if self.output_grid < 2 || self.output_grid > self.solver_grid {
            return Err(Error::config(
                f("output_grid"),
                format!(
                    "must be in [2, solver_grid = {}], got {}",
                    self.solver_grid, self.output_grid
                ),
            ));
        }
        let kmax = (self.solver_grid - 1) / 3;
        if self.forcing_wavenumber > kmax {
            return Err(Error::config(
                f("forcing_wavenumber"),
                format!(
                    "must be in [0, {kmax}] (de-aliased band of the solver grid), got {}",
                    self.forcing_wavenumber
                ),
            ));
        }
        positive(&f("dt"), self.dt)?;
        if !(self.mu.is_finite() && self.mu >= 0.0) {
            return Err(Error::config(f("mu"), format!("must be finite and ≥ 0, got {}", self.mu)));
        }
        if !(self.nu.is_finite() && self.nu >= 0.0) {
            return Err(Error::config(f("nu"), format!("must be finite and ≥ 0, got {}", self.nu)));
        }
        whole_steps(&f("burn_in"), self.burn_in, self.dt)?;
        positive(&f("frame_interval"), self.frame_interval)?;
        whole_steps(&f("frame_interval"), self.frame_interval, self.dt)?;
        if self.frames == 0 {
            return Err(Error::config(f("frames"), "must be at least 1"));
        }
        if !(self.init_amplitude.is_finite() && self.init_amplitude >= 0.0) {
            return Err(Error::config(f("init_amplitude"), "must be finite and ≥ 0"));
        }
        Ok(())
    }
}

/// A Kolmogorov-flow solver ready to integrate.
#[derive(Clone)]
pub struct Kolmogorov {
    cfg: KolmogorovConfig,
    grid: Grid,
    plan: SpectralPlan<f64>,
    /// De-aliasing cut-off K: bins with `|k_x| ≤ K` and `|k_y| ≤ K` are kept.
    kmax: usize,
    /// The forcing's non-zero half-spectrum bins `(index, value)` (none when k_f = 0).
    forcing: Vec<(usize, Complex<f64>)>,
    down: Downsampler,
    burn_steps: usize,
    frame_steps: usize,
}

/// Buffers for one evaluation of the right-hand side.
pub struct RhsWork {
    scratch: Scratch<f64>,
    spec: [Vec<Complex<f64>>; 4],
    field: [Vec<f64>; 4],
}

/// Buffers for [`Kolmogorov::step`] (one per thread).
pub struct KolmogorovWork {
    rhs: RhsWork,
    k1: Vec<Complex<f64>>,
    k2: Vec<Complex<f64>>,
    tmp: Vec<Complex<f64>>,
}

/// `i·k·z`.
#[inline]
fn ik(k: f64, z: Complex<f64>) -> Complex<f64> {
    Complex::new(-k * z.im, k * z.re)
}

impl Kolmogorov {
    /// Validates `cfg` and builds the solver (FFT plans, masks, forcing, downsampler).
    pub fn new(cfg: KolmogorovConfig) -> Result<Self> {
        cfg.validate()?;
        let n = cfg.solver_grid;
        let grid = Grid::plane(n, n);
        let plan = SpectralPlan::new(&grid);
        let kmax = (n - 1) / 3;
        // −k_f cos(k_f y) has the unnormalised coefficients −k_f N²/2 at k_y = ±k_f, k_x = 0.
        let (kf, h) = (cfg.forcing_wavenumber, n / 2 + 1);
        let amp = Complex::new(-(kf as f64) * (n * n) as f64 / 2.0, 0.0);
        let forcing = if kf == 0 { Vec::new() } else { vec![(kf * h, amp), ((n - kf) * h, amp)] };
        let down = Downsampler::new(
            &grid,
            &Grid::plane(cfg.output_grid, cfg.output_grid),
            cfg.downsample,
        )?;
        let burn_steps = whole_steps("data.kolmogorov.burn_in", cfg.burn_in, cfg.dt)?;
        let frame_steps =
            whole_steps("data.kolmogorov.frame_interval", cfg.frame_interval, cfg.dt)?;
        Ok(Self { cfg, grid, plan, kmax, forcing, down, burn_steps, frame_steps })
    }

    /// The parameters.
    pub fn config(&self) -> &KolmogorovConfig {
        &self.cfg
    }

    /// The solver grid (`[N, N]`).
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The 2/3-rule mask on the half spectrum (`grid().half_len()` values: 1 kept, 0 removed).
    pub fn dealias_mask(&self) -> Vec<f64> {
        (0..self.grid.half_len()).map(|i| if self.kept(i) { 1.0 } else { 0.0 }).collect()
    }

    /// `(k_x, k_y)` of half-spectrum bin `i`.
    fn wavenumber(&self, i: usize) -> (f64, f64) {
        let n = self.cfg.solver_grid;
        let h = n / 2 + 1;
        ((i % h) as f64, Grid::signed_index(i / h, n) as f64)
    }

    /// Whether bin `i` survives the 2/3 rule.
    fn kept(&self, i: usize) -> bool {
        let (kx, ky) = self.wavenumber(i);
        kx.abs() <= self.kmax as f64 && ky.abs() <= self.kmax as f64
    }

    /// The forcing's half spectrum (`grid().half_len()` values).
    pub fn forcing_spectrum(&self) -> Vec<Complex<f64>> {
        let mut f = self.plan.spectrum_buffer();
        for &(i, v) in &self.forcing {
            f[i] = v;
        }
        f
    }

    /// The forcing field `−k_f cos(k_f y)` on the solver grid (`[N, N]`, y = axis 0).
    pub fn forcing_field(&self) -> Vec<f64> {
        let n = self.cfg.solver_grid;
        let kf = self.cfg.forcing_wavenumber as f64;
        (0..n * n).map(|i| -kf * (kf * self.grid.spacing(0) * (i / n) as f64).cos()).collect()
    }

    /// The laminar steady state `ω = −k_f/(μ + ν k_f²) cos(k_f y)` on the solver grid (needs
    /// `μ + ν k_f² > 0`).
    pub fn laminar_field(&self) -> Vec<f64> {
        let kf = self.cfg.forcing_wavenumber as f64;
        let s = 1.0 / (self.cfg.mu + self.cfg.nu * kf * kf);
        self.forcing_field().iter().map(|f| f * s).collect()
    }

    /// Masked half spectrum of a physical field (`[N, N]` → `[N, N/2+1]`).
    pub fn to_spectrum(&self, field: &[f64]) -> Vec<Complex<f64>> {
        let mut spec = self.plan.spectrum_buffer();
        self.plan.forward(field, &mut spec, &mut self.plan.make_scratch());
        for (i, c) in spec.iter_mut().enumerate() {
            if !self.kept(i) {
                *c = Complex::new(0.0, 0.0);
            }
        }
        spec
    }

    /// Physical field of a half spectrum.
    pub fn to_field(&self, spectrum: &[Complex<f64>]) -> Vec<f64> {
        let mut spec = spectrum.to_vec();
        let mut field = vec![0.0; self.grid.len()];
        self.plan.inverse(&mut spec, &mut field, &mut self.plan.make_scratch());
        field
    }

    /// Fresh work buffers for one thread.
    pub fn make_work(&self) -> KolmogorovWork {
        let spec = || self.plan.spectrum_buffer();
        let field = || vec![0.0; self.grid.len()];
        KolmogorovWork {
            rhs: RhsWork {
                scratch: self.plan.make_scratch(),
                spec: [spec(), spec(), spec(), spec()],
                field: [field(), field(), field(), field()],
            },
            k1: spec(),
            k2: spec(),
            tmp: spec(),
        }
    }

    /// The right-hand side `dω̂/dt` of the (masked) state `w` into `out`.
    ///
    /// # Panics
    /// If the slices are not `grid().half_len()` long.
    pub fn rhs(&self, w: &[Complex<f64>], out: &mut [Complex<f64>], work: &mut KolmogorovWork) {
        self.rhs_into(w, out, &mut work.rhs)
    }

    fn rhs_into(&self, w: &[Complex<f64>], out: &mut [Complex<f64>], rw: &mut RhsWork) {
        let zero = Complex::new(0.0, 0.0);
        let n = self.cfg.solver_grid;
        let (h, kmax) = (n / 2 + 1, self.kmax);
        let [su, sv, sx, sy] = &mut rw.spec;
        let rows = w
            .chunks_exact(h)
            .zip(su.chunks_exact_mut(h))
            .zip(sv.chunks_exact_mut(h))
            .zip(sx.chunks_exact_mut(h))
            .zip(sy.chunks_exact_mut(h));
        for (row, ((((w, su), sv), sx), sy)) in rows.enumerate() {
            let ky = Grid::signed_index(row, n);
            let kept = if ky.unsigned_abs() as usize <= kmax { kmax + 1 } else { 0 };
            let ky = ky as f64;
            let it = w[..kept]
                .iter()
                .zip(su.iter_mut())
                .zip(sv.iter_mut())
                .zip(sx.iter_mut())
                .zip(sy.iter_mut());
            for (kx, ((((&wi, su), sv), sx), sy)) in it.enumerate() {
                let kx = kx as f64;
                // k = 0 gives ψ = ω̂₀ here, but every derivative of it is multiplied by 0.
                let psi = wi / (kx * kx + ky * ky).max(1.0);
                *su = ik(ky, psi);
                *sv = -ik(kx, psi);
                *sx = ik(kx, wi);
                *sy = ik(ky, wi);
            }
            for buf in [su, sv, sx, sy] {
                buf[kept..].fill(zero);
            }
        }
        for (s, f) in rw.spec.iter_mut().zip(rw.field.iter_mut()) {
            self.plan.inverse(s, f, &mut rw.scratch);
        }
        let [u, v, wx, wy] = &mut rw.field;
        for (((u, v), wx), wy) in u.iter_mut().zip(v.iter()).zip(wx.iter()).zip(wy.iter()) {
            *u = *u * wx + v * wy;
        }
        self.plan.forward(u, &mut rw.spec[0], &mut rw.scratch);
        let (mu, nu) = (self.cfg.mu, self.cfg.nu);
        for (row, (o, (adv, w))) in out
            .chunks_exact_mut(h)
            .zip(rw.spec[0].chunks_exact(h).zip(w.chunks_exact(h)))
            .enumerate()
        {
            let ky = Grid::signed_index(row, n);
            let kept = if ky.unsigned_abs() as usize <= kmax { kmax + 1 } else { 0 };
            let ky2 = (ky * ky) as f64;
            for (kx, ((o, &adv), &wi)) in o[..kept].iter_mut().zip(adv).zip(w).enumerate() {
                let lin = mu + nu * ((kx * kx) as f64 + ky2);
                *o = -adv - wi * lin;
            }
            o[kept..].fill(zero);
        }
        for &(i, f) in &self.forcing {
            out[i] += f;
        }
    }

    /// One midpoint-RK2 step of `dt`; returns `false` if the new state is not finite.
    pub fn step(&self, w: &mut [Complex<f64>], work: &mut KolmogorovWork) -> bool {
        let dt = self.cfg.dt;
        self.rhs_into(w, &mut work.k1, &mut work.rhs);
        for ((t, &wi), &k) in work.tmp.iter_mut().zip(w.iter()).zip(&work.k1) {
            *t = wi + k * (0.5 * dt);
        }
        self.rhs_into(&work.tmp, &mut work.k2, &mut work.rhs);
        let mut acc = 0.0;
        for (wi, &k) in w.iter_mut().zip(&work.k2) {
            *wi += k * dt;
            acc += (wi.re + wi.im) * 0.0;
        }
        acc == 0.0
    }

    /// `(1/N⁴) Σ_full-spectrum g(k_x, k_y) Re(a_k b̄_k)` — the domain mean of `a·b` for `g ≡ 1`.
    fn inner(&self, a: &[Complex<f64>], b: &[Complex<f64>], g: impl Fn(f64, f64) -> f64) -> f64 {
        let n2 = self.grid.len() as f64;
        let weights = self.grid.half_weights();
        a.iter()
            .zip(b)
            .zip(&weights)
            .enumerate()
            .map(|(i, ((a, b), w))| {
                let (kx, ky) = self.wavenumber(i);
                w * g(kx, ky) * (a * b.conj()).re
            })
            .sum::<f64>()
            / (n2 * n2)
    }

    /// `1/|k|²`, 0 at k = 0.
    fn inv_k2(kx: f64, ky: f64) -> f64 {
        let k2 = kx * kx + ky * ky;
        if k2 > 0.0 { 1.0 / k2 } else { 0.0 }
    }

    /// Kinetic energy `E = ½⟨|u|²⟩ = ½⟨ψω⟩` (domain mean) of spectral state `w`.
    pub fn energy(&self, w: &[Complex<f64>]) -> f64 {
        0.5 * self.inner(w, w, Self::inv_k2)
    }

    /// Enstrophy `Z = ½⟨ω'²⟩` of the `k ≠ 0` modes (the mean vorticity carries no energy and
    /// is not touched by viscosity).
    pub fn enstrophy(&self, w: &[Complex<f64>]) -> f64 {
        0.5 * self.inner(w, w, |kx, ky| if kx == 0.0 && ky == 0.0 { 0.0 } else { 1.0 })
    }

    /// `⟨ψ ∂_tω⟩ = dE/dt` for a state `w` and its tendency `dw`.
    pub fn energy_rate(&self, w: &[Complex<f64>], dw: &[Complex<f64>]) -> f64 {
        self.inner(w, dw, Self::inv_k2)
    }

    /// Forcing work `⟨ψ f⟩`, so that `dE/dt = −2μE − 2νZ + ⟨ψ f⟩`.
    pub fn forcing_work(&self, w: &[Complex<f64>]) -> f64 {
        self.inner(w, &self.forcing_spectrum(), Self::inv_k2)
    }

    /// Draws the initial spectrum `mask · F{forcing + A·U[0,1)}` from `rng`.
    pub fn initial_spectrum(&self, rng: &mut ChaCha8Rng) -> Vec<Complex<f64>> {
        let a = self.cfg.init_amplitude;
        let field: Vec<f64> =
            self.forcing_field().iter().map(|f| f + a * rng.random::<f64>()).collect();
        self.to_spectrum(&field)
    }

    /// Advances `w` by `count` steps starting at step `*steps`, naming `index` on blow-up.
    fn advance(
        &self,
        index: usize,
        w: &mut [Complex<f64>],
        count: usize,
        steps: &mut usize,
        work: &mut KolmogorovWork,
    ) -> Result<()> {
        for _ in 0..count {
            *steps += 1;
            if !self.step(w, work) {
                return Err(Error::BlowUp {
                    trajectory: index,
                    time: *steps as f64 * self.cfg.dt,
                    reason: "non-finite vorticity (reduce dt or increase the solver grid)".into(),
                });
            }
        }
        Ok(())
    }
}

impl super::Simulator for Kolmogorov {
    fn kind(&self) -> SystemKind {
        SystemKind::Kolmogorov
    }
    fn channels(&self) -> Vec<String> {
        vec!["vorticity".into()]
    }
    fn frames(&self) -> usize {
        self.cfg.frames
    }
    fn output_grid(&self) -> Grid {
        Grid::plane(self.cfg.output_grid, self.cfg.output_grid)
    }
    fn frame_dt(&self) -> f64 {
        self.frame_steps as f64 * self.cfg.dt
    }

    fn simulate(&self, index: usize, rng: &mut ChaCha8Rng, out: &mut [f32]) -> Result<()> {
        let m2 = self.cfg.output_grid * self.cfg.output_grid;
        check_out_len("Kolmogorov::simulate output", self.cfg.frames * m2, out)?;
        let mut w = self.initial_spectrum(rng);
        let mut work = self.make_work();
        let mut steps = 0;
        let mut frame = vec![0.0; m2];
        self.advance(index, &mut w, self.burn_steps, &mut steps, &mut work)?;
        for (m, dst) in out.chunks_exact_mut(m2).enumerate() {
            if m > 0 {
                self.advance(index, &mut w, self.frame_steps, &mut steps, &mut work)?;
            }
            self.down.apply_spectrum(&w, &mut frame);
            for (d, s) in dst.iter_mut().zip(&frame) {
                *d = *s as f32;
            }
        }
        Ok(())
    }
}
