//! The forward process on a burn device: spectral multipliers applied to `Tensor<5>` batches
//! `[B, C, F, Ny, Nx]` (`Ny = 1` for 1-D grids) by matrix products with real Fourier bases.
//!
//! burn's FFT only takes power-of-two sizes (the Kolmogorov grid is 40 × 40). Every multiplier
//! of the forward and reverse process is real and *even in each axis separately* (it depends on
//! `sin²(π k_a/N_a)` or `k_a²` per axis), so it is diagonal in the orthonormal real Fourier basis
//! of each axis — rows `1/√N, √(2/N) cos(2πkn/N), √(2/N) sin(2πkn/N), …, (−1)ⁿ/√N (Nyquist)`.
//! A field `X` (`Ny × Nx`) is transformed as `Z = R_y X R_xᵀ`, multiplied elementwise by the
//! multiplier rearranged to that basis, and transformed back with `R_yᵀ Z R_x`: two matmuls each
//! way, which autodiff handles like any other op.

use super::process::{ForwardProcess, Table};
use super::qsample::white_noise;
use crate::error::{Error, Result};
use crate::spectral::Grid;
use burn::prelude::*;
use burn::tensor::Distribution;
use ndarray::{ArrayD, ArrayViewD, IxDyn};

/// Relative tolerance of the per-axis evenness check of a multiplier.
const EVEN_TOLERANCE: f32 = 1e-5;

/// The orthonormal real Fourier basis of one axis of `n` points, row-major `n × n`, and the
/// (non-negative) integer wavenumber of each row: `k(p) = (p + 1) / 2`.
pub fn real_fourier_basis(n: usize) -> (Vec<f32>, Vec<usize>) {
    let mut m = vec![0.0f32; n * n];
    let wavenumbers: Vec<usize> = (0..n).map(|p: usize| p.div_ceil(2)).collect();
    let nf = n as f64;
    for (p, &k) in wavenumbers.iter().enumerate() {
        for j in 0..n {
            let phase = std::f64::consts::TAU * (k * j) as f64 / nf;
            let v = if k == 0 {
                1.0 / nf.sqrt()
            } else if 2 * k == n {
                phase.cos() / nf.sqrt()
            } else if p % 2 == 1 {
                (2.0 / nf).sqrt() * phase.cos()
            } else {
                (2.0 / nf).sqrt() * phase.sin()
            };
            m[p * n + j] = v as f32;
        }
    }
    (m, wavenumbers)
}

/// Moves a host batch `[B, C, F, *grid]` to a device tensor `[B, C, F, Ny, Nx]` (`Ny = 1` in 1-D).
pub fn batch_to_tensor(x: &ArrayViewD<f32>, grid: &Grid, device: &Device) -> Result<Tensor<5>> {
    let s = grid.batch_shape(x.shape(), "batch_to_tensor")?;
    let (ny, nx) = plane_dims(grid);
    let data: Vec<f32> = x.as_standard_layout().iter().copied().collect();
    Ok(Tensor::from_data(TensorData::new(data, [s.batch, s.channels, s.frames, ny, nx]), device))
}

/// Moves a device tensor `[B, C, F, Ny, Nx]` back to a host batch `[B, C, F, *grid]`.
pub fn tensor_to_batch(x: Tensor<5>, grid: &Grid) -> Result<ArrayD<f32>> {
    let [b, c, f, ny, nx] = x.dims();
    if (ny, nx) != plane_dims(grid) {
        return Err(Error::shape("tensor_to_batch", expected_dims(grid), [b, c, f, ny, nx]));
    }
    let data = x
        .try_into_vec_as::<f32>()
        .map_err(|e| Error::Other(format!("reading a device tensor: {e:?}")))?;
    let mut shape = vec![b, c, f];
    shape.extend_from_slice(grid.dims());
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("sizes match"))
}

/// `(Ny, Nx)` of a grid in the device layout (`(1, L)` in 1-D).
pub fn plane_dims(grid: &Grid) -> (usize, usize) {
    match grid.dims() {
        [l] => (1, *l),
        [ny, nx] => (*ny, *nx),
        _ => unreachable!("grids have 1 or 2 axes"),
    }
}

fn expected_dims(grid: &Grid) -> String {
    let (ny, nx) = plane_dims(grid);
    format!("[B, C, F, {ny}, {nx}]")
}

/// The per-axis orthonormal real Fourier bases of a grid as device tensors.
#[derive(Debug, Clone)]
pub struct RealFourierBasis {
    grid: Grid,
    ny: usize,
    nx: usize,
    /// `R_y` as `[1, Ny, Ny]` (broadcast over the batch), and its transpose.
    ry: Tensor<3>,
    ry_t: Tensor<3>,
    /// `R_x` (`[Nx, Nx]`) and its transpose.
    rx: Tensor<2>,
    rx_t: Tensor<2>,
    /// For every basis coefficient `(p, q)` (row-major `Ny × Nx`): its half-spectrum bin and
    /// the bin of the mirrored y wavenumber (for the evenness check).
    bins: Vec<(usize, usize)>,
    device: Device,
}

