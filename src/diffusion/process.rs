//! The forward (coarse-graining) process and its per-index spectral tables.
//!
//! Per time slice, in space only (docs/reference.md §2):
//!
//! ```text
//! ∂_λ u = (α∇² − γ) u + β η_λ,     ℓ_k = α μ_k − γ   (μ_k: Laplacian eigenvalue of bin k)
//! ```
//!
//! so every Fourier mode is an independent Ornstein–Uhlenbeck process and
//! `u_λ = C_λ u_0 + √Σ_λ ε` with `C_λ = e^{ℓ_k λ}` and `Σ_λ = β²(e^{2ℓ_k λ} − 1)/(2ℓ_k)` in
//! Fourier space. The scale axis is discretised as `λ_i = i/T`, `i = 0 … T−1` (λ = 1 itself is
//! never stored), and the tables below are indexed by `i`.

use crate::error::{Error, Result, ensure_lambda};
use crate::presets::Preset;
use crate::spectral::{Grid, LaplacianKind, SpectralPlan};
use serde::{Deserialize, Serialize};

/// Floor applied to `Q̂` for the precision `P̂` and for the scalar variance `σ²_λ`
/// (docs/reference.md §2.3).
pub const VARIANCE_FLOOR: f64 = 1e-12;

/// `|2ℓ_k|` below which `Q̂` uses its `ℓ → 0` limit `β² τ` (docs/reference.md §2.3).
const ZERO_EIGENVALUE: f64 = 1e-14;

fn default_beta2() -> f64 {
    2.0
}

fn default_steps() -> usize {
    1000
}

fn default_true() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The `[diffusion]` section of a preset.
///
/// ```toml
/// [diffusion]
/// laplacian_factor = 0.1          # α
/// mass_factor = 0.0               # γ (default 0)
/// noise_amplitude_squared = 2.0   # β² (default 2)
/// steps = 1000                    # T (default 1000)
/// laplacian = "discrete"          # or "continuous" (default discrete)
/// forward_noise = true            # false: u_λ = C_λ u₀, the noise-free ablation (Eq. 68)
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffusionConfig {
    /// α, the factor of the Laplacian (0.1 for Lorenz-96, 0.3 for Kolmogorov flow).
    pub laplacian_factor: f64,
    /// γ, the "mass" damping of every mode, including k = 0 (0 in every reference config).
    #[serde(default)]
    pub mass_factor: f64,
    /// β², the squared noise amplitude (2.0 in every reference config).
    #[serde(default = "default_beta2")]
    pub noise_amplitude_squared: f64,
    /// T, the number of λ steps (λ_i = i/T).
    #[serde(default = "default_steps")]
    pub steps: usize,
    /// Which Laplacian eigenvalues to use.
    #[serde(default)]
    pub laplacian: LaplacianKind,
    /// Whether the forward samples carry noise (default `true`: `u_λ = C_λ u₀ + √Σ_λ ε`).
    /// `false` is the paper's noise-free coarse-graining ablation (Eq. 68, Figs. 15–16):
    /// training sees `u_λ = C_λ u₀` (ε ≡ 0), while β² still sets the PDD loss weight σ²_λ and
    /// the reverse sampler's noise (docs/ablations.md).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub forward_noise: bool,
}

impl DiffusionConfig {
    /// Reads and validates the `[diffusion]` section of `preset`. A preset's process must add
    /// noise (`noise_amplitude_squared > 0`): the PDD loss divides by σ²_λ, so β² = 0 trains
    /// with losses ~1e10 (the builder still accepts β² = 0 for noise-free coarse-graining).
    pub fn from_preset(preset: &Preset) -> Result<Self> {
        let config: Self = preset.section("diffusion")?;
        config.validate()?;
        if config.noise_amplitude_squared == 0.0 {
            let reason = "must be > 0 (the PDD loss divides by σ²_λ)";
            return Err(Error::config("diffusion.noise_amplitude_squared", reason));
        }
        Ok(config)
    }

