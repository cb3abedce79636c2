//! Where a training step's time goes, by layer kind (`pdd bench train-step`,
//! docs/performance.md).
//!
//! Off by default: each instrumented call then costs one thread-local read. The accounting is
//! per thread (the one that runs the training step; burn's autodiff runs the backward pass on
//! the caller's thread), so concurrent steps elsewhere do not mix in. When switched on
//! ([`enable`]), every call wrapped in [`forward`] charges its wall time to its [`Part`]
//! *exclusively*: time spent in a nested instrumented call (the 1×1 convolutions inside
//! attention) is charged to the inner part only. Backward passes are charged where pdd's own
//! backward kernels run ([`backward`]: the fused convolution, norm → FiLM → SiLU and SiLU ops);
//! the backward passes of burn's own ops (attention's matmuls and softmax, linear layers,
//! residual adds, the loss) run inside burn's autodiff and are what is left of the backward time.
//! Timing assumes the CPU backend, whose ops finish before they return.

use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::time::Instant;
use strum::{EnumCount, EnumIter, IntoEnumIterator};

/// A kind of layer, as the breakdown reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, EnumCount, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// Periodic convolutions, circular padding included.
    Conv,
    /// Channel RMS norm → FiLM → SiLU (the residual blocks' tails).
    NormFilmSilu,
    /// The SiLU on the time embedding before each FiLM projection.
    Silu,
    /// Attention blocks (pre-norm, softmax, matmuls; their 1×1 convolutions count as `Conv`).
    Attention,
    /// The sinusoidal time embedding and its MLP.
    TimeEmbedding,
    /// Skip concatenation and nearest up-sampling between the U-Net's levels.
    Resample,
    /// The rest of the network's forward pass: residual adds, FiLM projections, output heads.
    NetworkOther,
    /// The predictor's sliding window around the network: frames stacked into network inputs
    /// and back, and the Gaussian skip where there is one.
    Window,
    /// The loss (path residual and action) around the predictor.
    Loss,
}

impl Part {
    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Part::Conv => "periodic convolution",
            Part::NormFilmSilu => "RMS norm + FiLM + SiLU",
            Part::Silu => "SiLU (embedding)",
            Part::Attention => "attention",
            Part::TimeEmbedding => "time embedding",
            Part::Resample => "concatenation + up-sampling",
            Part::NetworkOther => "other network ops",
            Part::Window => "sliding window (+ skip)",
            Part::Loss => "loss / path action",
        }
    }
}

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    /// Seconds per part, `[forward, backward]`.
    static SECONDS: RefCell<[[f64; 2]; Part::COUNT]> = const { RefCell::new([[0.0; 2]; Part::COUNT]) };
    /// The open forward scopes of this thread: their part and when their clock last resumed.
    static OPEN: RefCell<Vec<(Part, Instant)>> = const { RefCell::new(Vec::new()) };
}

/// Switches the accounting on or off on this thread.
pub fn enable(on: bool) {
    ON.set(on);
}

/// Whether the accounting is on on this thread.
pub fn enabled() -> bool {
    ON.get()
}

/// Sets every part's time on this thread to zero.
pub fn reset() {
    SECONDS.set([[0.0; 2]; Part::COUNT]);
}

fn charge(part: Part, pass: usize, since: Instant, until: Instant) {
    let s = until.saturating_duration_since(since).as_secs_f64();
    SECONDS.with_borrow_mut(|t| t[part as usize][pass] += s);
}

/// Runs `f`, charging its forward time (less that of nested scopes) to `part`.
pub fn forward<R>(part: Part, f: impl FnOnce() -> R) -> R {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    OPEN.with_borrow_mut(|open| {
        if let Some(&(outer, since)) = open.last() {
            charge(outer, 0, since, start);
        }
        open.push((part, start));
    });
    let r = f();
    let end = Instant::now();
    OPEN.with_borrow_mut(|open| {
        if let Some((part, since)) = open.pop() {
            charge(part, 0, since, end);
        }
        if let Some(outer) = open.last_mut() {
            outer.1 = end;
        }
    });
    r
}

/// Runs `f`, charging its time to `part`'s backward pass.
pub fn backward<R>(part: Part, f: impl FnOnce() -> R) -> R {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let r = f();
    charge(part, 1, start, Instant::now());
    r
}

/// One part's accumulated seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PartTime {
    /// The part.
    pub part: Part,
    /// Forward seconds.
    pub forward: f64,
    /// Backward seconds (0 where burn's own ops do the backward pass).
    pub backward: f64,
}

/// Every part's accumulated seconds on this thread since the last [`reset`].
pub fn snapshot() -> Vec<PartTime> {
    let t = SECONDS.with_borrow(|t| *t);
    let time =
        |part: Part| PartTime { part, forward: t[part as usize][0], backward: t[part as usize][1] };
    Part::iter().map(time).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn nested_scopes_are_charged_exclusively() {
        enable(true);
        reset();
        let spin = |ms: u64| std::thread::sleep(Duration::from_millis(ms));
        let t0 = Instant::now();
        forward(Part::Attention, || {
            spin(30);
            forward(Part::Conv, || spin(50));
            spin(30);
        });
        let outer = t0.elapsed().as_secs_f64();
        backward(Part::Conv, || spin(20));
        enable(false);
        forward(Part::Loss, || spin(10)); // off: not charged
        let t = snapshot();
        let get = |p: Part| t.iter().find(|x| x.part == p).copied().unwrap();
        let (a, c) = (get(Part::Attention), get(Part::Conv));
        // sleeps last at least as long as asked; the two charges partition the outer call
        assert!(a.forward >= 0.06 && c.forward >= 0.05 && c.backward >= 0.02, "{a:?} {c:?}");
        assert!((a.forward + c.forward - outer).abs() < 1e-3, "{a:?} {c:?} of {outer}");
        assert_eq!(get(Part::Loss).forward, 0.0);
        assert_eq!(a.backward, 0.0);
    }
}