impl RealFourierBasis {
    /// The bases of `grid` on `device`.
    pub fn new(grid: &Grid, device: &Device) -> Self {
        let (ny, nx) = plane_dims(grid);
        let (ry, ky) = real_fourier_basis(ny);
        let (rx, kx) = real_fourier_basis(nx);
        let transpose = |m: &[f32], n: usize| -> Vec<f32> {
            (0..n * n).map(|i| m[(i % n) * n + i / n]).collect()
        };
        let h = nx / 2 + 1;
        let bins = ky
            .iter()
            .flat_map(|&a| kx.iter().map(move |&b| (a * h + b, ((ny - a) % ny) * h + b)))
            .collect();
        let t3 = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, [1, ny, ny]), device);
        let t2 = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [nx, nx]), device);
        Self {
            grid: grid.clone(),
            ny,
            nx,
            ry_t: t3(transpose(&ry, ny)),
            ry: t3(ry),
            rx_t: t2(transpose(&rx, nx)),
            rx: t2(rx),
            bins,
            device: device.clone(),
        }
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The device holding the bases.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// `(Ny, Nx)`.
    pub fn dims(&self) -> (usize, usize) {
        (self.ny, self.nx)
    }

    /// Checks that `x` is a non-empty `[B, C, F, Ny, Nx]` on this grid; returns its dims.
    pub fn check(&self, x: &Tensor<5>, context: &str) -> Result<[usize; 5]> {
        let d = x.dims();
        if d[3] != self.ny || d[4] != self.nx {
            return Err(Error::shape(context, expected_dims(&self.grid), d));
        }
        if d.contains(&0) {
            return Err(Error::shape(context, "a non-empty [B, C, F, Ny, Nx]", d));
        }
        Ok(d)
    }

    /// Coefficients in the real basis: `Z = R_y X R_xᵀ` per field. `x`: `[B, C, F, Ny, Nx]`.
    pub fn forward(&self, x: Tensor<5>) -> Tensor<5> {
        self.transform(x, &self.rx_t, &self.ry)
    }

    /// Back to grid values: `X = R_yᵀ Z R_x` per field. `z`: `[B, C, F, Ny, Nx]`.
    pub fn inverse(&self, z: Tensor<5>) -> Tensor<5> {
        self.transform(z, &self.rx, &self.ry_t)
    }

    fn transform(&self, x: Tensor<5>, right: &Tensor<2>, left: &Tensor<3>) -> Tensor<5> {
        let dims = x.dims();
        let n = dims[0] * dims[1] * dims[2];
        let mut z = x.reshape([n * self.ny, self.nx]).matmul(right.clone());
        if self.ny > 1 {
            z = left
                .clone()
                .matmul(z.reshape([n, self.ny, self.nx]))
                .reshape([n * self.ny, self.nx]);
        }
        z.reshape(dims)
    }

    /// Rearranges a half-spectrum multiplier (`grid.half_len()` values) into the basis layout
    /// (`Ny · Nx` values, row-major). Fails unless it is even in `k_y` (it is even in `k_x` by
    /// construction of the half spectrum).
    pub fn to_basis_layout(&self, half: &[f32]) -> Result<Vec<f32>> {
        if half.len() != self.grid.half_len() {
            return Err(Error::shape(
                "spectral multiplier (half spectrum)",
                self.grid.half_len(),
                half.len(),
            ));
        }
        self.bins
            .iter()
            .map(|&(bin, mirror)| {
                let (a, b) = (half[bin], half[mirror]);
                if (a - b).abs() > EVEN_TOLERANCE * a.abs().max(b.abs()).max(f32::MIN_POSITIVE) {
                    Err(Error::config(
                        "spectral multiplier",
                        format!("not even in k_y (bin {bin}: {a} vs mirrored bin {mirror}: {b})"),
                    ))
                } else {
                    Ok(a)
                }
            })
            .collect()
    }
}

/// "Apply a real, per-axis-even, diagonal Fourier multiplier to a `Tensor<5>`", for a table of
/// multipliers indexed per example (e.g. `Â_t`, `B̂_t`, `P̂_t`) or for a single one (e.g. the
/// ETD1 coefficients).
///
/// `apply(x, t) = F⁻¹{ m_{t_b}(k) F{x_b} }` for every example `b` of `x` `[B, C, F, Ny, Nx]`; it is
/// differentiable (matmuls and products), so it serves the sampler and the trainer alike.
#[derive(Debug, Clone)]
pub struct SpectralOperator {
    basis: RealFourierBasis,
    /// `[n_tables, Ny, Nx]` in the basis layout.
    table: Tensor<3>,
    len: usize,
}