    /// Checks every field ([`crate::validate`], docs/validation.md); the error names the
    /// offending one (`diffusion.<field>`). α = 0 with γ = 0 is refused: `∂_λ u = βη` would
    /// damp no mode (Eq. 67), so `C_λ = 1` and the process has neither a spatial hierarchy nor a
    /// stationary end.
    pub fn validate(&self) -> Result<()> {
        crate::validate::check(self)?;
        if self.laplacian_factor == 0.0 && self.mass_factor == 0.0 {
            return Err(Error::config(
                "diffusion.laplacian_factor",
                "is 0 and diffusion.mass_factor is 0 too: the process would have no damping \
                 (C_λ = 1 for every mode, Eq. 67); set laplacian_factor > 0 or mass_factor > 0",
            ));
        }
        Ok(())
    }

    /// Refuses tables that would not fit in memory: `T` rows of every per-bin table on a grid
    /// of `bins` half-spectrum bins (f32 tables plus their f64 working copies).
    pub fn check_memory(&self, bins: usize) -> Result<()> {
        let bytes = self.steps as f64 * bins.max(1) as f64 * (4.0 * 4.0 + 3.0 * 8.0);
        crate::validate::memory::ensure_fits("diffusion.steps", "the per-index tables", bytes)
    }

    /// The process these settings define on `grid`.
    pub fn process(&self, grid: &Grid) -> Result<ForwardProcess> {
        ForwardProcess::builder()
            .grid(grid.clone())
            .alpha(self.laplacian_factor)
            .gamma(self.mass_factor)
            .beta2(self.noise_amplitude_squared)
            .steps(self.steps)
            .laplacian(self.laplacian)
            .forward_noise(self.forward_noise)
            .build()
    }
}

/// Builder of a [`ForwardProcess`]; see [`ForwardProcess::builder`].
#[derive(Debug, Clone)]
pub struct ForwardProcessBuilder {
    grid: Option<Grid>,
    alpha: Option<f64>,
    gamma: f64,
    beta2: f64,
    steps: usize,
    laplacian: LaplacianKind,
    forward_noise: bool,
}

impl crate::validate::Ranges for DiffusionConfig {
    const SECTION: &'static str = "diffusion";
    const RULES: &'static [crate::validate::Rule] = {
        use crate::validate::Rule;
        const WHY: &str = "larger values overflow the f32 tables the network sees";
        &[
            Rule::range("laplacian_factor", 0.0, 1e6).because(WHY),
            Rule::range("mass_factor", 0.0, 1e6).because(WHY),
            Rule::range("noise_amplitude_squared", 0.0, 1e6).because(WHY),
            Rule::at_least("steps", 1.0),
        ]
    };
}

impl ForwardProcessBuilder {
    /// The spatial grid (required).
    pub fn grid(mut self, grid: Grid) -> Self {
        self.grid = Some(grid);
        self
    }

