//! Two-scale Lorenz-96 (paper Eq. 59–60, docs/reference.md §6.1).
//!
//! `K` slow variables `X_k`, `J` fast variables per slow one, `N = K·J` grid points, grid index
//! `n = k·J + j`:
//!
//! ```text
//! dX_k/dt = −X_{k−1}(X_{k−2} − X_{k+1}) − X_k + F − (hc/b) Σ_j Y_{kJ+j}          (k mod K)
//! dY_n/dt = −cb Y_{n+1}(Y_{n+2} − Y_{n−1}) − c Y_n + (hc/b) X_n                    (n mod N)
//! ```
//!
//! The Y variables form one ring of `N` points (`Y_{J,k}` neighbours `Y_{1,k+1}`). Integration is
//! in f64; frames are stored as f32 in two channels: channel 0 = X (the value of block `k`
//! repeated over its `J` points), channel 1 = Y.
//!
//! **Initialisation** ([`L96Init`]): the paper's equations have one `X_k` per block
//! ([`L96Init::Block`], the default: `X_k, Y_n ~ U[0,1)`). The reference code draws X per grid
//! point and updates all `J` points of a block with the block-mean tendency, so the
//! within-block offsets `X_n(0) − X̄_k(0)` stay frozen for ever and the Y equation sees
//! `X_n = X̄_k + offset_n` ([`L96Init::PerPoint`] reproduces this, docs/reference.md §6.1, §11.12).
//! Internally the state is `[X̄ (K) | Y (N)]` plus the frozen offsets (zero for `Block`), which
//! is exactly equivalent to the reference's per-point X.

use super::{SystemKind, check_out_len, finite, positive};
use crate::error::{Error, Result};
use crate::rng::ChaCha8Rng;
use crate::spectral::Grid;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Time integrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Integrator {
    /// Forward Euler (the reference).
    #[default]
    Euler,
    /// Classical fourth-order Runge–Kutta.
    Rk4,
}

/// How the initial X is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum L96Init {
    /// One `X_k ~ U[0,1)` per block (the paper's equations).
    #[default]
    Block,
    /// `X_n ~ U[0,1)` per grid point with frozen within-block offsets (the reference code).
    PerPoint,
}

/// Lorenz-96 parameters (`[data.lorenz96]`). Defaults are the reference's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lorenz96Config {
    /// Number of slow variables `K`.
    pub k: usize,
    /// Fast variables per slow variable `J`.
    pub j: usize,
    /// Forcing `F`.
    pub forcing: f64,
    /// Coupling `h`.
    pub h: f64,
    /// Amplitude ratio `b`.
    pub b: f64,
    /// Time-scale ratio `c`.
    pub c: f64,
    /// Time step.
    pub dt: f64,
    /// Steps before the first stored frame.
    pub spinup_steps: usize,
    /// Stored frames per trajectory.
    pub frames: usize,
    /// Steps between stored frames.
    pub steps_per_frame: usize,
    /// Time integrator.
    pub integrator: Integrator,
    /// Initialisation of X.
    pub init: L96Init,
}

impl Default for Lorenz96Config {
    fn default() -> Self {
        Self {
            k: 32,
            j: 4,
            forcing: 10.0,
            h: 1.0,
            b: 10.0,
            c: 10.0,
            dt: 5e-4,
            spinup_steps: 60_000,
            frames: 64,
            steps_per_frame: 100,
            integrator: Integrator::Euler,
            init: L96Init::Block,
        }
    }
}

impl crate::validate::Ranges for Lorenz96Config {
    const SECTION: &'static str = "data.lorenz96";
    const RULES: &'static [crate::validate::Rule] = Self::RANGES;
}

