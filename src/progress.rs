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

/// A terminal progress bar with pdd's style (used by the CLI; feature `cli`). When stderr is
/// not a terminal (a log file, a pipe) the bar is written as plain progress lines instead, one
/// every [`log_interval`] at most ([`LogLines`]), so a long job in a log is not silent.
#[cfg(feature = "cli")]
pub fn terminal_bar() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    let bar = indicatif::ProgressBar::new(0);
    let (template, target) = if std::io::stderr().is_terminal() {
        ("{msg:>12} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})", None)
    } else {
        let lines = Box::new(LogLines::new(log_interval()));
        let target = indicatif::ProgressDrawTarget::term_like(lines);
        ("progress: {msg} [{elapsed_precise}] {pos}/{len} (eta {eta})", Some(target))
    };
    bar.set_style(indicatif::ProgressStyle::with_template(template).expect("valid template"));
    if let Some(t) = target {
        bar.set_draw_target(t);
    }
    bar
}

/// How often progress lines are written when stderr is not a terminal: every 30 s, or every
/// `PDD_PROGRESS_SECONDS` seconds when that is set.
#[cfg(feature = "cli")]
pub fn log_interval() -> std::time::Duration {
    let secs = std::env::var("PDD_PROGRESS_SECONDS").ok().and_then(|v| v.parse::<f64>().ok());
    std::time::Duration::from_secs_f64(secs.filter(|s| s.is_finite() && *s >= 0.0).unwrap_or(30.0))
}

/// An indicatif terminal that writes lines to stderr: every printed message at once, the bar's
/// own line at most once per interval (and never twice the same), starting one interval after
/// the bar was made, so a short command prints no progress at all.
#[cfg(feature = "cli")]
#[derive(Debug)]
pub struct LogLines {
    interval: std::time::Duration,
    state: std::sync::Mutex<LogState>,
}

#[cfg(feature = "cli")]
#[derive(Debug)]
struct LogState {
    buffer: String,
    last_print: std::time::Instant,
    last_bar: String,
}

/// Width reported to indicatif: wide enough that no line wraps (padding is trimmed).
#[cfg(feature = "cli")]
const LOG_WIDTH: usize = 1000;

#[cfg(feature = "cli")]
impl LogLines {
    /// Lines at most every `interval`.
    pub fn new(interval: std::time::Duration) -> Self {
        let state = LogState {
            buffer: String::new(),
            last_print: std::time::Instant::now(),
            last_bar: String::new(),
        };
        Self { interval, state: std::sync::Mutex::new(state) }
    }

    /// The lines to print for one drawn frame `text` (lines padded to [`LOG_WIDTH`]): the
    /// messages before the bar, and the bar itself when due.
    fn lines(&self, text: &str) -> Vec<String> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let chars: Vec<char> = text.chars().collect();
        let mut lines: Vec<String> = chars
            .chunks(LOG_WIDTH)
            .map(|c| c.iter().collect::<String>().trim_end().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let Some(bar) = lines.pop() else { return lines };
        if bar != st.last_bar && st.last_print.elapsed() >= self.interval {
            st.last_print = std::time::Instant::now();
            st.last_bar = bar.clone();
            lines.push(bar);
        }
        lines
    }
}

#[cfg(feature = "cli")]
impl indicatif::TermLike for LogLines {
    fn width(&self) -> u16 {
        LOG_WIDTH as u16
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.write_str(s)
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.buffer.extend(s.chars().filter(|&c| c != '\r'));
        Ok(())
    }
    fn clear_line(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn flush(&self) -> std::io::Result<()> {
        let text = std::mem::take(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()).buffer);
        for line in self.lines(&text) {
            eprintln!("{line}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod print_tests {
    use super::*;

    /// Issue #26 item 12: without a terminal, messages pass at once and the bar's line at most
    /// once per interval.
    #[cfg(feature = "cli")]
    #[test]
    fn log_lines_pass_messages_and_throttle_the_bar() {
        let pad = |s: &str| format!("{s}{}", " ".repeat(LOG_WIDTH - s.chars().count()));
        let never = LogLines::new(std::time::Duration::from_secs(3600));
        let frame = format!("{}{}", pad("checkpoint written"), pad("progress: 3/10"));
        assert_eq!(never.lines(&frame), vec!["checkpoint written".to_string()]);
        let always = LogLines::new(std::time::Duration::ZERO);
        assert_eq!(always.lines(&pad("progress: 3/10")), vec!["progress: 3/10".to_string()]);
        assert!(always.lines(&pad("progress: 3/10")).is_empty(), "the same line twice");
        assert_eq!(always.lines(&pad("progress: 4/10")).len(), 1);
    }

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
