//! Free space on the filesystem of an output file, so that a write that fails on a full disk
//! says so (HDF5 reports such a failure as a generic close or write error).

use std::path::Path;

/// Below this many free bytes, a failed write is blamed on the full disk.
pub const LOW_SPACE_BYTES: u64 = 64 << 20;

/// Bytes available to this user on the filesystem holding `path` (its nearest existing
/// ancestor when `path` does not exist yet); `None` where the system cannot tell.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let dir = path.ancestors().find(|p| p.exists() && !p.as_os_str().is_empty())?;
    free_bytes_of(dir)
}

#[cfg(unix)]
fn free_bytes_of(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut s = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a NUL-terminated path and `s` points to writable memory of the right type;
    // statvfs only writes into `s` and reports failure through its return value.
    let rc = unsafe { libc::statvfs(c.as_ptr(), s.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `s`.
    let s = unsafe { s.assume_init() };
    // the field types are platform-dependent (u64 on 64-bit Linux, u32 elsewhere)
    #[allow(clippy::unnecessary_cast)]
    Some((s.f_bavail as u64).saturating_mul(s.f_frsize as u64))
}

#[cfg(not(unix))]
fn free_bytes_of(_dir: &Path) -> Option<u64> {
    None
}

/// `message`, with "No space left on device" and the free bytes appended when `free` is below
/// [`LOW_SPACE_BYTES`] (the likely cause of a failed write to `path`).
pub fn blame_full_disk(message: String, path: &Path, free: Option<u64>) -> String {
    match free {
        Some(b) if b < LOW_SPACE_BYTES => format!(
            "{message} (No space left on device: {b} bytes free on the filesystem of {}; free \
             some space and run again)",
            path.display()
        ),
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nearly_full_disk_is_named_and_a_roomy_one_is_not() {
        let p = Path::new("/data/x.h5");
        let m = blame_full_disk("close failed".into(), p, Some(4096));
        assert!(m.starts_with("close failed (No space left on device: 4096 bytes free"), "{m}");
        assert!(m.contains("/data/x.h5"), "{m}");
        assert_eq!(blame_full_disk("close failed".into(), p, Some(1 << 40)), "close failed");
        assert_eq!(blame_full_disk("close failed".into(), p, None), "close failed");
    }

    #[test]
    fn free_bytes_of_a_new_file_is_that_of_its_directory() {
        let dir = std::env::temp_dir();
        let here = free_bytes(&dir).expect("statvfs of the temp dir");
        let new = free_bytes(&dir.join("not/yet/here.h5")).expect("nearest existing ancestor");
        assert!(here > 0 && new > 0);
        // the same filesystem: equal up to what other processes wrote in between
        assert!(here.abs_diff(new) < 1 << 30, "{here} vs {new}");
    }
}
