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

/// Prints `label: done/total` lines to stdout at every tenth of a phase and a summary line with
/// the elapsed time at its end: progress for notebooks, where terminal bars draw nothing and
/// stderr output fails a cell.
#[derive(Debug, Default)]
pub struct PrintProgress {
    state: std::sync::Mutex<Option<Phase>>,
}

/// The phase a [`PrintProgress`] is reporting.
#[derive(Debug)]
struct Phase {
    label: String,
    done: u64,
    total: u64,
    /// Tenths already printed.
    printed: u64,
    started: std::time::Instant,
}

impl PrintProgress {
    /// A reporter with no phase started.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Progress for PrintProgress {
    fn start(&self, label: &str, total: u64) {
        *self.state.lock().unwrap() = Some(Phase {
            label: label.to_string(),
            done: 0,
            total,
            printed: 0,
            started: std::time::Instant::now(),
        });
    }
    fn advance(&self, n: u64) {
        if let Some(p) = self.state.lock().unwrap().as_mut() {
            p.done += n;
            let tenth = (p.done * 10).checked_div(p.total).unwrap_or(0);
            if tenth > p.printed && p.done < p.total {
                p.printed = tenth;
                println!("{}: {}/{}", p.label, p.done, p.total);
            }
        }
    }
    fn finish(&self) {
        if let Some(p) = self.state.lock().unwrap().take() {
            println!(
                "{}: done ({}/{}) in {:.1} s",
                p.label,
                p.done,
                p.total,
                p.started.elapsed().as_secs_f64()
            );
        }
    }
}

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

#[cfg(feature = "cli")]
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

/// A terminal progress bar with pdd's style (used by the CLI; feature `cli`).
#[cfg(feature = "cli")]
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

#[cfg(test)]
mod print_tests {
    use super::*;

    #[test]
    fn print_progress_tracks_phases() {
        let p = PrintProgress::new();
        p.start("phase", 20);
        for _ in 0..20 {
            p.advance(1);
        }
        // printed at tenths 1…9 (the last advance completes the phase and prints nothing)
        assert_eq!(p.state.lock().unwrap().as_ref().map(|s| (s.done, s.printed)), Some((20, 9)));
        p.finish();
        assert!(p.state.lock().unwrap().is_none());
    }
}
