//! The causal sliding-window predictor (docs/reference.md §8.1).

use super::backbone::Backbone;
use super::linear_gaussian::{LinearGaussian, host_indices};
use crate::error::{Error, Result};
use crate::nn::Heads;
use crate::nn::profile::{self, Part};
use burn::prelude::*;
use std::sync::Arc;

/// Outputs of a predictor over whole trajectories, each `[B, C, F, Ny, Nx]`: output frame `f`
/// depends only on input frames `f − w + 1 … f`.
#[derive(Debug, Clone)]
pub struct PathPrediction {
    /// Predicted one-frame increment `x_{f+1} − x_f` (standardised units) for every frame.
    pub drift: Tensor<5>,
    /// Predicted forward-process noise (SA-PDD two-head networks).
    pub noise: Option<Tensor<5>>,
}

/// A predictor `f_θ^λ`: a window of past slices and the diffusion index → the increment of the
/// current slice (and optionally a noise estimate).
pub trait Predictor {
    /// Number of slices the predictor sees (current + past).
    fn window(&self) -> usize;
    /// Channels per slice.
    fn channels(&self) -> usize;
    /// Applies the predictor causally to every frame of `x` `[B, C, F, Ny, Nx]` at diffusion
    /// indices `t` `[B]` (floats); the first `w − 1` frames see zero padding (the climatological
    /// mean of standardised data), as the reference.
    fn forward(&self, x: Tensor<5>, t: Tensor<1>) -> PathPrediction;
    /// Predicts only the last frame of `window` `[B, C, w, Ny, Nx]` → `[B, C, Ny, Nx]` (one
    /// network call per example; used by simulation).
    fn step(&self, window: Tensor<5>, t: Tensor<1>) -> Heads;
}

/// A boxed predictor is one: `Box<dyn Predictor>` is how an [`Evaluator`](crate::eval::Evaluator)
/// holds any predictor after building its score.
impl<P: Predictor + ?Sized> Predictor for Box<P> {
    fn window(&self) -> usize {
        (**self).window()
    }
    fn channels(&self) -> usize {
        (**self).channels()
    }
    fn forward(&self, x: Tensor<5>, t: Tensor<1>) -> PathPrediction {
        (**self).forward(x, t)
    }
    fn step(&self, window: Tensor<5>, t: Tensor<1>) -> Heads {
        (**self).step(window, t)
    }
}

/// Sliding-window wrapper: stacks the `w` most recent slices on channels (index `c·w + k`) and
/// runs the backbone on every frame as an independent example.
#[derive(Module, Debug)]
pub struct SlidingWindow<M: Backbone> {
    /// The spatial network.
    pub backbone: M,
    /// Window size `w` (5 in the paper; 1 and 15 in its ablations).
    pub window: usize,
    /// Channels per slice `C`.
    pub channels: usize,
    /// The Gaussian-optimal skip (`[model] skip = "gaussian"`): when set, the drift is the
    /// linear-Gaussian predictor's plus the backbone's, and the noise head's output is added to
    /// the linear estimate of the noise (docs/method.md, "The Gaussian skip"). Not part of the
    /// record: it is rebuilt from the data's statistics.
    #[module(skip)]
    pub skip: Option<Arc<LinearGaussian>>,
}

/// Builder for [`SlidingWindow`]: `PredictorBuilder::new().window(5).channels(2).build(net)`.
#[derive(Debug, Clone)]
pub struct PredictorBuilder {
    window: usize,
    channels: Option<usize>,
    skip: Option<Arc<LinearGaussian>>,
}

impl<M: Backbone> SlidingWindow<M> {
    /// [`Predictor::forward`]: stack the windows, run the backbone, unfold, add the skip.
    fn forward_window(&self, x: Tensor<5>, t: Tensor<1>) -> PathPrediction {
        let skip = self.skip_heads(&x, &t);
        let (folded, tt, dims) = self.stack(x, t);
        // any backbone's time leaves the window's (profile scopes nest exclusively)
        let heads = profile::forward(Part::NetworkOther, || self.backbone.forward(folded, tt));
        let out = PathPrediction {
            drift: Self::unfold(heads.drift, dims),
            noise: heads.noise.map(|n| Self::unfold(n, dims)),
        };
        match skip {
            None => out,
            Some((d, n)) => {
                PathPrediction { drift: out.drift + d, noise: out.noise.map(|v| v + n) }
            }
        }
    }