    /// α, the Laplacian factor (required, ≥ 0).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = Some(alpha);
        self
    }

    /// γ, the mass term (≥ 0; default 0).
    pub fn gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }

    /// β², the squared noise amplitude (≥ 0; default 2). β² = 0 gives the noise-free
    /// coarse-graining of the paper's ablation (Eq. 68).
    pub fn beta2(mut self, beta2: f64) -> Self {
        self.beta2 = beta2;
        self
    }

    /// T, the number of λ steps (≥ 1; default 1000).
    pub fn steps(mut self, steps: usize) -> Self {
        self.steps = steps;
        self
    }

    /// Discrete (default, as the reference) or continuous Laplacian eigenvalues.
    pub fn laplacian(mut self, kind: LaplacianKind) -> Self {
        self.laplacian = kind;
        self
    }

    /// Whether forward samples carry noise (default `true`; `false`: `u_λ = C_λ u₀`, Eq. 68).
    pub fn forward_noise(mut self, on: bool) -> Self {
        self.forward_noise = on;
        self
    }

    /// Validates the settings and precomputes every table (in f64, stored as f32).
    pub fn build(self) -> Result<ForwardProcess> {
        let grid =
            self.grid.ok_or_else(|| Error::config("diffusion.grid", "required: call .grid(..)"))?;
        let alpha = self.alpha.ok_or_else(|| {
            Error::config("diffusion.laplacian_factor", "required: call .alpha(..)")
        })?;
        let config = DiffusionConfig {
            laplacian_factor: alpha,
            mass_factor: self.gamma,
            noise_amplitude_squared: self.beta2,
            steps: self.steps,
            laplacian: self.laplacian,
            forward_noise: self.forward_noise,
        };
        config.validate()?;
        config.check_memory(grid.half_len())?;
        Ok(ForwardProcess::compute(grid, config))
    }
}

/// One of the per-index, per-bin tables of a [`ForwardProcess`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Table {
    /// `Â_i(k) = exp(ℓ_k λ_i)`: the coarse-graining `C_λ`.
    Damping,
    /// `Q̂_i(k)`: the per-mode noise variance `Σ_λ` (with the τ₀ = 1/T rule).
    Variance,
    /// `B̂_i(k) = √max(Q̂, 0)`: the noise amplitude `√Σ_λ`.
    NoiseStd,
    /// `P̂_i(k) = −1/√max(Q̂, 1e−12)`: the precision square root used by SA-PDD's score.
    PrecisionSqrt,
}

impl Table {
    /// Every table, in a fixed order.
    pub const ALL: &'static [Table] = <Table as strum::VariantArray>::VARIANTS;

