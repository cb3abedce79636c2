//! Nearest-neighbour up-sampling as one burn op on the CPU backend (flex): the forward pass
//! writes each output row once and copies it down, the backward pass sums each `fy × fx` block,
//! both parallel over the `N·C` planes. burn's own route (reshape, two `repeat_dim`, reshape) walks
//! a 6-D strided view element by element and takes several times longer (docs/performance.md).
//! On every other backend it is that route, [`upsample_nearest_reference`].

use super::flex;
use crate::nn::profile::{self, Part};
use burn::prelude::*;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops};
use burn_flex::{Flex, FlexTensor};
use rayon::prelude::*;

/// Nearest-neighbour up-sampling by integer factors `[fy, fx]`:
/// `[N, C, H, W] → [N, C, fy·H, fx·W]`, `y[n, c, i, j] = x[n, c, i / fy, j / fx]`.
///
/// # Panics
/// If a factor is 0.
pub fn upsample_nearest(x: Tensor<4>, factors: [usize; 2]) -> Tensor<4> {
    assert!(factors.iter().all(|&f| f > 0), "upsample_nearest: factors {factors:?} must be ≥ 1");
    if let Some(p) = flex::autodiff(&x) {
        let out = forward_flex(p.primitive(), factors);
        let back = UpsampleBackward { factors, input: flex::dims4(p.primitive()) };
        return flex::from_autodiff(
            back.prepare::<flex::Ckp>([p.node()]).compute_bound().stateless(out),
        );
    }
    if let Some(p) = flex::plain(&x) {
        return flex::from_plain(forward_flex(&p, factors));
    }
    upsample_nearest_reference(x, factors)
}

/// [`upsample_nearest`] through burn's own ops (the route on every backend but flex).
pub fn upsample_nearest_reference(x: Tensor<4>, [fy, fx]: [usize; 2]) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    x.reshape([n, c, h, 1, w, 1]).repeat_dim(3, fy).repeat_dim(5, fx).reshape([
        n,
        c,
        h * fy,
        w * fx,
    ])
}

fn forward_flex(x: &FlexTensor, [fy, fx]: [usize; 2]) -> FlexTensor {
    let [n, c, h, w] = flex::dims4(x);
    let y = flex::with_slices(std::array::from_ref(x), |[x]| forward(x, [h, w], [fy, fx]));
    flex::tensor(y, [n, c, h * fy, w * fx])
}

/// The forward kernel on row-major planes of `[h, w]`.
fn forward(x: &[f32], [h, w]: [usize; 2], [fy, fx]: [usize; 2]) -> Vec<f32> {
    let (row, plane) = (w * fx, h * fy * w * fx);
    let mut y = vec![0.0f32; x.len() * fy * fx];
    y.par_chunks_mut(plane).zip(x.par_chunks(h * w)).for_each(|(y, x)| {
        for (block, xr) in y.chunks_mut(fy * row).zip(x.chunks(w)) {
            let (first, rest) = block.split_at_mut(row);
            for (out, &v) in first.chunks_mut(fx).zip(xr) {
                out.fill(v);
            }
            rest.chunks_mut(row).for_each(|r| r.copy_from_slice(first));
        }
    });
    y
}

/// The backward kernel: each input element's gradient is the sum of its `fy × fx` block.
fn backward(dy: &[f32], [h, w]: [usize; 2], [fy, fx]: [usize; 2]) -> Vec<f32> {
    let (row, plane) = (w * fx, h * fy * w * fx);
    let mut dx = vec![0.0f32; dy.len() / (fy * fx)];
    dx.par_chunks_mut(h * w).zip(dy.par_chunks(plane)).for_each(|(dx, dy)| {
        for (dxr, block) in dx.chunks_mut(w).zip(dy.chunks(fy * row)) {
            for r in block.chunks(row) {
                for (d, cell) in dxr.iter_mut().zip(r.chunks(fx)) {
                    *d += cell.iter().sum::<f32>();
                }
            }
        }
    });
    dx
}

#[derive(Debug)]
struct UpsampleBackward {
    factors: [usize; 2],
    input: [usize; 4],
}

impl Backward<Flex, 1> for UpsampleBackward {
    type State = ();

    fn backward(self, ops: Ops<(), 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [Some(node)] = ops.parents else { return };
        let dy = grads.consume::<Flex>(&ops.node);
        let [.., h, w] = self.input;
        let dx = profile::backward(Part::Resample, || {
            flex::with_slices(&[dy], |[dy]| backward(dy, [h, w], self.factors))
        });
        grads.register::<Flex>(node.id, flex::tensor(dx, self.input));
    }
}
