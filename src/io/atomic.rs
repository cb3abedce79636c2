//! Atomic file creation: no truncated file ever appears under the final name.
//!
//! ```no_run
//! # fn main() -> pdd::Result<()> {
//! let target = pdd::io::AtomicFile::new("out.h5", false)?; // Err(Exists) if out.h5 exists
//! std::fs::write(target.temp_path(), b"...").unwrap();    // write the temporary file
//! target.commit()?;                                       // rename it to out.h5
//! # Ok(()) }
//! ```
//!
//! If the writer fails or panics, dropping the [`AtomicFile`] removes the temporary file. A
//! process killed mid-write leaves only a `NAME.tmp.PID-N` file beside the target.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A file being written under a temporary name in the directory of its final name.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    overwrite: bool,
    committed: bool,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl AtomicFile {
    /// Prepares to write `target`. Fails with [`Error::Exists`] if it exists and `overwrite` is
    /// false, and with [`Error::Io`] if its directory does not exist.
    pub fn new(target: impl AsRef<Path>, overwrite: bool) -> Result<Self> {
        let target = target.as_ref().to_path_buf();
        check_output(&target, overwrite)?;
        let name = target.file_name().expect("checked").to_string_lossy().into_owned();
        let dir = output_dir(&target);
        sweep_stale(&dir, &name);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!("{name}.tmp.{}-{n}", std::process::id()));
        if temp.exists() {
            std::fs::remove_file(&temp).map_err(|e| Error::io(&temp, e))?;
        }
        Ok(Self { target, temp, overwrite, committed: false })
    }

    /// Where to write the data.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// The final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the temporary file to the final name. Without `overwrite` this never replaces a
    /// file that appeared in the meantime ([`Error::Exists`]; the temporary file is removed).
    pub fn commit(mut self) -> Result<()> {
        if self.overwrite {
            std::fs::rename(&self.temp, &self.target).map_err(|e| Error::io(&self.target, e))?;
        } else {
            match std::fs::hard_link(&self.temp, &self.target) {
                Ok(()) => {
                    let _ = std::fs::remove_file(&self.temp);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(Error::Exists(self.target.clone()));
                }
                // File systems without hard links: check, then rename.
                Err(_) => {
                    if self.target.exists() {
                        return Err(Error::Exists(self.target.clone()));
                    }
                    std::fs::rename(&self.temp, &self.target)
                        .map_err(|e| Error::io(&self.target, e))?;
                }
            }
        }
        self.committed = true;
        Ok(())
    }
}

/// Writes `bytes` to `path` through an [`AtomicFile`], flushed to disk before the rename: the
/// one way pdd writes a small file (configs, logs, reports, figures). An existing file is
/// replaced only with `overwrite` ([`Error::Exists`] otherwise); the directory must exist.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    let file = AtomicFile::new(path, overwrite)?;
    let temp = file.temp_path();
    std::fs::File::create(temp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|e| Error::io(temp, e))?;
    file.commit()
}

/// Checks, before any work, that `target` can be written: it is not a directory, it does not
/// exist unless `overwrite` ([`Error::Exists`]), and its directory exists.
pub fn check_output(target: &Path, overwrite: bool) -> Result<()> {
    check_target(target, overwrite)?;
    let dir = output_dir(target);
    if !dir.is_dir() {
        let e =
            std::io::Error::new(std::io::ErrorKind::NotFound, "output directory does not exist");
        return Err(Error::io(&dir, e));
    }
    Ok(())
}

/// Like [`check_output`] but for a file whose directory is created later: only checks that
/// `target` names a file and does not exist unless `overwrite`.
pub fn check_target(target: &Path, overwrite: bool) -> Result<()> {
    if target.is_dir() || target.file_name().is_none() {
        return Err(Error::bad_file(target, "is a directory; name a file"));
    }
    if target.exists() && !overwrite {
        return Err(Error::Exists(target.to_path_buf()));
    }
    Ok(())
}

/// Removes the `NAME.tmp.PID-N` files of target `name` in `dir` that a process killed
/// mid-write left behind: only files of exactly this pattern, and only when process `PID` no
/// longer runs (no `/proc/PID`; where there is no `/proc`, nothing is removed).
fn sweep_stale(dir: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let prefix = format!("{name}.tmp.");
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some((pid, n)) = file.strip_prefix(&prefix).and_then(|rest| rest.split_once('-'))
        else {
            continue;
        };
        let ours = pid.parse::<u32>().is_ok_and(|p| p == std::process::id());
        if pid.parse::<u32>().is_ok()
            && n.parse::<usize>().is_ok()
            && !ours
            && !proc.join(pid).exists()
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The directory a file `target` goes in (`.` for a bare name).
fn output_dir(target: &Path) -> PathBuf {
    match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_renames_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        let a = AtomicFile::new(&p, false).unwrap();
        std::fs::write(a.temp_path(), b"one").unwrap();
        assert!(!p.exists());
        a.commit().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        assert!(matches!(AtomicFile::new(&p, false), Err(Error::Exists(_))));
        let b = AtomicFile::new(&p, true).unwrap();
        std::fs::write(b.temp_path(), b"two").unwrap();
        b.commit().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary left");
    }

    #[test]
    fn dropped_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.bin");
        {
            let a = AtomicFile::new(&p, false).unwrap();
            std::fs::write(a.temp_path(), b"partial").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn file_appearing_meanwhile_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.bin");
        let a = AtomicFile::new(&p, false).unwrap();
        std::fs::write(a.temp_path(), b"mine").unwrap();
        std::fs::write(&p, b"theirs").unwrap();
        assert!(matches!(a.commit(), Err(Error::Exists(_))));
        assert_eq!(std::fs::read(&p).unwrap(), b"theirs");
    }

    #[test]
    fn temporaries_of_dead_processes_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.h5");
        let dead = dir.path().join("d.h5.tmp.999999999-0");
        let alive = dir.path().join(format!("d.h5.tmp.{}-77", std::process::id()));
        let other = dir.path().join("e.h5.tmp.999999999-0");
        for f in [&dead, &alive, &other] {
            std::fs::write(f, b"x").unwrap();
        }
        let _a = AtomicFile::new(&p, false).unwrap();
        assert!(!dead.exists() || !Path::new("/proc/self").exists());
        assert!(alive.exists() && other.exists());
    }

    #[test]
    fn write_atomic_writes_replaces_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.md");
        write_atomic(&p, b"one", false).unwrap();
        assert!(matches!(write_atomic(&p, b"two", false), Err(Error::Exists(_))));
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary left");
    }

    #[test]
    fn missing_directory_is_an_error() {
        let e = AtomicFile::new("/nonexistent-dir-pdd/x.h5", false).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
    }
}