impl Lorenz96Config {
    /// The range table of `[data.lorenz96]` (docs/validation.md).
    pub const RANGES: &'static [crate::validate::Rule] = {
        use crate::validate::Rule;
        const BIG: f64 = 1e6;
        &[
            Rule::range("k", 4.0, BIG),
            Rule::range("j", 1.0, BIG),
            Rule::range("forcing", -BIG, BIG),
            Rule::range("h", -BIG, BIG),
            Rule::range("b", 0.0, BIG).open_below(),
            Rule::range("c", -BIG, BIG),
            Rule::range("dt", 0.0, 1.0).open_below(),
            Rule::at_least("spinup_steps", 0.0),
            Rule::range("frames", 1.0, BIG),
            Rule::at_least("steps_per_frame", 1.0),
        ]
    };

    /// Checks every field ([`crate::validate`]); errors name it (`data.lorenz96.…`).
    pub fn validate(&self) -> Result<()> {
        crate::validate::check(self)?;
        let f = |n: &str| format!("data.lorenz96.{n}");
        if self.k < 4 {
            return Err(Error::config(
                f("k"),
                format!("need at least 4 slow variables, got {}", self.k),
            ));
        }
        if self.j == 0 {
            return Err(Error::config(f("j"), "must be at least 1"));
        }
        positive(&f("dt"), self.dt)?;
        positive(&f("b"), self.b)?;
        finite(&f("c"), self.c)?;
        finite(&f("h"), self.h)?;
        finite(&f("forcing"), self.forcing)?;
        if self.frames == 0 {
            return Err(Error::config(f("frames"), "must be at least 1"));
        }
        if self.steps_per_frame == 0 {
            return Err(Error::config(f("steps_per_frame"), "must be at least 1"));
        }
        Ok(())
    }
}

/// A Lorenz-96 system ready to integrate.
#[derive(Debug, Clone)]
pub struct Lorenz96 {
    cfg: Lorenz96Config,
    coupling: f64,
}

/// Work buffers for [`Lorenz96::step`] (one per thread).
#[derive(Debug, Clone)]
pub struct L96Work {
    k1: Vec<f64>,
    k2: Vec<f64>,
    k3: Vec<f64>,
    k4: Vec<f64>,
    tmp: Vec<f64>,
    xpad: Vec<f64>,
    ypad: Vec<f64>,
    xn: Vec<f64>,
}

impl Lorenz96 {
    /// Validates `cfg` and builds the system.
    pub fn new(cfg: Lorenz96Config) -> Result<Self> {
        cfg.validate()?;
        let coupling = cfg.h * cfg.c / cfg.b;
        Ok(Self { cfg, coupling })
    }

    /// The parameters.
    pub fn config(&self) -> &Lorenz96Config {
        &self.cfg
    }

    /// Grid points `N = K·J`.
    pub fn n(&self) -> usize {
        self.cfg.k * self.cfg.j
    }

    /// State length `K + N` (`[X̄ (K) | Y (N)]`).
    pub fn state_len(&self) -> usize {
        self.cfg.k + self.n()
    }

    /// Fresh work buffers.
    pub fn make_work(&self) -> L96Work {
        let s = self.state_len();
        let (k, n) = (self.cfg.k, self.n());
        L96Work {
            k1: vec![0.0; s],
            k2: vec![0.0; s],
            k3: vec![0.0; s],
            k4: vec![0.0; s],
            tmp: vec![0.0; s],
            xpad: vec![0.0; k + 3],
            ypad: vec![0.0; n + 3],
            xn: vec![0.0; n],
        }
    }

    /// Draws an initial state `[X̄ (K) | Y (N)]` and the frozen X offsets (`N` values, zero for
    /// [`L96Init::Block`]) from `rng`: X first (K or N uniforms), then Y (N uniforms).
    pub fn initial_state(&self, rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<f64>) {
        let (k, j, n) = (self.cfg.k, self.cfg.j, self.n());
        let mut state = vec![0.0; k + n];
        let mut offsets = vec![0.0; n];
        match self.cfg.init {
            L96Init::Block => state[..k].iter_mut().for_each(|x| *x = rng.random::<f64>()),
            L96Init::PerPoint => {
                let xs: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
                for (b, block) in xs.chunks_exact(j).enumerate() {
                    let mean = block.iter().sum::<f64>() / j as f64;
                    state[b] = mean;
                    for (o, x) in offsets[b * j..(b + 1) * j].iter_mut().zip(block) {
                        *o = x - mean;
                    }
                }
            }
        }
        state[k..].iter_mut().for_each(|y| *y = rng.random::<f64>());
        (state, offsets)
    }

