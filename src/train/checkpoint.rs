//! Checkpoints: model weights and optimiser state (burnpack), written atomically.
//!
//! A checkpoint is a directory `step-NNNNNNN/` holding `model.bpk`, `optim.bpk` and
//! `state.json`. It is assembled under `step-NNNNNNN.partial/` and renamed when complete, so a
//! run killed at any moment leaves either a whole checkpoint or none; stale `.partial`
//! directories are ignored (and removed by the next save).
//!
//! `state.json` records the SHA-256 of every tensor file beside it; loading verifies it, so a
//! file changed after it was written (a zeroed block, a bad copy) reads as damaged and is
//! skipped like a truncated one. Checkpoints written before pdd recorded hashes load unverified.

use crate::error::{Error, Result};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::{BurnToPyTorchAdapter, BurnpackStore, ModuleSnapshot, SafetensorsStore};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a checkpoint records besides tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointState {
    /// Optimiser steps completed.
    pub step: usize,
    /// A fingerprint of the architecture (the resolved model configuration as JSON).
    pub architecture: String,
    /// Training loss of the last step.
    pub loss: f64,
    /// pdd version that wrote it.
    pub pdd_version: String,
    /// SHA-256 (hex) of each tensor file of the checkpoint (`model.bpk`, `optim.bpk`,
    /// `ema.bpk`), filled by [`save`] and verified on load.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sha256: BTreeMap<String, String>,
}

/// The SHA-256 of file `path`, in hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::Digest;
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| Error::io(path, e))?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Verifies tensor file `path` against the hash its checkpoint's `state.json` records (a file
/// outside a checkpoint, or one written before hashes were recorded, passes unverified).
pub fn verify_file(path: &Path) -> Result<()> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return Ok(()) };
    if !dir.join("state.json").exists() {
        return Ok(());
    }
    let state = read_state(dir)?;
    let Some(want) = state.sha256.get(&*name.to_string_lossy()) else { return Ok(()) };
    let got = sha256_file(path)?;
    if &got != want {
        return Err(Error::bad_file(
            path,
            format!(
                "content hash mismatch (SHA-256 {got}, state.json records {want}): the file \
                 was changed or damaged after it was written"
            ),
        ));
    }
    Ok(())
}

/// Name of the checkpoint directory for `step`.
pub fn checkpoint_name(step: usize) -> String {
    format!("step-{step:07}")
}

/// Writes a checkpoint of `model` (and the optimiser, and optionally an EMA copy) under `dir`.
pub fn save<M: Module>(
    dir: &Path,
    state: &CheckpointState,
    model: &M,
    optim: &ModuleOptimizer,
    ema: Option<&M>,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let final_dir = dir.join(checkpoint_name(state.step));
    let tmp = dir.join(format!("{}.partial", checkpoint_name(state.step)));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    save_weights(model, &tmp.join("model.bpk"))?;
    if let Some(ema) = ema {
        save_weights(ema, &tmp.join("ema.bpk"))?;
    }
    optim
        .save(tmp.join("optim.bpk"))
        .map_err(|e| Error::bad_file(tmp.join("optim.bpk"), format!("{e:?}")))?;
    let mut state = state.clone();
    for name in ["model.bpk", "optim.bpk", "ema.bpk"] {
        let p = tmp.join(name);
        if p.exists() {
            state.sha256.insert(name.to_string(), sha256_file(&p)?);
        }
    }
    let json = serde_json::to_string_pretty(&state).expect("state serialises");
    std::fs::write(tmp.join("state.json"), json)
        .map_err(|e| Error::io(tmp.join("state.json"), e))?;
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir).map_err(|e| Error::io(&final_dir, e))?;
    }
    std::fs::rename(&tmp, &final_dir).map_err(|e| Error::io(&final_dir, e))?;
    Ok(final_dir)
}

