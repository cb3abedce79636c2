//! Progress reporting for long jobs.
//!
//! Library functions that run for long take a `&dyn Progress`. The CLI passes an
//! [`indicatif::ProgressBar`]; a notebook passes a closure ([`FnProgress`]) or [`NoProgress`].

/// Receives progress of a long job. All methods have no-op defaults.
pub trait Progress: Sync {
    /// A (new) phase named `label` with `total` units of work starts.
    fn start(&self, _label: &str, _total: u64) {}
    /// `n` more units are done.
    fn advance(&self, _n: u64) {}
    /// The phase has finished.
    fn finish(&self) {}
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Calls a closure with `(label, done, total)` after every advance (and once at start).
pub struct FnProgress<F: Fn(&str, u64, u64) + Sync> {
    f: F,
    state: std::sync::Mutex<(String, u64, u64)>,
}

impl<F: Fn(&str, u64, u64) + Sync> FnProgress<F> {
    /// Wraps `f`.
    pub fn new(f: F) -> Self {
        Self { f, state: std::sync::Mutex::new((String::new(), 0, 0)) }
    }
}

impl<F: Fn(&str, u64, u64) + Sync> Progress for FnProgress<F> {
    fn start(&self, label: &str, total: u64) {
        let mut s = self.state.lock().unwrap();
        *s = (label.to_string(), 0, total);
        (self.f)(&s.0, 0, total);
    }
    fn advance(&self, n: u64) {
        let mut s = self.state.lock().unwrap();
        s.1 += n;
        (self.f)(&s.0, s.1, s.2);
    }
}

impl Progress for indicatif::ProgressBar {
    fn start(&self, label: &str, total: u64) {
        self.set_message(label.to_string());
        self.set_length(total);
        self.set_position(0);
    }
    fn advance(&self, n: u64) {
        self.inc(n);
    }
    fn finish(&self) {
        self.finish_and_clear();
    }
}

/// A terminal progress bar with pdd's style (used by the CLI).
pub fn terminal_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>12} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})",
        )
        .expect("valid template"),
    );
    bar
}
