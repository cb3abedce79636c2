//! Shape checks for batches of trajectories laid out as `[B, C, F, *grid.dims()]`.

use super::Grid;
use crate::error::{Error, Result, ensure_finite};
use ndarray::{ArrayViewD, CowArray, IxDyn};

/// The leading sizes of a batch `[B, C, F, *grid]` whose trailing axes matched a [`Grid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchShape {
    /// Number of examples `B`.
    pub batch: usize,
    /// Channels `C`.
    pub channels: usize,
    /// Frames (physical time slices) `F`.
    pub frames: usize,
    /// Values per field (`grid.len()`).
    pub field_len: usize,
}

impl BatchShape {
    /// Values per example: `C · F · grid.len()`.
    pub fn per_example(&self) -> usize {
        self.channels * self.frames * self.field_len
    }

    /// Total number of values.
    pub fn len(&self) -> usize {
        self.batch * self.per_example()
    }

    /// Whether the batch holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Grid {
    /// Checks that `shape` is `[B, C, F, *self.dims()]` and returns its leading sizes; the error
    /// names `context` and shows the expected and the given shape.
    pub fn batch_shape(&self, shape: &[usize], context: &str) -> Result<BatchShape> {
        let expected = || {
            let dims: Vec<String> = self.dims().iter().map(|d| d.to_string()).collect();
            format!("[B, C, F, {}]", dims.join(", "))
        };
        if shape.len() != self.ndim() + 3 || shape[3..] != *self.dims() {
            return Err(Error::Shape {
                context: context.to_string(),
                expected: expected(),
                got: format!("{shape:?}"),
            });
        }
        Ok(BatchShape {
            batch: shape[0],
            channels: shape[1],
            frames: shape[2],
            field_len: self.len(),
        })
    }

    /// Checks that `shape` is `[C, F, *self.dims()]` (one trajectory) and returns its leading
    /// sizes with `batch = 1`.
    pub fn trajectory_shape(&self, shape: &[usize], context: &str) -> Result<BatchShape> {
        let mut with_batch = Vec::with_capacity(shape.len() + 1);
        with_batch.push(1);
        with_batch.extend_from_slice(shape);
        self.batch_shape(&with_batch, context).map_err(|_| {
            let dims: Vec<String> = self.dims().iter().map(|d| d.to_string()).collect();
            Error::Shape {
                context: context.to_string(),
                expected: format!("[C, F, {}]", dims.join(", ")),
                got: format!("{shape:?}"),
            }
        })
    }
}

/// A batch `[B, C, F, *grid]` whose shape was checked, in standard (C) layout.
#[derive(Debug)]
pub struct CheckedBatch<'a> {
    /// Its leading sizes.
    pub shape: BatchShape,
    data: CowArray<'a, f32, IxDyn>,
}

impl CheckedBatch<'_> {
    /// The full shape `[B, C, F, *grid]`.
    pub fn shape_vec(&self) -> &[usize] {
        self.data.shape()
    }

    /// All values, row-major: each field is a contiguous chunk of `field_len` values.
    pub fn as_slice(&self) -> &[f32] {
        self.data.as_slice().expect("standard layout")
    }

    /// The values of example `b` (`C · F · field_len` values).
    pub fn example(&self, b: usize) -> &[f32] {
        let per = self.shape.per_example();
        &self.as_slice()[b * per..(b + 1) * per]
    }
}

impl Grid {
    /// Checks that `x` is a finite batch `[B, C, F, *self.dims()]` and returns it in standard
    /// layout (borrowed when it already is). `context` names `x` in errors
    /// ([`Error::Shape`], [`Error::NonFinite`]).
    pub fn checked_batch<'a>(
        &self,
        x: &'a ArrayViewD<'_, f32>,
        context: &str,
    ) -> Result<CheckedBatch<'a>> {
        let shape = self.batch_shape(x.shape(), context)?;
        let data = x.as_standard_layout();
        ensure_finite(data.as_slice().expect("standard layout"), context)?;
        Ok(CheckedBatch { shape, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_shapes_are_checked() {
        let g = Grid::plane(4, 6);
        let s = g.batch_shape(&[2, 1, 3, 4, 6], "x").unwrap();
        assert_eq!((s.batch, s.channels, s.frames, s.field_len), (2, 1, 3, 24));
        assert_eq!(s.per_example(), 72);
        let e = g.batch_shape(&[2, 1, 3, 6, 4], "x0").unwrap_err().to_string();
        assert!(e.contains("x0") && e.contains("[B, C, F, 4, 6]"), "{e}");
        assert!(g.batch_shape(&[1, 3, 4, 6], "x").is_err());
        assert!(Grid::line(8).trajectory_shape(&[2, 5, 8], "u").is_ok());
        let e = Grid::line(8).trajectory_shape(&[2, 5, 9], "u").unwrap_err().to_string();
        assert!(e.contains("[C, F, 8]"), "{e}");
    }

    #[test]
    fn checked_batch_rejects_nan_and_copies_strided_views() {
        let g = Grid::line(4);
        let mut a = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[2, 1, 1, 4]));
        a[[1, 0, 0, 2]] = 5.0;
        let t = a.clone().permuted_axes(ndarray::IxDyn(&[1, 0, 2, 3]));
        let t = t.as_standard_layout().into_owned().permuted_axes(ndarray::IxDyn(&[1, 0, 2, 3]));
        let v = t.view();
        let c = g.checked_batch(&v, "x").unwrap();
        assert_eq!(c.example(1)[2], 5.0);
        a[[0, 0, 0, 1]] = f32::NAN;
        let e = g.checked_batch(&a.view(), "x0").unwrap_err().to_string();
        assert!(e.contains("non-finite") && e.contains("x0"), "{e}");
    }
}