/// Saves a module's weights to a burnpack file (parameter ids included, so optimiser state can
/// be matched on resume).
pub fn save_weights<M: Module>(model: &M, path: &Path) -> Result<()> {
    let mut store = BurnpackStore::from_file(path).overwrite(true).auto_extension(false);
    model
        .save_into(&mut store)
        .map_err(|e| Error::bad_file(path, format!("cannot write weights: {e:?}")))
}

/// Loads burnpack weights into `model` (same architecture); a mismatch is an error.
pub fn load_weights<M: Module>(mut model: M, path: &Path) -> Result<M> {
    if !path.exists() {
        return Err(Error::bad_file(path, "no such weights file"));
    }
    verify_file(path)?;
    let mut store = BurnpackStore::from_file(path).auto_extension(false);
    let r = model.load_from(&mut store).map_err(|e| {
        Error::bad_file(path, format!("cannot read weights (truncated or damaged file?): {e:?}"))
    })?;
    if !r.missing.is_empty() || !r.unused.is_empty() || !r.errors.is_empty() {
        let names = |v: Vec<String>| v.into_iter().take(4).collect::<Vec<_>>().join(", ");
        return Err(Error::bad_file(
            path,
            format!(
                "weights are from another architecture (missing: [{}], unexpected: [{}], errors: {})",
                names(r.missing.into_iter().map(|(a, _)| a).collect()),
                names(r.unused),
                r.errors.len()
            ),
        ));
    }
    Ok(model)
}

/// Reads `state.json` of a checkpoint directory.
pub fn read_state(ckpt: &Path) -> Result<CheckpointState> {
    let p = ckpt.join("state.json");
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
    serde_json::from_str(&text).map_err(|e| Error::bad_file(&p, e.to_string()))
}

/// Restores model and optimiser from checkpoint directory `ckpt`, checking the architecture.
pub fn restore<M: Module>(
    ckpt: &Path,
    model: M,
    optim: ModuleOptimizer,
    architecture: &str,
) -> Result<(M, ModuleOptimizer, CheckpointState)> {
    let state = read_state(ckpt)?;
    if state.architecture != architecture {
        return Err(foreign(ckpt, &state.architecture, architecture));
    }
    let model = load_weights(model, &ckpt.join("model.bpk"))?;
    verify_file(&ckpt.join("optim.bpk"))?;
    let optim = optim
        .load(ckpt.join("optim.bpk"))
        .map_err(|e| Error::bad_file(ckpt.join("optim.bpk"), format!("{e:?}")))?;
    Ok((model, optim, state))
}

/// A checkpoint read back by [`restore_newest`].
pub struct Restored<M> {
    /// The model with the checkpoint's weights.
    pub model: M,
    /// The optimiser with the checkpoint's state.
    pub optim: ModuleOptimizer,
    /// The EMA copy, when the checkpoint holds one (`ema.bpk`).
    pub ema: Option<M>,
    /// What the checkpoint records.
    pub state: CheckpointState,
    /// Newer checkpoints that were skipped as damaged, each as `step-N: reason`.
    pub skipped: Vec<String>,
}

/// Restores the newest checkpoint under `dir` that reads back whole. A damaged newer one (a
/// truncated or unreadable file) is skipped and named in [`Restored::skipped`]. `None` when
/// there is no checkpoint; an error when none is intact or one is from another architecture.
pub fn restore_newest<M: Module>(
    dir: &Path,
    model: &M,
    optim: &ModuleOptimizer,
    architecture: &str,
) -> Result<Option<Restored<M>>> {
    let all = list(dir);
    if all.is_empty() {
        return Ok(None);
    }
    let mut skipped = Vec::new();
    for (step, ckpt) in all.into_iter().rev() {
        match read_state(&ckpt) {
            Ok(s) if s.architecture != architecture => {
                return Err(foreign(&ckpt, &s.architecture, architecture));
            }
            Ok(s) if s.step != step => {
                skipped.push(format!("{}: state.json says step {}", checkpoint_name(step), s.step));
            }
            Ok(state) => match read_back(&ckpt, model, optim) {
                Ok((model, optim, ema)) => {
                    return Ok(Some(Restored { model, optim, ema, state, skipped }));
                }
                Err(e) => skipped.push(format!("{}: {e}", checkpoint_name(step))),
            },
            Err(e) => skipped.push(format!("{}: {e}", checkpoint_name(step))),
        }
    }
    Err(Error::bad_file(
        dir,
        format!("no intact checkpoint to resume from ({})", skipped.join("; ")),
    ))
}