    /// A short name (`"damping"`, …).
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The RG forward diffusion on one grid, with every table precomputed.
///
/// Per-bin tables live on the half spectrum of the grid (`grid.half_len()` values, layout of
/// [`Grid::half_wavenumbers`]); per-index tables hold `T` of them.
///
/// ```
/// use pdd::diffusion::ForwardProcess;
/// use pdd::spectral::Grid;
/// let p = ForwardProcess::builder().grid(Grid::line(128)).alpha(0.1).build()?;
/// assert_eq!(p.steps(), 1000);
/// assert_eq!(p.damping(0)[1], 1.0);                 // Â_0 ≡ 1
/// assert!((p.damping(999)[1] - 0.905).abs() < 1e-3); // k = 1 survives at λ ≈ 1
/// assert_eq!(p.sigma2(0), p.sigma2(1));             // τ₀ = 1/T rule
/// # Ok::<(), pdd::Error>(())
/// ```
#[derive(Clone)]
pub struct ForwardProcess {
    grid: Grid,
    config: DiffusionConfig,
    plan: SpectralPlan<f32>,
    /// ℓ_k on the half spectrum.
    eigenvalues: Vec<f64>,
    damping: Vec<f32>,
    variance: Vec<f32>,
    noise_std: Vec<f32>,
    precision_sqrt: Vec<f32>,
    sigma2: Vec<f64>,
    etd_astep: Vec<f32>,
    etd_phi1: Vec<f32>,
    etd_score: Vec<f32>,
}

impl std::fmt::Debug for ForwardProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwardProcess")
            .field("grid", &self.grid)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ForwardProcess {
    /// A builder with defaults γ = 0, β² = 2, T = 1000, discrete Laplacian; grid and α are
    /// required.
    pub fn builder() -> ForwardProcessBuilder {
        ForwardProcessBuilder {
            grid: None,
            alpha: None,
            gamma: 0.0,
            beta2: default_beta2(),
            steps: default_steps(),
            laplacian: LaplacianKind::Discrete,
            forward_noise: true,
        }
    }

    fn compute(grid: Grid, config: DiffusionConfig) -> Self {
        let (alpha, gamma, beta2) =
            (config.laplacian_factor, config.mass_factor, config.noise_amplitude_squared);
        let steps = config.steps;
        let dt = 1.0 / steps as f64;
        let eigenvalues: Vec<f64> = grid
            .laplacian_eigenvalues(config.laplacian)
            .iter()
            .map(|mu| alpha * mu - gamma)
            .collect();
        let h = eigenvalues.len();
        let mut damping = Vec::with_capacity(steps * h);
        let mut variance = Vec::with_capacity(steps * h);
        let mut noise_std = Vec::with_capacity(steps * h);
        let mut precision_sqrt = Vec::with_capacity(steps * h);
        let mut sigma2 = Vec::with_capacity(steps);
        let mut floored = vec![0.0; h];
        for i in 0..steps {
            let lambda = i as f64 * dt;
            let tau = if i == 0 { dt } else { lambda };
            for (k, &ell) in eigenvalues.iter().enumerate() {
                let q = mode_variance(ell, beta2, tau);
                damping.push((ell * lambda).exp() as f32);
                variance.push(q as f32);
                noise_std.push(q.max(0.0).sqrt() as f32);
                precision_sqrt.push((-1.0 / q.max(VARIANCE_FLOOR).sqrt()) as f32);
                floored[k] = q.max(VARIANCE_FLOOR);
            }
            sigma2.push(grid.full_spectrum_mean(&floored));
        }
        let (etd_astep, etd_score) = super::etd::etd1_multipliers(&eigenvalues, beta2, dt);
        let etd_phi1 = eigenvalues.iter().map(|&ell| super::etd::phi1(-ell * dt) as f32).collect();
        Self {
            plan: SpectralPlan::new(&grid),
            grid,
            config,
            eigenvalues,
            damping,
            variance,
            noise_std,
            precision_sqrt,
            sigma2,
            etd_astep,
            etd_phi1,
            etd_score,
        }
    }

    /// The settings (as a `[diffusion]` section).
    pub fn config(&self) -> &DiffusionConfig {
        &self.config
    }

    /// The spatial grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// An FFT plan for the grid (f32, the network path).
    pub fn plan(&self) -> &SpectralPlan<f32> {
        &self.plan
    }

    /// α.
    pub fn alpha(&self) -> f64 {
        self.config.laplacian_factor
    }

    /// γ.
    pub fn gamma(&self) -> f64 {
        self.config.mass_factor
    }

    /// β².
    pub fn beta2(&self) -> f64 {
        self.config.noise_amplitude_squared
    }

    /// T, the number of stored indices.
    pub fn steps(&self) -> usize {
        self.config.steps
    }

    /// The scale step `Δλ = 1/T` (also the ETD1 step of the reverse process).
    pub fn dt(&self) -> f64 {
        1.0 / self.config.steps as f64
    }

    /// Number of half-spectrum bins per table (`grid.half_len()`).
    pub fn bins(&self) -> usize {
        self.eigenvalues.len()
    }

    /// `ℓ_k = α μ_k − γ` (≤ 0) of every half-spectrum bin.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// `λ_i = i/T`.
    pub fn lambda(&self, index: usize) -> f64 {
        index as f64 * self.dt()
    }

    /// The index `i` with `λ_i` nearest to `lambda` (`round(λ T)`); λ = 1 maps to the last stored
    /// index `T − 1`. Fails with [`Error::OutOfRange`] for λ outside `[0, 1]` (or NaN).
    pub fn index_of(&self, lambda: f64) -> Result<usize> {
        ensure_lambda(lambda)?;
        Ok(((lambda * self.steps() as f64).round() as usize).min(self.steps() - 1))
    }

    /// Fails with [`Error::OutOfRange`] unless `index < T`.
    pub fn check_index(&self, index: usize) -> Result<()> {
        if index < self.steps() {
            Ok(())
        } else {
            Err(Error::OutOfRange {
                name: "diffusion index".into(),
                value: index as f64,
                range: format!("0 ..= {} (T − 1)", self.steps() - 1),
            })
        }
    }

    fn row<'a>(&self, table: &'a [f32], index: usize) -> &'a [f32] {
        let h = self.bins();
        &table[index * h..(index + 1) * h]
    }

    /// Table `which` at index `index` (half spectrum). Panics if `index ≥ T`.
    pub fn table(&self, which: Table, index: usize) -> &[f32] {
        let all = match which {
            Table::Damping => &self.damping,
            Table::Variance => &self.variance,
            Table::NoiseStd => &self.noise_std,
            Table::PrecisionSqrt => &self.precision_sqrt,
        };
        self.row(all, index)
    }

    /// `Â_i(k) = exp(ℓ_k λ_i)` (half spectrum). Panics if `index ≥ T`.
    pub fn damping(&self, index: usize) -> &[f32] {
        self.table(Table::Damping, index)
    }

    /// `Q̂_i(k)`, the per-mode noise variance (half spectrum; τ₀ = 1/T). Panics if `index ≥ T`.
    pub fn variance(&self, index: usize) -> &[f32] {
        self.table(Table::Variance, index)
    }

    /// `B̂_i(k) = √Q̂_i(k)` (half spectrum). Panics if `index ≥ T`.
    pub fn noise_std(&self, index: usize) -> &[f32] {
        self.table(Table::NoiseStd, index)
    }

    /// `P̂_i(k) = −1/√max(Q̂_i(k), 1e−12)` (half spectrum). Panics if `index ≥ T`.
    pub fn precision_sqrt(&self, index: usize) -> &[f32] {
        self.table(Table::PrecisionSqrt, index)
    }

    /// `σ²_λ` at index `i`: the mean over all bins of the full spectrum of `max(Q̂_i, 1e−12)`,
    /// i.e. the per-grid-point variance of the noise part (the reference's `var_i`; it equals
    /// `tr Σ_λ / D` of the paper's Eq. 58). `σ²_0 = σ²_1` by the τ₀ rule. Panics if `index ≥ T`.
    pub fn sigma2(&self, index: usize) -> f64 {
        self.sigma2[index]
    }

    /// Every `σ²_i`, `i = 0 … T−1`.
    pub fn sigma2_table(&self) -> &[f64] {
        &self.sigma2
    }

    /// ETD1 linear factor `Astep_k = exp(−ℓ_k Δλ)` (≥ 1) of one reverse step
    /// (docs/reference.md §2.6).
    pub fn etd_astep(&self) -> &[f32] {
        &self.etd_astep
    }

    /// ETD1 `φ1(z_k) = (e^{z} − 1)/z`, `z = −ℓ_k Δλ` (1 for |z| < 1e−8).
    pub fn etd_phi1(&self) -> &[f32] {
        &self.etd_phi1
    }

    /// The multiplier of the score in one ETD1 step, `Δλ · β² · φ1_k`.
    pub fn etd_score_factor(&self) -> &[f32] {
        &self.etd_score
    }
}