    /// The tendency `d = dstate/dt` of `state = [X̄ (K) | Y (N)]` with frozen X offsets
    /// `offsets` (`N` values). `work` supplies the padded-Y and per-point-X buffers.
    ///
    /// # Panics
    /// If the slice lengths are not `K + N`, `N`, `K + N`.
    pub fn tendency(&self, state: &[f64], offsets: &[f64], d: &mut [f64], work: &mut L96Work) {
        let c = &self.cfg;
        let (k, j, n) = (c.k, c.j, self.n());
        assert_eq!(state.len(), k + n);
        assert_eq!(offsets.len(), n);
        assert_eq!(d.len(), k + n);
        let (x, y) = state.split_at(k);
        let (dx, dy) = d.split_at_mut(k);
        // Slow variables, through a padded copy [X_{K−2}, X_{K−1}, X_0 … X_{K−1}, X_0] so the
        // loop has no modulo.
        let xp = &mut work.xpad;
        xp[0] = x[k - 2];
        xp[1] = x[k - 1];
        xp[2..k + 2].copy_from_slice(x);
        xp[k + 2] = x[0];
        let iter = dx
            .iter_mut()
            .zip(y.chunks_exact(j))
            .zip(&xp[0..k])
            .zip(&xp[1..k + 1])
            .zip(&xp[2..k + 2])
            .zip(&xp[3..k + 3]);
        for (((((d, ys), xm2), xm1), x0), xp1) in iter {
            let ysum: f64 = ys.iter().sum();
            *d = -xm1 * (xm2 - xp1) - x0 + c.forcing - self.coupling * ysum;
        }
        // Fast variables on one ring, through a padded copy so the loop has no modulo.
        let yp = &mut work.ypad;
        yp[0] = y[n - 1];
        yp[1..=n].copy_from_slice(y);
        yp[n + 1] = y[0];
        yp[n + 2] = y[1 % n];
        for (kk, xs) in work.xn.chunks_exact_mut(j).enumerate() {
            xs.fill(x[kk]);
        }
        let cb = c.c * c.b;
        let iter = dy
            .iter_mut()
            .zip(&yp[0..n])
            .zip(&yp[1..n + 1])
            .zip(&yp[2..n + 2])
            .zip(&yp[3..n + 3])
            .zip(work.xn.iter().zip(offsets));
        for (((((d, ym1), y0), yp1), yp2), (xb, off)) in iter {
            *d = -cb * yp1 * (yp2 - ym1) - c.c * y0 + self.coupling * (xb + off);
        }
    }

    /// Advances `state` by one step of the configured integrator; returns `false` if the new
    /// state is not finite.
    pub fn step(&self, state: &mut [f64], offsets: &[f64], w: &mut L96Work) -> bool {
        let dt = self.cfg.dt;
        let mut k1 = std::mem::take(&mut w.k1);
        let ok = match self.cfg.integrator {
            Integrator::Euler => {
                self.tendency(state, offsets, &mut k1, w);
                axpy_check(state, dt, &k1)
            }
            Integrator::Rk4 => {
                let (mut k2, mut k3, mut k4, mut tmp) = (
                    std::mem::take(&mut w.k2),
                    std::mem::take(&mut w.k3),
                    std::mem::take(&mut w.k4),
                    std::mem::take(&mut w.tmp),
                );
                self.tendency(state, offsets, &mut k1, w);
                lincomb(&mut tmp, state, 0.5 * dt, &k1);
                self.tendency(&tmp, offsets, &mut k2, w);
                lincomb(&mut tmp, state, 0.5 * dt, &k2);
                self.tendency(&tmp, offsets, &mut k3, w);
                lincomb(&mut tmp, state, dt, &k3);
                self.tendency(&tmp, offsets, &mut k4, w);
                for (((k1, k2), k3), k4) in k1.iter_mut().zip(&k2).zip(&k3).zip(&k4) {
                    *k1 = (*k1 + 2.0 * (k2 + k3) + k4) / 6.0;
                }
                (w.k2, w.k3, w.k4, w.tmp) = (k2, k3, k4, tmp);
                axpy_check(state, dt, &k1)
            }
        };
        w.k1 = k1;
        ok
    }

    /// Writes the state as the two stored channels of frame `frame` of `out` (`[2, F, N]`).
    fn store_frame(&self, state: &[f64], offsets: &[f64], frame: usize, out: &mut [f32]) {
        let (k, j, n, f) = (self.cfg.k, self.cfg.j, self.n(), self.cfg.frames);
        let xo = &mut out[frame * n..(frame + 1) * n];
        for (i, v) in xo.iter_mut().enumerate() {
            *v = (state[i / j] + offsets[i]) as f32;
        }
        let yo = &mut out[(f + frame) * n..(f + frame + 1) * n];
        for (v, y) in yo.iter_mut().zip(&state[k..]) {
            *v = *y as f32;
        }
    }
}