    fn stack(&self, x: Tensor<5>, t: Tensor<1>) -> (Tensor<4>, Tensor<1>, [usize; 5]) {
        let dims = x.dims();
        let [b, c, f, ny, nx] = dims;
        let w = self.window;
        let padded = if w > 1 {
            let pad = Tensor::<5>::zeros([b, c, w - 1, ny, nx], &x.device());
            Tensor::cat(vec![pad, x], 2)
        } else {
            x
        };
        // [B, C, w, F, Ny, Nx]: slot k holds frames f − w + 1 + k
        let slots: Vec<Tensor<5>> = (0..w).map(|k| padded.clone().narrow(2, k, f)).collect();
        let stacked: Tensor<6> = Tensor::stack(slots, 2);
        let folded = stacked.permute([0, 3, 1, 2, 4, 5]).reshape([b * f, c * w, ny, nx]);
        let tt = t.reshape([b, 1]).repeat_dim(1, f).reshape([b * f]);
        (folded, tt, dims)
    }

    /// The skip's drift and noise estimate on every frame of `x`, if the predictor has one.
    fn skip_heads(&self, x: &Tensor<5>, t: &Tensor<1>) -> Option<(Tensor<5>, Tensor<5>)> {
        let skip = self.skip.as_ref()?;
        let out = skip.apply(x.clone(), &host_indices(t.clone()));
        Some(out.expect("the Gaussian skip matches the predictor's window, channels and indices"))
    }

    fn unfold(y: Tensor<4>, [b, c, f, ny, nx]: [usize; 5]) -> Tensor<5> {
        y.reshape([b, f, c, ny, nx]).swap_dims(1, 2)
    }
}

impl Default for PredictorBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PredictorBuilder {
    /// Starts a builder (window 5 by default; channels required).
    pub fn new() -> Self {
        Self { window: 5, channels: None, skip: None }
    }

    /// Adds the Gaussian skip (its window and channels must match).
    pub fn skip(mut self, skip: Option<Arc<LinearGaussian>>) -> Self {
        self.skip = skip;
        self
    }

    /// Window size (≥ 1).
    pub fn window(mut self, w: usize) -> Self {
        self.window = w;
        self
    }

    /// Channels per slice (≥ 1).
    pub fn channels(mut self, c: usize) -> Self {
        self.channels = Some(c);
        self
    }

    /// Wraps `backbone`; fails if the window or the channel count is zero or missing.
    pub fn build<M: Backbone>(self, backbone: M) -> Result<SlidingWindow<M>> {
        if self.window == 0 {
            return Err(Error::config("predictor.window", "must be ≥ 1"));
        }
        let channels =
            self.channels.ok_or_else(|| Error::config("predictor.channels", "is required"))?;
        if channels == 0 {
            return Err(Error::config("predictor.channels", "must be ≥ 1"));
        }
        if let Some(s) = &self.skip
            && (s.window() != self.window || s.channels() != channels)
        {
            return Err(Error::config(
                "model.skip",
                format!(
                    "the linear-Gaussian skip has window {} and {} channels, the predictor {} and {channels}",
                    s.window(),
                    s.channels(),
                    self.window
                ),
            ));
        }
        Ok(SlidingWindow { backbone, window: self.window, channels, skip: self.skip })
    }
}

impl<M: Backbone> Predictor for SlidingWindow<M> {
    fn window(&self) -> usize {
        self.window
    }

    fn channels(&self) -> usize {
        self.channels
    }

    fn forward(&self, x: Tensor<5>, t: Tensor<1>) -> PathPrediction {
        profile::forward(Part::Window, || self.forward_window(x, t))
    }

    fn step(&self, window: Tensor<5>, t: Tensor<1>) -> Heads {
        let [b, c, w, ny, nx] = window.dims();
        assert_eq!(w, self.window, "step() needs exactly `window` slices");
        let skip = self.skip_heads(&window, &t);
        let heads = self.backbone.forward(window.reshape([b, c * w, ny, nx]), t);
        match skip {
            None => heads,
            Some((d, n)) => {
                let last = |z: Tensor<5>| z.narrow(2, w - 1, 1).reshape([b, c, ny, nx]);
                Heads { drift: heads.drift + last(d), noise: heads.noise.map(|v| v + last(n)) }
            }
        }
    }
}
