//! Run directories: the resolved configuration, the loss log, checkpoints and a summary.
//!
//! ```text
//! RUN_DIR/
//!   config.toml        resolved configuration (data, diffusion, model, train)
//!   log.csv            step, loss, drift, noise, valid, seconds
//!   checkpoints/step-NNNNNNN/{model.bpk, optim.bpk, state.json}
//!   model.safetensors  final weights, PyTorch conventions
//!   README.md          what was run and how it went
//! ```

use super::config::TrainConfig;
use super::lock::{LOCK_FILE, RunLock};
use crate::diffusion::DiffusionConfig;
use crate::error::{Error, Result};
use crate::predictor::ModelConfig;
use crate::spectral::Grid;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the model was trained on (enough to rebuild it and to standardise new data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataInfo {
    /// Dataset file the run was trained on, relative to the run directory (runs written before
    /// pdd recorded it so hold an absolute path); see [`DataInfo::path_from`].
    pub path: String,
    /// The same file's absolute path when the run was made: where a run directory copied
    /// without its data still finds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absolute_path: Option<String>,
    /// System name (`lorenz96`, `kolmogorov`).
    pub system: String,
    /// Spatial grid sizes (`[L]` or `[Ny, Nx]`).
    pub grid: Vec<usize>,
    /// Channels per slice.
    pub channels: usize,
    /// Frames per trajectory.
    pub frames: usize,
    /// Physical time between frames.
    pub frame_dt: f64,
    /// Per-channel mean used to standardise (`x = (X − mean)/std`).
    pub mean: Vec<f64>,
    /// Per-channel standard deviation used to standardise.
    pub std: Vec<f64>,
}

impl DataInfo {
    /// The grid (domain 2π per axis).
    pub fn grid(&self) -> Result<Grid> {
        Grid::new(&self.grid, std::f64::consts::TAU)
    }

    /// The dataset file of the run in directory `run_dir`: `path` taken relative to it (a
    /// moved study directory keeps run and data together), else `absolute_path` (a run
    /// directory copied alone).
    pub fn path_from(&self, run_dir: &Path) -> PathBuf {
        let relative = run_dir.join(&self.path);
        match &self.absolute_path {
            Some(a) if !relative.is_file() => PathBuf::from(a),
            _ => relative,
        }
    }

    /// The standardisation constants (`x = (X − mean)/std`).
    pub fn stats(&self) -> crate::io::Stats {
        crate::io::Stats { mean: self.mean.clone(), std: self.std.clone() }
    }
}

/// The resolved configuration of a run, stored as `config.toml`: what training needs
/// (`[data]`, `[diffusion]`, `[model]`, `[train]`) typed, and the sections of the stages after
/// training (`[sample]`, `[eval]`, `[ddpm]`) carried as the preset wrote them; each stage reads
/// its own with [`RunConfig::stage`] (docs/architecture.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Preset the run was made from.
    pub preset: String,
    /// Which model family: `pdd` (default), `ddpm-sim`, `ddpm-gen`.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Data description.
    pub data: DataInfo,
    /// Forward process.
    pub diffusion: DiffusionConfig,
    /// Network.
    pub model: ModelConfig,
    /// Optimisation.
    pub train: TrainConfig,
    /// The preset's other sections (`[sample]`: the reverse-λ sampler; `[eval]`: `pdd eval`;
    /// `[ddpm]`: the DDPM baselines), unparsed: training does not read them.
    #[serde(flatten)]
    pub stages: toml::Table,
}

fn default_kind() -> String {
    "pdd".into()
}

/// Which model family a run trains (`RunConfig::kind`, `pdd train --model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum ModelKind {
    /// The PDD / SA-PDD predictor.
    #[default]
    Pdd,
    /// The conditional DDPM baseline for simulation (next slice given the past window).
    DdpmSim,
    /// The unconditional DDPM baseline for whole trajectories.
    DdpmGen,
}

impl ModelKind {
    /// The name used in `config.toml` and on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl std::str::FromStr for ModelKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        crate::error::parse_named(s, "model", "model")
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl RunConfig {
    /// The stage section `key` (e.g. `"eval"`) parsed as `T`, its defaults when the run has none;
    /// a malformed section is an error naming it.
    pub fn stage<T: serde::de::DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        match self.stages.get(key) {
            None => Ok(T::default()),
            Some(v) => v.clone().try_into().map_err(|e| Error::config(key, e.to_string())),
        }
    }

    /// Whether the run has the stage section `key`.
    pub fn has_stage(&self, key: &str) -> bool {
        self.stages.contains_key(key)
    }

    /// The model family of the run (an unknown `kind` is an error naming it).
    pub fn model_kind(&self) -> Result<ModelKind> {
        self.kind.parse()
    }