impl SpectralOperator {
    /// An operator with one multiplier per row of `rows` (each a half spectrum).
    pub fn from_rows<'a>(
        basis: &RealFourierBasis,
        rows: impl IntoIterator<Item = &'a [f32]>,
    ) -> Result<Self> {
        let mut data = Vec::new();
        let mut len = 0;
        for row in rows {
            data.extend(basis.to_basis_layout(row)?);
            len += 1;
        }
        if len == 0 {
            return Err(Error::config("spectral operator", "needs at least one multiplier"));
        }
        let (ny, nx) = basis.dims();
        let table = Tensor::from_data(TensorData::new(data, [len, ny, nx]), basis.device());
        Ok(Self { basis: basis.clone(), table, len })
    }

    /// An operator with a single multiplier (half spectrum).
    pub fn single(basis: &RealFourierBasis, multiplier: &[f32]) -> Result<Self> {
        Self::from_rows(basis, [multiplier])
    }

    /// Table `which` of `process`, all `T` indices.
    pub fn from_process(
        basis: &RealFourierBasis,
        process: &ForwardProcess,
        which: Table,
    ) -> Result<Self> {
        Self::from_rows(basis, (0..process.steps()).map(|i| process.table(which, i)))
    }

    /// The bases it uses.
    pub fn basis(&self) -> &RealFourierBasis {
        &self.basis
    }

    /// Number of multipliers in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false (an operator holds at least one multiplier).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The multipliers of examples `t` in the basis layout, `[B, 1, 1, Ny, Nx]` (broadcasts over
    /// channels and frames). Fails for an index beyond the table.
    pub fn multiplier(&self, t: &[usize]) -> Result<Tensor<5>> {
        if let Some(&bad) = t.iter().find(|&&i| i >= self.len) {
            return Err(Error::OutOfRange {
                name: "multiplier index".into(),
                value: bad as f64,
                range: format!("0 ..= {}", self.len - 1),
            });
        }
        let (ny, nx) = self.basis.dims();
        let idx: Vec<i64> = t.iter().map(|&i| i as i64).collect();
        let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [t.len()]), self.basis.device());
        Ok(self.table.clone().select(0, idx).reshape([t.len(), 1, 1, ny, nx]))
    }

    /// The first multiplier as `[1, 1, 1, Ny, Nx]` (for single-multiplier operators).
    pub fn single_multiplier(&self) -> Tensor<5> {
        let (ny, nx) = self.basis.dims();
        self.table.clone().narrow(0, 0, 1).reshape([1, 1, 1, ny, nx])
    }

    /// `F⁻¹{ m_{t_b} F{x_b} }` per example. `x`: `[B, C, F, Ny, Nx]`, `t`: `B` table indices.
    pub fn apply(&self, x: Tensor<5>, t: &[usize]) -> Result<Tensor<5>> {
        let d = self.basis.check(&x, "SpectralOperator::apply")?;
        if t.len() != d[0] {
            return Err(Error::shape(
                "SpectralOperator::apply: one index per example",
                d[0],
                t.len(),
            ));
        }
        let m = self.multiplier(t)?;
        Ok(self.basis.inverse(self.basis.forward(x) * m))
    }

    /// `F⁻¹{ m F{x} }` with the first (or only) multiplier for every example.
    pub fn apply_single(&self, x: Tensor<5>) -> Result<Tensor<5>> {
        self.basis.check(&x, "SpectralOperator::apply_single")?;
        Ok(self.basis.inverse(self.basis.forward(x) * self.single_multiplier()))
    }
}

/// A [`ForwardProcess`] with its tables on a device: q-sampling, coarse-graining and the ETD1
/// reverse step on `Tensor<5>` batches `[B, C, F, Ny, Nx]`.
///
/// Inputs are not scanned for NaN here (that would force a device sync per call); the host
/// functions do check.
#[derive(Debug, Clone)]
pub struct DeviceProcess {
    basis: RealFourierBasis,
    damping: SpectralOperator,
    noise_std: SpectralOperator,
    variance: SpectralOperator,
    precision_sqrt: SpectralOperator,
    pub(crate) etd_astep: SpectralOperator,
    pub(crate) etd_score: SpectralOperator,
    sigma2: Vec<f64>,
    steps: usize,
    forward_noise: bool,
}