/// `y += a·x`; returns whether every new value is finite.
fn axpy_check(y: &mut [f64], a: f64, x: &[f64]) -> bool {
    let mut acc = 0.0;
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
        acc += *y * 0.0;
    }
    acc == 0.0
}

/// `out = y + a·x`.
fn lincomb(out: &mut [f64], y: &[f64], a: f64, x: &[f64]) {
    for ((o, y), x) in out.iter_mut().zip(y).zip(x) {
        *o = y + a * x;
    }
}

impl super::Simulator for Lorenz96 {
    fn kind(&self) -> SystemKind {
        SystemKind::Lorenz96
    }
    fn channels(&self) -> Vec<String> {
        vec!["X".into(), "Y".into()]
    }
    fn frames(&self) -> usize {
        self.cfg.frames
    }
    fn output_grid(&self) -> Grid {
        Grid::line(self.n())
    }
    fn frame_dt(&self) -> f64 {
        self.cfg.dt * self.cfg.steps_per_frame as f64
    }

    /// Frame `m` is the state after `spinup_steps + m·steps_per_frame` steps.
    fn simulate(&self, index: usize, rng: &mut ChaCha8Rng, out: &mut [f32]) -> Result<()> {
        check_out_len("Lorenz96::simulate output", 2 * self.cfg.frames * self.n(), out)?;
        let (mut state, offsets) = self.initial_state(rng);
        let mut w = self.make_work();
        let mut steps = 0usize;
        let mut advance = |state: &mut [f64], count: usize| -> Result<()> {
            for _ in 0..count {
                steps += 1;
                if !self.step(state, &offsets, &mut w) {
                    return Err(Error::BlowUp {
                        trajectory: index,
                        time: steps as f64 * self.cfg.dt,
                        reason: "non-finite Lorenz-96 state (reduce dt?)".into(),
                    });
                }
            }
            Ok(())
        };
        advance(&mut state, self.cfg.spinup_steps)?;
        for m in 0..self.cfg.frames {
            if m > 0 {
                advance(&mut state, self.cfg.steps_per_frame)?;
            }
            self.store_frame(&state, &offsets, m, out);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::systems::Simulator;

    fn small(k: usize, j: usize) -> Lorenz96 {
        Lorenz96::new(Lorenz96Config { k, j, ..Default::default() }).unwrap()
    }

    #[test]
    fn tendency_matches_hand_computation() {
        // K = 4, J = 2, F = b = c = 10, h = 1 → hc/b = 1, cb = 100.
        let sys = small(4, 2);
        let x = [1.0, 2.0, -1.0, 0.5];
        let y = [0.1, -0.2, 0.3, 0.0, 0.2, -0.1, 0.4, 0.05];
        let off = [0.0, 0.0, 0.25, -0.25, 0.0, 0.0, 0.0, 0.0];
        let state: Vec<f64> = x.iter().chain(&y).copied().collect();
        let mut d = vec![0.0; 12];
        let mut w = sys.make_work();
        sys.tendency(&state, &off, &mut d, &mut w);
        // dX_0 = −X_3 (X_2 − X_1) − X_0 + F − (Y_0 + Y_1) = −0.5(−3) − 1 + 10 − (−0.1) = 10.6
        assert!((d[0] - 10.6).abs() < 1e-12, "{}", d[0]);
        // dX_2 = −X_1 (X_0 − X_3) − X_2 + F − (Y_4 + Y_5) = −2(0.5) + 1 + 10 − 0.1 = 9.9
        assert!((d[2] - 9.9).abs() < 1e-12, "{}", d[2]);
        // dY_0 = −100 Y_1 (Y_2 − Y_7) − 10 Y_0 + X_0 = −100(−0.2)(0.25) − 1 + 1 = 5
        assert!((d[4] - 5.0).abs() < 1e-12, "{}", d[4]);
        // dY_3 = −100 Y_4 (Y_5 − Y_2) − 10 Y_3 + (X_1 − 0.25) = −100(0.2)(−0.4) − 0 + 1.75 = 9.75
        assert!((d[4 + 3] - 9.75).abs() < 1e-12, "{}", d[4 + 3]);
        // dY_7 = −100 Y_0 (Y_1 − Y_6) − 10 Y_7 + X_3 = −100(0.1)(−0.6) − 0.5 + 0.5 = 6
        assert!((d[4 + 7] - 6.0).abs() < 1e-12, "{}", d[4 + 7]);
    }

    /// Error at time T after integrating a short run with step dt, against a fine RK4 solution.
    fn error_at(integrator: Integrator, dt: f64, reference: &[f64], x0: &[f64], t: f64) -> f64 {
        let sys =
            Lorenz96::new(Lorenz96Config { k: 8, j: 4, dt, integrator, ..Default::default() })
                .unwrap();
        let off = vec![0.0; sys.n()];
        let mut s = x0.to_vec();
        let mut w = sys.make_work();
        for _ in 0..(t / dt).round() as usize {
            assert!(sys.step(&mut s, &off, &mut w));
        }
        s.iter().zip(reference).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt()
    }

    #[test]
    fn euler_is_first_order_and_rk4_fourth_order() {
        let sys = small(8, 4);
        let (x0, _) = sys.initial_state(&mut crate::rng::stream(3, 0));
        let t = 0.1;
        let fine = Lorenz96::new(Lorenz96Config {
            k: 8,
            j: 4,
            dt: 1e-5,
            integrator: Integrator::Rk4,
            ..Default::default()
        })
        .unwrap();
        let off = vec![0.0; fine.n()];
        let mut reference = x0.clone();
        let mut w = fine.make_work();
        for _ in 0..10_000 {
            fine.step(&mut reference, &off, &mut w);
        }
        let e1 = error_at(Integrator::Euler, 1e-4, &reference, &x0, t);
        let e2 = error_at(Integrator::Euler, 5e-5, &reference, &x0, t);
        let order_euler = (e1 / e2).log2();
        assert!((order_euler - 1.0).abs() < 0.1, "Euler order {order_euler}");
        let r1 = error_at(Integrator::Rk4, 1e-3, &reference, &x0, t);
        let r2 = error_at(Integrator::Rk4, 5e-4, &reference, &x0, t);
        let order_rk4 = (r1 / r2).log2();
        assert!((order_rk4 - 4.0).abs() < 0.3, "RK4 order {order_rk4} ({r1:e}, {r2:e})");
    }

    #[test]
    fn per_point_offsets_are_frozen_and_block_x_is_constant() {
        for init in [L96Init::Block, L96Init::PerPoint] {
            let sys = Lorenz96::new(Lorenz96Config {
                k: 8,
                j: 4,
                spinup_steps: 10,
                frames: 3,
                steps_per_frame: 50,
                init,
                ..Default::default()
            })
            .unwrap();
            let mut out = vec![0f32; sys.trajectory_len()];
            sys.simulate(0, &mut crate::rng::stream(1, 0), &mut out).unwrap();
            let n = 32;
            let (_, offsets) = sys.initial_state(&mut crate::rng::stream(1, 0));
            for f in 0..3 {
                for k in 0..8 {
                    let block = &out[f * n + 4 * k..f * n + 4 * k + 4];
                    let mean = block.iter().map(|&v| v as f64).sum::<f64>() / 4.0;
                    for (jj, v) in block.iter().enumerate() {
                        let expect = offsets[4 * k + jj];
                        assert!((*v as f64 - mean - expect).abs() < 1e-5);
                    }
                }
            }
            let nonzero = offsets.iter().any(|o| *o != 0.0);
            assert_eq!(nonzero, init == L96Init::PerPoint);
        }
    }

    #[test]
    fn bad_fields_are_named() {
        for (cfg, field) in [
            (Lorenz96Config { j: 0, ..Default::default() }, "data.lorenz96.j"),
            (Lorenz96Config { dt: -1.0, ..Default::default() }, "data.lorenz96.dt"),
            (Lorenz96Config { k: 2, ..Default::default() }, "data.lorenz96.k"),
            (Lorenz96Config { frames: 0, ..Default::default() }, "data.lorenz96.frames"),
        ] {
            let e = Lorenz96::new(cfg).unwrap_err().to_string();
            assert!(e.contains(field), "{e}");
        }
    }

    #[test]
    fn blow_up_names_trajectory_and_time() {
        let sys = Lorenz96::new(Lorenz96Config {
            dt: 0.5,
            spinup_steps: 1000,
            frames: 1,
            ..Default::default()
        })
        .unwrap();
        let mut out = vec![0f32; sys.trajectory_len()];
        let e = sys.simulate(17, &mut crate::rng::stream(0, 17), &mut out).unwrap_err();
        match e {
            Error::BlowUp { trajectory, time, .. } => {
                assert_eq!(trajectory, 17);
                assert!(time > 0.0 && time <= 500.0);
            }
            other => panic!("unexpected {other}"),
        }
    }
}
