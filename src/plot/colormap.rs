//! Colour maps and colour scales for heat maps.

use crate::error::{Error, Result};

/// A colour map from `[0, 1]` to RGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Colormap {
    /// Blue – white – red (ColorBrewer RdBu, reversed): for signed fields such as vorticity or
    /// standardised Lorenz-96 states.
    #[default]
    Diverging,
    /// Viridis: for non-negative quantities.
    Viridis,
}

const RDBU_R: [u32; 11] = [
    0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7, 0xfddbc7, 0xf4a582, 0xd6604d,
    0xb2182b, 0x67001f,
];
const VIRIDIS: [u32; 9] =
    [0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c, 0x28ae80, 0x5ec962, 0xaddc30, 0xfde725];

impl Colormap {
    /// The colour at `s ∈ [0, 1]` (clamped), linearly interpolated between anchor colours.
    pub fn rgb(self, s: f64) -> [u8; 3] {
        let anchors: &[u32] = match self {
            Colormap::Diverging => &RDBU_R,
            Colormap::Viridis => &VIRIDIS,
        };
        let s = if s.is_nan() { 0.5 } else { s.clamp(0.0, 1.0) };
        let pos = s * (anchors.len() - 1) as f64;
        let i = (pos.floor() as usize).min(anchors.len() - 2);
        let frac = pos - i as f64;
        let channel = |c: u32, shift: u32| ((c >> shift) & 0xff) as f64;
        let mut out = [0u8; 3];
        for (o, shift) in out.iter_mut().zip([16, 8, 0]) {
            let (a, b) = (channel(anchors[i], shift), channel(anchors[i + 1], shift));
            *o = (a + (b - a) * frac).round() as u8;
        }
        out
    }
}

/// A linear map from data values `[min, max]` to a [`Colormap`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColorScale {
    /// The value shown with the first colour.
    pub min: f64,
    /// The value shown with the last colour.
    pub max: f64,
    /// The colour map.
    pub colormap: Colormap,
}

impl ColorScale {
    /// A scale over `[min, max]`; fails unless both are finite and `min < max`.
    pub fn new(min: f64, max: f64, colormap: Colormap) -> Result<Self> {
        if !(min.is_finite() && max.is_finite() && min < max) {
            return Err(Error::config(
                "colour scale",
                format!("need finite min < max, got [{min}, {max}]"),
            ));
        }
        Ok(Self { min, max, colormap })
    }

    /// A scale covering the finite values of `values`: symmetric about 0 (`[−m, m]`, `m` the
    /// largest |value|) for [`Colormap::Diverging`], `[min, max]` otherwise. A constant field
    /// gets a unit-wide range around its value. Fails if no value is finite.
    pub fn fit<'a>(values: impl IntoIterator<Item = &'a f64>, colormap: Colormap) -> Result<Self> {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in values.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            return Err(Error::config("heat map", "no finite value to draw"));
        }
        let (lo, hi) = match colormap {
            Colormap::Diverging => {
                let m = lo.abs().max(hi.abs());
                (-m, m)
            }
            Colormap::Viridis => (lo, hi),
        };
        if hi - lo > 0.0 {
            Self::new(lo, hi, colormap)
        } else {
            Self::new(lo - 0.5, hi + 0.5, colormap)
        }
    }

    /// The colour of value `v` (values outside the range get the end colours).
    pub fn rgb(&self, v: f64) -> [u8; 3] {
        self.colormap.rgb((v - self.min) / (self.max - self.min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_middle() {
        assert_eq!(Colormap::Diverging.rgb(0.0), [0x05, 0x30, 0x61]);
        assert_eq!(Colormap::Diverging.rgb(0.5), [0xf7, 0xf7, 0xf7]);
        assert_eq!(Colormap::Diverging.rgb(2.0), [0x67, 0x00, 0x1f]);
        assert_eq!(Colormap::Viridis.rgb(1.0), [0xfd, 0xe7, 0x25]);
        let s = ColorScale::fit(&[-1.0, 3.0, f64::NAN], Colormap::Diverging).unwrap();
        assert_eq!((s.min, s.max), (-3.0, 3.0));
        let s = ColorScale::fit(&[2.0, 2.0], Colormap::Viridis).unwrap();
        assert_eq!((s.min, s.max), (1.5, 2.5));
        assert!(ColorScale::fit(&[f64::NAN], Colormap::Viridis).is_err());
        assert!(ColorScale::new(1.0, 1.0, Colormap::Viridis).is_err());
    }
}