impl DeviceProcess {
    /// Uploads the tables of `process` to `device`.
    pub fn new(process: &ForwardProcess, device: &Device) -> Result<Self> {
        let basis = RealFourierBasis::new(process.grid(), device);
        let op = |w| SpectralOperator::from_process(&basis, process, w);
        Ok(Self {
            damping: op(Table::Damping)?,
            noise_std: op(Table::NoiseStd)?,
            variance: op(Table::Variance)?,
            precision_sqrt: op(Table::PrecisionSqrt)?,
            etd_astep: SpectralOperator::single(&basis, process.etd_astep())?,
            etd_score: SpectralOperator::single(&basis, process.etd_score_factor())?,
            sigma2: process.sigma2_table().to_vec(),
            steps: process.steps(),
            forward_noise: process.config().forward_noise,
            basis,
        })
    }

    /// The real Fourier bases.
    pub fn basis(&self) -> &RealFourierBasis {
        &self.basis
    }

    /// The operator of table `which` (indexed by diffusion index).
    pub fn operator(&self, which: Table) -> &SpectralOperator {
        match which {
            Table::Damping => &self.damping,
            Table::Variance => &self.variance,
            Table::NoiseStd => &self.noise_std,
            Table::PrecisionSqrt => &self.precision_sqrt,
        }
    }

    /// T.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// `σ²_{t_b}` per example as a `[B, 1, 1, 1, 1]` tensor (broadcasts over a batch).
    pub fn sigma2(&self, t: &[usize]) -> Result<Tensor<5>> {
        let v = t
            .iter()
            .map(|&i| {
                self.sigma2.get(i).map(|&s| s as f32).ok_or_else(|| Error::OutOfRange {
                    name: "diffusion index".into(),
                    value: i as f64,
                    range: format!("0 ..= {}", self.steps - 1),
                })
            })
            .collect::<Result<Vec<f32>>>()?;
        Ok(Tensor::from_data(TensorData::new(v, [t.len(), 1, 1, 1, 1]), self.basis.device()))
    }

    /// `u_λ = F⁻¹{ Â_t F{x0} + B̂_t F{ε} }` with the given white noise (same shape as `x0`);
    /// `C_λ u₀` alone when the process has `forward_noise = false` (Eq. 68).
    ///
    /// `x0`, `noise`: `[B, C, F, Ny, Nx]`; `t`: `B` diffusion indices.
    pub fn q_sample_given_noise(
        &self,
        x0: Tensor<5>,
        t: &[usize],
        noise: Tensor<5>,
    ) -> Result<Tensor<5>> {
        let d = self.basis.check(&x0, "DeviceProcess::q_sample x0")?;
        if noise.dims() != d {
            return Err(Error::shape(
                "DeviceProcess::q_sample noise (same shape as x0)",
                d,
                noise.dims(),
            ));
        }
        if t.len() != d[0] {
            return Err(Error::shape(
                "DeviceProcess::q_sample: one index per example",
                d[0],
                t.len(),
            ));
        }
        if !self.forward_noise {
            return self.coarse_grain(x0, t);
        }
        let a = self.damping.multiplier(t)?;
        let b = self.noise_std.multiplier(t)?;
        let z = self.basis.forward(x0) * a + self.basis.forward(noise) * b;
        Ok(self.basis.inverse(z))
    }

    /// q-sample with white noise drawn on the device (`Tensor::random`; seed it with
    /// `device.seed(..)`); returns `(u_λ, ε)`. Fastest, but the noise differs from the host's.
    pub fn q_sample(&self, x0: Tensor<5>, t: &[usize]) -> Result<(Tensor<5>, Tensor<5>)> {
        let noise = if self.forward_noise {
            Tensor::random(x0.shape(), Distribution::Normal(0.0, 1.0), &x0.device())
        } else {
            x0.zeros_like()
        };
        Ok((self.q_sample_given_noise(x0, t, noise.clone())?, noise))
    }

    /// q-sample with the host's noise streams ([`white_noise`]`(shape, seed)`, uploaded), so the
    /// result equals [`ForwardProcess::q_sample`] with the same seed; returns `(u_λ, ε)` (ε zero
    /// without forward noise).
    pub fn q_sample_seeded(
        &self,
        x0: Tensor<5>,
        t: &[usize],
        seed: u64,
    ) -> Result<(Tensor<5>, Tensor<5>)> {
        let d = self.basis.check(&x0, "DeviceProcess::q_sample_seeded x0")?;
        let noise = if self.forward_noise {
            let host = white_noise(&d, seed);
            Tensor::from_data(TensorData::new(host.into_raw_vec_and_offset().0, d), &x0.device())
        } else {
            x0.zeros_like()
        };
        Ok((self.q_sample_given_noise(x0, t, noise.clone())?, noise))
    }

    /// The deterministic coarse-graining `C_λ u_0 = F⁻¹{ Â_t F{x0} }`. `x0`: `[B, C, F, Ny, Nx]`.
    pub fn coarse_grain(&self, x0: Tensor<5>, t: &[usize]) -> Result<Tensor<5>> {
        self.damping.apply(x0, t)
    }
}