    /// The first part (`preset`, `kind`, `[data]`, …) in which two runs differ, ignoring the
    /// step budget, the stage sections (the DDPM baselines compare their own `[ddpm]`) and where
    /// the dataset file lies (a moved or copied dataset is the same data: its system, grid,
    /// frames and statistics match); `None` if they are the same run.
    pub fn difference(&self, other: &Self) -> Option<&'static str> {
        let mut train = self.train.clone();
        train.steps = other.train.steps;
        let data = DataInfo {
            path: other.data.path.clone(),
            absolute_path: other.data.absolute_path.clone(),
            ..self.data.clone()
        };
        [
            (self.preset == other.preset, "preset"),
            (self.kind == other.kind, "kind"),
            (data == other.data, "[data]"),
            (self.diffusion == other.diffusion, "[diffusion]"),
            (self.model == other.model, "[model]"),
            (train == other.train, "[train]"),
        ]
        .into_iter()
        .find_map(|(same, name)| (!same).then_some(name))
    }

    /// What the run's predictor is built for: its channels, window, grid and heads.
    pub fn predictor_shape(&self) -> Result<crate::predictor::PredictorShape> {
        let noise_head = self.train.objective == super::Objective::SaPdd;
        crate::predictor::PredictorShape::new(
            self.data.channels,
            self.model.window,
            &self.data.grid()?,
            noise_head,
        )
    }

    /// JSON fingerprint of the architecture (used to refuse foreign checkpoints).
    pub fn architecture(&self) -> String {
        serde_json::json!({
            "kind": self.kind,
            "model": self.model,
            "channels": self.data.channels,
            "grid": self.data.grid,
            "noise_head": self.train.objective == super::Objective::SaPdd,
        })
        .to_string()
    }
}

/// A run directory on disk.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
    /// The directory's lock while this value prepares or trains the run.
    lock: Option<std::sync::Arc<RunLock>>,
}

impl RunDir {
    /// Opens an existing run (reads nothing yet).
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        if !root.join("config.toml").exists() {
            return Err(Error::bad_file(&root, "not a pdd run directory (no config.toml)"));
        }
        Ok(Self { root, lock: None })
    }

    /// Prepares `root` for `config`: creates it and takes its lock ([`RunLock`], held as long as
    /// this `RunDir` or a clone lives; a directory locked by another process is refused);
    /// refuses a directory holding a different run unless `overwrite` (which clears it); refuses
    /// to restart over existing checkpoints of the same run unless `resume` or `overwrite`.
    pub fn prepare(
        root: impl Into<PathBuf>,
        config: &RunConfig,
        resume: bool,
        overwrite: bool,
    ) -> Result<Self> {
        let root = root.into();
        if !root.join("config.toml").exists() && !overwrite && !holds_nothing(&root) {
            return Err(Error::Other(format!(
                "{} exists and is not an empty directory or a pdd run; pass --overwrite or choose another --out",
                root.display()
            )));
        }
        std::fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        let lock = RunLock::acquire(&root)?;
        let dir = Self { root, lock: Some(std::sync::Arc::new(lock)) };
        if dir.root.join("config.toml").exists() {
            dir.replace_existing(config, resume, overwrite)?;
        }
        std::fs::create_dir_all(dir.checkpoints()).map_err(|e| Error::io(&dir.root, e))?;
        let text = toml::to_string_pretty(config).expect("config serialises");
        crate::io::write_atomic(&dir.root.join("config.toml"), text.as_bytes(), true)?;
        Ok(dir)
    }

    /// Checks the run already in the directory against `config`: with `overwrite` it is
    /// cleared; else a different run, or checkpoints of this run without `resume`, are refused.
    fn replace_existing(&self, config: &RunConfig, resume: bool, overwrite: bool) -> Result<()> {
        let root = &self.root;
        if overwrite {
            for sub in ["checkpoints", "log.csv", "model.safetensors", "README.md", "config.toml"] {
                let p = root.join(sub);
                if p.is_dir() {
                    std::fs::remove_dir_all(&p).map_err(|e| Error::io(&p, e))?;
                } else if p.exists() {
                    std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
                }
            }
            return Ok(());
        }
        if let Some(part) = self.config()?.difference(config) {
            return Err(Error::Other(format!(
                "{} holds a different run (its config.toml differs in {part}); choose another --out, or pass \
                 --overwrite to replace it (this deletes its checkpoints)",
                root.display(),
            )));
        }
        if super::checkpoint::latest(&self.checkpoints()).is_some() && !resume {
            return Err(Error::Other(format!(
                "{} already has checkpoints of this run; pass --resume to continue or --overwrite to restart",
                root.display()
            )));
        }
        Ok(())
    }

    /// Whether this value holds the directory's lock (true for a prepared run).
    pub fn is_locked(&self) -> bool {
        self.lock.is_some()
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads `config.toml`.
    pub fn config(&self) -> Result<RunConfig> {
        let p = self.root.join("config.toml");
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        toml::from_str(&text).map_err(|e| Error::bad_file(&p, e.message().to_string()))
    }

    /// The checkpoints directory.
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }

    /// The latest complete checkpoint, or an error saying the run has none.
    pub fn latest_checkpoint(&self) -> Result<(usize, PathBuf)> {
        super::checkpoint::latest(&self.checkpoints()).ok_or_else(|| {
            Error::bad_file(&self.root, "the run has no checkpoint yet (train it first)")
        })
    }

    /// The loss log.
    pub fn log_path(&self) -> PathBuf {
        self.root.join("log.csv")
    }
}

/// Whether `dir` is missing or holds nothing but a lock file.
fn holds_nothing(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.flatten().all(|e| e.file_name() == LOCK_FILE),
        Err(_) => !dir.exists(),
    }
}
