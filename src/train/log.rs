//! The CSV loss log of a run.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// One row of `log.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogRow {
    /// Optimiser step.
    pub step: usize,
    /// Total training loss (mean over the step's micro-batches).
    pub loss: f64,
    /// PDD drift term.
    pub drift: f64,
    /// SA-PDD noise term (NaN when absent).
    pub noise: f64,
    /// Validation loss (NaN when not computed at this step).
    pub valid: f64,
    /// Wall-clock seconds since the run (or resume) started.
    pub seconds: f64,
}

const HEADER: &str = "step,loss,drift,noise,valid,seconds";

/// Reads every row of a log (empty if the file does not exist); a malformed line is an error.
pub fn read(path: &Path) -> Result<Vec<LogRow>> {
    read_rows(path, false)
}

/// Reads the rows of a log; with `torn_tail_ok` a malformed last line (a write cut short by a
/// full disk or a kill) is dropped instead of being an error.
fn read_rows(path: &Path, torn_tail_ok: bool) -> Result<Vec<LogRow>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let lines: Vec<&str> = text.lines().skip(1).filter(|l| !l.trim().is_empty()).collect();
    let mut rows = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        match parse_line(path, l) {
            Ok(row) => rows.push(row),
            Err(_) if torn_tail_ok && i + 1 == lines.len() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(rows)
}

/// One row of the log.
fn parse_line(path: &Path, l: &str) -> Result<LogRow> {
    let parse = |s: &str| s.trim().parse::<f64>().unwrap_or(f64::NAN);
    let f: Vec<&str> = l.split(',').collect();
    if f.len() != 6 {
        return Err(Error::bad_file(path, format!("malformed log line `{l}`")));
    }
    Ok(LogRow {
        step: f[0]
            .trim()
            .parse()
            .map_err(|_| Error::bad_file(path, format!("bad step in `{l}`")))?,
        loss: parse(f[1]),
        drift: parse(f[2]),
        noise: parse(f[3]),
        valid: parse(f[4]),
        seconds: parse(f[5]),
    })
}

/// Rewrites the log keeping only rows up to `step` (used when resuming from a checkpoint); a
/// torn last line, left by a write cut short, is dropped.
pub fn truncate(path: &Path, step: usize) -> Result<()> {
    let rows: Vec<LogRow> = read_rows(path, true)?.into_iter().filter(|r| r.step <= step).collect();
    let mut text = format!("{HEADER}\n");
    for r in rows {
        text.push_str(&line(&r));
    }
    crate::io::write_atomic(path, text.as_bytes(), true)
}

fn line(r: &LogRow) -> String {
    format!(
        "{},{:.8e},{:.8e},{:.8e},{:.8e},{:.3}\n",
        r.step, r.loss, r.drift, r.noise, r.valid, r.seconds
    )
}

/// Appends rows (creating the file with its header).
pub fn append(path: &Path, rows: &[LogRow]) -> Result<()> {
    let new = !path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let mut text = String::new();
    if new {
        text.push_str(HEADER);
        text.push('\n');
    }
    for r in rows {
        text.push_str(&line(r));
    }
    f.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
}