/// `Q̂ = β² (e^{2ℓτ} − 1)/(2ℓ)`, or its limit `β² τ` when `|2ℓ| ≤ 1e−14`.
fn mode_variance(ell: f64, beta2: f64, tau: f64) -> f64 {
    if (2.0 * ell).abs() > ZERO_EIGENVALUE {
        beta2 * (2.0 * ell * tau).exp_m1() / (2.0 * ell)
    } else {
        beta2 * tau
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_names_bad_fields() {
        let b = || ForwardProcess::builder().grid(Grid::line(8)).alpha(0.1);
        let e = b().alpha(-0.1).build().unwrap_err().to_string();
        assert!(e.contains("laplacian_factor"), "{e}");
        let e = b().beta2(-1.0).build().unwrap_err().to_string();
        assert!(e.contains("noise_amplitude_squared"), "{e}");
        let e = b().gamma(f64::NAN).build().unwrap_err().to_string();
        assert!(e.contains("mass_factor"), "{e}");
        let e = b().steps(0).build().unwrap_err().to_string();
        assert!(e.contains("steps"), "{e}");
        let e = ForwardProcess::builder().alpha(0.1).build().unwrap_err().to_string();
        assert!(e.contains("grid"), "{e}");
        let e = ForwardProcess::builder().grid(Grid::line(8)).build().unwrap_err().to_string();
        assert!(e.contains("laplacian_factor"), "{e}");
    }

    #[test]
    fn lambda_index_mapping() {
        let p = ForwardProcess::builder().grid(Grid::line(8)).alpha(0.1).build().unwrap();
        assert_eq!(p.index_of(0.0).unwrap(), 0);
        assert_eq!(p.index_of(0.001).unwrap(), 1);
        assert_eq!(p.index_of(0.2).unwrap(), 200);
        assert_eq!(p.index_of(1.0).unwrap(), 999);
        assert!((p.lambda(200) - 0.2).abs() < 1e-15);
        for bad in [-0.01, 1.01, f64::NAN] {
            let e = p.index_of(bad).unwrap_err().to_string();
            assert!(e.contains("[0, 1]"), "{e}");
        }
        assert!(p.check_index(999).is_ok());
        assert!(p.check_index(1000).is_err());
    }

    #[test]
    fn config_defaults_and_unknown_fields() {
        let preset = Preset::parse("t", "[diffusion]\nlaplacian_factor = 0.3\n").unwrap();
        let c = DiffusionConfig::from_preset(&preset).unwrap();
        assert_eq!(c.mass_factor, 0.0);
        assert_eq!(c.noise_amplitude_squared, 2.0);
        assert_eq!(c.steps, 1000);
        assert_eq!(c.laplacian, LaplacianKind::Discrete);
        let preset =
            Preset::parse("t", "[diffusion]\nlaplacian_factor = 0.3\nsteps = 0\n").unwrap();
        assert!(DiffusionConfig::from_preset(&preset).unwrap_err().to_string().contains("steps"));
        let preset =
            Preset::parse("t", "[diffusion]\nlaplacian_factor = 0.3\nalpha = 1\n").unwrap();
        assert!(DiffusionConfig::from_preset(&preset).is_err());
        let preset =
            Preset::parse("t", "[diffusion]\nlaplacian_factor = 0.3\nlaplacian = \"continuous\"\n")
                .unwrap();
        assert_eq!(
            DiffusionConfig::from_preset(&preset).unwrap().laplacian,
            LaplacianKind::Continuous
        );
    }

    #[test]
    fn every_field_has_a_range() {
        let c = DiffusionConfig::from_preset(&Preset::named("kolmogorov-quick").unwrap()).unwrap();
        assert!(crate::validate::uncovered(&c).is_empty(), "{:?}", crate::validate::uncovered(&c));
    }

    /// Issue #26 items 10 and 13: a huge β² is refused by its own name (it used to train and
    /// blame the learning rate), and T = 10⁹ by memory before any table is allocated.
    #[test]
    fn huge_values_are_refused_by_name() {
        let b = || ForwardProcess::builder().grid(Grid::line(128)).alpha(0.1);
        let e = b().beta2(1e308).build().unwrap_err().to_string();
        assert!(e.contains("`diffusion.noise_amplitude_squared`"), "{e}");
        let e = b().steps(1_000_000_000).build().unwrap_err().to_string();
        assert!(e.contains("`diffusion.steps`") && e.contains("memory"), "{e}");
        let e = b().alpha(f64::INFINITY).build().unwrap_err().to_string();
        assert!(e.contains("`diffusion.laplacian_factor`") && e.contains("finite"), "{e}");
    }
}
