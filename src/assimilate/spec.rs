//! The command-line spelling of an observation operator: `--obs points=4,frames=4,sigma=0.1`.
//!
//! Keys (comma-separated `key=value`):
//! * `points=S` — every `S`-th grid point (1-D) or the `S × S` sub-grid (2-D), or
//!   `mask=FILE.h5` — the points of a mask file (`/mask` uint8 `[C, F, *grid]`, see
//!   [`Observations`](super::Observations)); exactly one of the two;
//! * `frames=M` (default 1) and `offset=O` (default 0) — keep frames `f ≡ O (mod M)`;
//! * `coarse=Λ` — observe `C_Λ u` instead of `u`;
//! * `sigma=σ` — σ_y in standard deviations of the data (required unless the mask file has
//!   `noise_std`).

use super::observations::read_mask_file;
use super::operator::{ObservationOperator, Observer};
use crate::diffusion::ForwardProcess;
use crate::error::{Error, Result};
use std::path::PathBuf;

/// A parsed `--obs` value (see the module docs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObsSpec {
    /// `points=S`.
    pub points: Option<usize>,
    /// `mask=FILE`.
    pub mask: Option<PathBuf>,
    /// `frames=M` (1: every frame).
    pub frames: usize,
    /// `offset=O`.
    pub offset: usize,
    /// `coarse=Λ`.
    pub coarse: Option<f64>,
    /// `sigma=σ`.
    pub sigma: Option<f64>,
}

fn number<T: std::str::FromStr>(key: &str, v: &str) -> Result<T> {
    v.parse().map_err(|_| Error::config(format!("obs.{key}"), format!("not a number: {v:?}")))
}

impl std::str::FromStr for ObsSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let mut out = Self { frames: 1, ..Self::default() };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| Error::config("obs", format!("expected key=value, got {part:?}")))?;
            match k.trim() {
                "points" => out.points = Some(number(k, v)?),
                "mask" => out.mask = Some(PathBuf::from(v)),
                "frames" => out.frames = number(k, v)?,
                "offset" => out.offset = number(k, v)?,
                "coarse" => out.coarse = Some(number(k, v)?),
                "sigma" => out.sigma = Some(number(k, v)?),
                other => {
                    return Err(Error::config(
                        "obs",
                        format!(
                            "unknown key {other:?} (points, mask, frames, offset, coarse, sigma)"
                        ),
                    ));
                }
            }
        }
        if out.points.is_some() == out.mask.is_some() {
            return Err(Error::config("obs", "needs exactly one of points=S and mask=FILE"));
        }
        Ok(out)
    }
}

impl ObsSpec {
    /// The operator on paths `[C, F, *grid]` of `process`'s grid.
    pub fn build(&self, process: &ForwardProcess, dims: [usize; 2]) -> Result<Observer> {
        let mut op = match (&self.points, &self.mask) {
            (Some(s), _) => Observer::subgrid(process.grid().clone(), dims, *s)?,
            (None, Some(file)) => {
                let op = read_mask_file(file, process)?;
                if op.path_dims() != dims {
                    return Err(Error::shape("mask file [C, F]", dims, op.path_dims()));
                }
                op
            }
            (None, None) => unreachable!("checked by the parser"),
        };
        op = op.every_frame(self.frames, self.offset)?;
        if let Some(l) = self.coarse {
            op = op.coarse_grained(process, l)?;
        }
        match (self.sigma, &self.mask) {
            (Some(s), _) => op.with_noise(s),
            (None, Some(_)) if op.has_noise() => Ok(op),
            _ => Err(Error::config(
                "obs.sigma",
                "σ_y is required (sigma=0.1: 0.1 standard deviations)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::Grid;

    #[test]
    fn parses_builds_and_refuses() {
        let p = ForwardProcess::builder().grid(Grid::line(32)).alpha(0.1).build().unwrap();
        let s: ObsSpec = "points=4, frames=4, sigma=0.1".parse().unwrap();
        let h = s.build(&p, [2, 8]).unwrap();
        assert_eq!((h.count(), h.noise_std()), (2 * 2 * 8, 0.1));
        for bad in ["points=4,mask=a.h5,sigma=1", "sigma=1", "points=x", "point=4", "points"] {
            assert!(bad.parse::<ObsSpec>().is_err(), "{bad}");
        }
        let e = "points=4".parse::<ObsSpec>().unwrap().build(&p, [1, 4]).unwrap_err();
        assert!(e.to_string().contains("sigma"), "{e}");
        let e = "points=4,sigma=-1".parse::<ObsSpec>().unwrap().build(&p, [1, 4]).unwrap_err();
        assert!(e.to_string().contains("σ_y"), "{e}");
        let e = "points=4,frames=8,offset=5,sigma=1".parse::<ObsSpec>().unwrap().build(&p, [1, 4]);
        assert!(e.unwrap_err().to_string().contains("observes nothing"));
    }
}