/// Model, optimiser and (if present) EMA weights of checkpoint directory `ckpt`.
fn read_back<M: Module>(
    ckpt: &Path,
    model: &M,
    optim: &ModuleOptimizer,
) -> Result<(M, ModuleOptimizer, Option<M>)> {
    let loaded = load_weights(model.clone(), &ckpt.join("model.bpk"))?;
    verify_file(&ckpt.join("optim.bpk"))?;
    let optim = optim.clone().load(ckpt.join("optim.bpk")).map_err(|e| {
        Error::bad_file(ckpt.join("optim.bpk"), format!("cannot read optimiser state: {e:?}"))
    })?;
    let ema_path = ckpt.join("ema.bpk");
    let ema = if ema_path.exists() { Some(load_weights(model.clone(), &ema_path)?) } else { None };
    Ok((loaded, optim, ema))
}

/// The refusal of checkpoint `ckpt` written for architecture `found`, not `want`.
fn foreign(ckpt: &Path, found: &str, want: &str) -> Error {
    let reason = format!(
        "checkpoint is from another architecture:\n  checkpoint: {found}\n  this run:   {want}"
    );
    Error::bad_file(ckpt, reason)
}

/// All complete checkpoints under `dir`, sorted by step.
pub fn list(dir: &Path) -> Vec<(usize, PathBuf)> {
    let mut out: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let step = name.strip_prefix("step-")?.parse::<usize>().ok()?;
            e.path().join("state.json").exists().then(|| (step, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// The complete checkpoint with the highest step under `dir`.
pub fn latest(dir: &Path) -> Option<(usize, PathBuf)> {
    list(dir).pop()
}

/// Exports weights as safetensors in PyTorch's conventions (linear weights transposed to
/// `[out, in]`), written atomically. Note: 1-D networks carry their convolutions as 2-D
/// `[out, in, 1, k]` kernels; squeeze axis 2 for `Conv1d`.
pub fn export_safetensors<M: Module>(model: &M, path: &Path) -> Result<()> {
    let tmp = path.with_extension("safetensors.partial");
    let mut store =
        SafetensorsStore::from_file(&tmp).overwrite(true).with_to_adapter(BurnToPyTorchAdapter);
    model
        .save_into(&mut store)
        .map_err(|e| Error::bad_file(path, format!("cannot export: {e:?}")))?;
    canonical_header(&tmp)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // a result file like the others (the store creates it owner-only)
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Rewrites the JSON header of safetensors file `path` with its keys sorted (the store writes
/// its metadata from a hash map, in a different order each time), padded with spaces to a
/// multiple of 8 bytes, so that the same weights give the same bytes. Offsets in the header
/// are relative to the data, which is left as it is.
fn canonical_header(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |why: &str| Error::bad_file(path, format!("unexpected safetensors layout: {why}"));
    let n = u64::from_le_bytes(
        bytes.get(..8).ok_or_else(|| bad("no header"))?.try_into().expect("8 bytes"),
    ) as usize;
    let header = bytes.get(8..8 + n).ok_or_else(|| bad("short header"))?;
    let json: serde_json::Value =
        serde_json::from_slice(header).map_err(|e| bad(&e.to_string()))?;
    let mut text = serde_json::to_string(&json).expect("JSON serialises"); // serde_json sorts keys
    while !text.len().is_multiple_of(8) {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&bytes[8 + n..]);
    std::fs::write(path, out).map_err(|e| Error::io(path, e))
}
