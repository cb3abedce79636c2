//! Memory bounds: a size that reaches the allocator is estimated first and refused, naming the
//! field, when the estimate exceeds the machine's memory (docs/validation.md). An absurd
//! setting (`model.dim = 100000`, `diffusion.steps = 1e9`) is then a clear error instead of an
//! allocation abort.

use crate::error::{Error, Result};

/// Memory assumed when the machine's cannot be read (`/proc/meminfo` missing).
const FALLBACK_BYTES: f64 = 64.0 * (1u64 << 30) as f64;

/// The machine's physical memory in bytes (`MemTotal` of `/proc/meminfo`, else 64 GiB).
pub fn limit_bytes() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            let line = t.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024.0)
        })
        .unwrap_or(FALLBACK_BYTES)
}

/// Bytes in words (`1.5 GB`).
pub fn human(bytes: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut x = bytes;
    let mut u = 0;
    while x >= 1000.0 && u + 1 < units.len() {
        x /= 1000.0;
        u += 1;
    }
    if bytes.is_finite() { format!("{x:.1} {}", units[u]) } else { "unboundedly much".into() }
}

/// Refuses `field` when `bytes` (an estimate of what it makes the program allocate for `what`)
/// exceeds the machine's memory.
pub fn ensure_fits(field: &str, what: &str, bytes: f64) -> Result<()> {
    let limit = limit_bytes();
    if bytes.is_nan() || bytes > limit {
        return Err(Error::config(
            field,
            format!(
                "{what} would need about {} of memory; this machine has {}",
                human(bytes),
                human(limit)
            ),
        ));
    }
    Ok(())
}
