//! The advisory lock of a run directory: one writer at a time.
//!
//! `pdd train` holds `RUN_DIR/.lock` (an OS file lock, `flock` on Unix) from before it reads or
//! writes anything in the directory until it exits. The file holds the holder's PID, so a
//! second writer is refused with a message naming it. The OS drops the lock when its holder
//! dies, so a lock file left by a killed process is simply taken over.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Name of the lock file inside a run directory.
pub const LOCK_FILE: &str = ".lock";

/// A held run-directory lock; dropping it releases the lock and removes the file.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    file: File,
}

impl RunLock {
    /// Takes the lock of directory `dir` (which must exist). Fails with a message naming the
    /// holder's PID when another process holds it.
    pub fn acquire(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        // A holder that releases while we open its (then removed) file: retry on the new file.
        for _ in 0..16 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Err(held(dir, &mut file)),
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
            if !same_file(&file, &path) {
                continue;
            }
            file.set_len(0).map_err(|e| Error::io(&path, e))?;
            file.rewind().map_err(|e| Error::io(&path, e))?;
            write!(file, "{}", std::process::id()).map_err(|e| Error::io(&path, e))?;
            return Ok(Self { path, file });
        }
        Err(Error::bad_file(&path, "the lock file keeps changing; is another pdd starting here?"))
    }
}

/// The refusal when another process holds the lock of `dir`.
fn held(dir: &Path, file: &mut File) -> Error {
    let mut pid = String::new();
    let _ = file.read_to_string(&mut pid);
    let holder = match pid.trim() {
        "" => "another process".to_string(),
        p => format!("process {p}"),
    };
    Error::Other(format!(
        "{} is in use by {holder} (it holds {}); wait for it to finish or choose another --out",
        dir.display(),
        dir.join(LOCK_FILE).display()
    ))
}

/// Whether the open `file` is still the file at `path` (not removed or replaced meanwhile).
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether the open `file` is still the file at `path` (always assumed off Unix).
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // remove while still holding the lock, so nobody locks a file about to disappear
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_and_released_lock_is_retaken() {
        let dir = tempfile::tempdir().unwrap();
        let a = RunLock::acquire(dir.path()).unwrap();
        let pid = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(pid, std::process::id().to_string());
        let e = RunLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&format!("process {pid}")), "{e}");
        drop(a);
        assert!(!dir.path().join(LOCK_FILE).exists());
        // a lock file left by a dead process holds no OS lock: taken over
        std::fs::write(dir.path().join(LOCK_FILE), "999999999").unwrap();
        let _b = RunLock::acquire(dir.path()).unwrap();
    }
}
