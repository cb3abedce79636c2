//! HDF5 trajectory datasets.
//!
//! Layout of a file (readable with h5py):
//!
//! | object | content |
//! | --- | --- |
//! | `/trajectories` | f32 `[N, C, F, L]` (1-D) or `[N, C, F, Ny, Nx]` (2-D), dimensional fields; chunk = one trajectory, shuffle + deflate |
//! | `/splits/{train,valid,test}` | u64 global trajectory indices of each split |
//! | `/stats/{mean,std}` | f64 `[C]`, per-channel mean / standard deviation (ddof = 0) over the training split (complete files only, not shards) |
//! | `/params` (attributes) | every physical and numerical parameter of the system |
//! | `/` (attributes) | `format = "pdd-dataset"`, `format_version`, `system`, `preset`, `seed`, `pdd_version`, `frame_dt`, `frames`, `channels`, `grid_dims`, `domain_length`, `trajectories_total`, `index_start`, `index_end`, `shard_index`, `shard_count`, `config` (the `[data]` section as JSON) |
//!
//! A file holds the trajectories with global indices `[index_start, index_end)` of a dataset of
//! `trajectories_total`; a *complete* file has the whole range. Shards (generated with
//! `--shard i/n`) hold a sub-range and no statistics; [`merge`] joins them into the file a single
//! run produces (same numbers, same statistics).
//!
//! Files are written through [`AtomicFile`] and without object time stamps, so generating the
//! same dataset twice gives identical bytes.

use super::AtomicFile;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::spectral::Grid;
use crate::systems::{DataConfig, Shard, SystemKind};
use hdf5::types::VarLenUnicode;
use hdf5::{H5Type, Location, SliceOrIndex};
use ndarray::{ArrayD, Axis, IxDyn};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Value of the root `format` attribute.
pub const FORMAT: &str = "pdd-dataset";
/// Value of the root `format_version` attribute.
pub const FORMAT_VERSION: u32 = 1;

/// Which split.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Split {
    /// Training trajectories.
    Train,
    /// Validation trajectories.
    Valid,
    /// Test trajectories.
    #[default]
    Test,
}

impl std::str::FromStr for Split {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        crate::error::parse_named(s, "split", "split")
    }
}

impl Split {
    /// All three, in order.
    pub const ALL: &'static [Split] = <Split as strum::VariantArray>::VARIANTS;

    /// `train`, `valid` or `test`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Global trajectory indices of each split.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SplitIndices {
    /// Training indices.
    pub train: Vec<usize>,
    /// Validation indices.
    pub valid: Vec<usize>,
    /// Test indices.
    pub test: Vec<usize>,
}

impl SplitIndices {
    /// The indices of `split`.
    pub fn get(&self, split: Split) -> &[usize] {
        match split {
            Split::Train => &self.train,
            Split::Valid => &self.valid,
            Split::Test => &self.test,
        }
    }

    /// The splits of `config`, clipped to its number of trajectories.
    pub fn from_config(config: &DataConfig) -> Self {
        let [train, valid, test] =
            config.splits.clipped(config.trajectories).map(|(_, r)| r.collect());
        Self { train, valid, test }
    }
}

/// Per-channel mean and standard deviation, used as `x = (X − mean_c) / std_c`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Mean per channel.
    pub mean: Vec<f64>,
    /// Standard deviation per channel.
    pub std: Vec<f64>,
}

impl Stats {
    /// The reference's Lorenz-96 constants (docs/reference.md §7.1): X 2.62 / 4.08,
    /// Y 0.0887 / 0.261.
    pub fn reference_lorenz96() -> Self {
        Self { mean: vec![2.62, 0.0887], std: vec![4.08, 0.261] }
    }

    /// The reference's Kolmogorov constants (docs/reference.md §7.2): −0.0304 / 4.58.
    pub fn reference_kolmogorov() -> Self {
        Self { mean: vec![-0.0304], std: vec![4.58] }
    }

    /// Standardises `batch` (`[B, C, F, *grid]`) in place: `(X − mean_c) / std_c`.
    pub fn normalise(&self, batch: &mut ArrayD<f32>) -> Result<()> {
        self.check(batch)?;
        for (c, mut lane) in batch.axis_iter_mut(Axis(1)).enumerate() {
            let (m, s) = (self.mean[c] as f32, self.std[c] as f32);
            lane.mapv_inplace(|x| (x - m) / s);
        }
        Ok(())
    }

    /// Inverse of [`normalise`](Self::normalise): `x · std_c + mean_c`.
    pub fn denormalise(&self, batch: &mut ArrayD<f32>) -> Result<()> {
        self.check(batch)?;
        for (c, mut lane) in batch.axis_iter_mut(Axis(1)).enumerate() {
            let (m, s) = (self.mean[c] as f32, self.std[c] as f32);
            lane.mapv_inplace(|x| x * s + m);
        }
        Ok(())
    }

    fn check(&self, batch: &ArrayD<f32>) -> Result<()> {
        let c = self.mean.len();
        if batch.ndim() < 3 || batch.shape()[1] != c || self.std.len() != c {
            return Err(Error::shape(
                "Stats::normalise",
                format!("[B, {c}, F, *grid]"),
                batch.shape(),
            ));
        }
        if let Some(i) = self.std.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::config(format!("stats.std[{i}]"), "must be finite and > 0"));
        }
        Ok(())
    }
}

/// Running per-channel moments, combined trajectory by trajectory in index order (Chan et
/// al.), so the result does not depend on how the data were produced.
#[derive(Debug, Clone)]
struct Moments {
    count: Vec<f64>,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl Moments {
    fn new(channels: usize) -> Self {
        Self { count: vec![0.0; channels], mean: vec![0.0; channels], m2: vec![0.0; channels] }
    }

    /// Adds one trajectory `[C, …]`.
    fn add(&mut self, traj: &[f32]) {
        let per = traj.len() / self.count.len();
        for (c, chunk) in traj.chunks_exact(per).enumerate() {
            let n = per as f64;
            let mean = chunk.iter().map(|&v| v as f64).sum::<f64>() / n;
            let m2 = chunk.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>();
            let total = self.count[c] + n;
            let delta = mean - self.mean[c];
            self.mean[c] += delta * n / total;
            self.m2[c] += m2 + delta * delta * self.count[c] * n / total;
            self.count[c] = total;
        }
    }

    fn stats(&self) -> Stats {
        Stats {
            mean: self.mean.clone(),
            std: self.m2.iter().zip(&self.count).map(|(m2, n)| (m2 / n).sqrt()).collect(),
        }
    }
}

/// How the fields of one trajectory are laid out: what a system's simulator produces.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldLayout {
    /// Grid of the stored fields.
    pub grid: Grid,
    /// Channel names (`C` of them).
    pub channels: Vec<String>,
    /// Frames per trajectory.
    pub frames: usize,
    /// Model time between frames.
    pub frame_dt: f64,
}

/// Everything a dataset file records besides the trajectories.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// The `[data]` configuration (system parameters, seed, splits, trajectory count).
    pub config: DataConfig,
    /// Preset name.
    pub preset: String,
    /// pdd version that wrote the file.
    pub pdd_version: String,
    /// Grid of the stored fields.
    pub grid: Grid,
    /// Channel names.
    pub channels: Vec<String>,
    /// Frames per trajectory.
    pub frames: usize,
    /// Model time between frames.
    pub frame_dt: f64,
    /// Global indices of the trajectories in this file.
    pub range: Range<usize>,
    /// The shard this file is (`None` for a complete file).
    pub shard: Option<Shard>,
    /// Split indices (global, over the whole dataset).
    pub splits: SplitIndices,
    /// Per-channel statistics of the training split (complete files only).
    pub stats: Option<Stats>,
}

impl Metadata {
    /// Metadata for a file holding trajectories `range` of `config`, whose fields are laid out
    /// as `layout`.
    pub fn new(
        config: &DataConfig,
        preset: &str,
        layout: FieldLayout,
        range: Range<usize>,
        shard: Option<Shard>,
    ) -> Self {
        let FieldLayout { grid, channels, frames, frame_dt } = layout;
        Self {
            config: config.clone(),
            preset: preset.to_string(),
            pdd_version: env!("CARGO_PKG_VERSION").to_string(),
            grid,
            channels,
            frames,
            frame_dt,
            range,
            shard,
            splits: SplitIndices::from_config(config),
            stats: None,
        }
    }

    /// The system.
    pub fn system(&self) -> SystemKind {
        self.config.system
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    /// Trajectories in the whole dataset.
    pub fn total(&self) -> usize {
        self.config.trajectories
    }

    /// Whether this file holds every trajectory of the dataset.
    pub fn is_complete(&self) -> bool {
        self.range == (0..self.total())
    }

    /// Shape of one trajectory: `[C, F, *grid.dims()]`.
    pub fn trajectory_shape(&self) -> Vec<usize> {
        [vec![self.channels.len(), self.frames], self.grid.dims().to_vec()].concat()
    }

    /// Values per trajectory.
    pub fn trajectory_len(&self) -> usize {
        self.trajectory_shape().iter().product()
    }

    /// The stored statistics, or an error for a shard (or a whole file that lost them).
    pub fn stats(&self) -> Result<&Stats> {
        self.stats.as_ref().ok_or_else(|| {
            if self.is_complete() {
                return Error::Other(format!(
                    "the dataset holds all {} trajectories but no statistics (/stats is \
                     missing: an edited or damaged file); regenerate it with pdd data generate",
                    self.total()
                ));
            }
            Error::Other(format!(
                "trajectories {:?} of {} form a shard without statistics: merge the shards first (pdd data merge)",
                self.range,
                self.total()
            ))
        })
    }

    /// Everything that must agree between shards of one dataset (all but range, shard, stats).
    fn same_dataset(&self, other: &Metadata) -> bool {
        self.config == other.config
            && self.preset == other.preset
            && self.pdd_version == other.pdd_version
            && self.grid == other.grid
            && self.channels == other.channels
            && self.frames == other.frames
            && self.frame_dt == other.frame_dt
            && self.splits == other.splits
    }
}

pub(crate) fn h5err(path: &Path) -> impl Fn(hdf5::Error) -> Error + '_ {
    move |e| Error::Hdf5 {
        path: path.to_path_buf(),
        message: super::disk::blame_full_disk(e.to_string(), path, super::disk::free_bytes(path)),
    }
}

fn put_attr<T: H5Type>(loc: &Location, name: &str, value: &T) -> hdf5::Result<()> {
    loc.new_attr::<T>().shape(()).create(name)?.write_scalar(value)
}

pub(crate) fn put_str(loc: &Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v: VarLenUnicode = value.parse().map_err(|e| hdf5::Error::from(format!("{e:?}")))?;
    put_attr(loc, name, &v)
}

fn put_array<T: H5Type>(loc: &Location, name: &str, values: &[T]) -> hdf5::Result<()> {
    loc.new_attr::<T>().shape(values.len()).create(name)?.write_raw(values)
}

/// Writes `value` (a JSON scalar) as an attribute: numbers as i64/u64/f64, strings as UTF-8
/// strings, booleans as u8.
fn put_json(loc: &Location, name: &str, value: &serde_json::Value) -> hdf5::Result<()> {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_u64() => put_attr(loc, name, &n.as_u64().unwrap()),
        Value::Number(n) if n.is_i64() => put_attr(loc, name, &n.as_i64().unwrap()),
        Value::Number(n) => put_attr(loc, name, &n.as_f64().unwrap()),
        Value::String(s) => put_str(loc, name, s),
        Value::Bool(b) => put_attr(loc, name, &(*b as u8)),
        other => put_str(loc, name, &other.to_string()),
    }
}

/// One selection of rows `[start, start + count)` along axis 0 of an array of `shape`.
fn rows(start: usize, count: usize, shape: &[usize]) -> hdf5::Hyperslab {
    let mut dims = vec![SliceOrIndex::SliceTo { start, step: 1, end: start + count, block: 1 }];
    dims.extend(shape[1..].iter().map(|&n| SliceOrIndex::SliceTo {
        start: 0,
        step: 1,
        end: n,
        block: 1,
    }));
    dims.into()
}

/// Writes a dataset file trajectory by trajectory (in index order) and renames it into place
/// when [`finish`](Self::finish) succeeds.
pub struct DatasetWriter {
    meta: Metadata,
    target: AtomicFile,
    file: hdf5::File,
    traj: hdf5::Dataset,
    written: usize,
    moments: Moments,
}

impl DatasetWriter {
    /// Creates the file for `meta` at `path` (under a temporary name until
    /// [`finish`](Self::finish)). Fails with [`Error::Exists`] if `path` exists and
    /// `overwrite` is false.
    pub fn create(path: impl AsRef<Path>, meta: Metadata, overwrite: bool) -> Result<Self> {
        let path = path.as_ref();
        let target = AtomicFile::new(path, overwrite)?;
        let tmp = target.temp_path().to_path_buf();
        let e = h5err(&tmp);
        let file = hdf5::File::with_options()
            .with_fcpl(|p| p.obj_track_times(false))
            .create(&tmp)
            .map_err(&e)?;
        let n = meta.range.len();
        let tshape = meta.trajectory_shape();
        let shape = [vec![n], tshape.clone()].concat();
        let chunk = [vec![1], tshape].concat();
        let mut b = file.new_dataset::<f32>();
        b = b.chunk(chunk).obj_track_times(false);
        if hdf5::filters::deflate_available() {
            b = b.shuffle().deflate(4);
        }
        let traj = b.shape(shape).create("trajectories").map_err(&e)?;
        let w = Self {
            moments: Moments::new(meta.channels.len()),
            meta,
            target,
            file,
            traj,
            written: 0,
        };
        w.write_header().map_err(&e)?;
        Ok(w)
    }

    fn write_header(&self) -> hdf5::Result<()> {
        let m = &self.meta;
        let root: &Location = &self.file;
        put_str(root, "format", FORMAT)?;
        put_attr(root, "format_version", &FORMAT_VERSION)?;
        put_str(root, "system", m.system().name())?;
        put_str(root, "preset", &m.preset)?;
        put_attr(root, "seed", &m.seed())?;
        put_str(root, "pdd_version", &m.pdd_version)?;
        put_attr(root, "frame_dt", &m.frame_dt)?;
        put_attr(root, "frames", &(m.frames as u64))?;
        put_str(root, "channels", &m.channels.join(","))?;
        let dims: Vec<u64> = m.grid.dims().iter().map(|&d| d as u64).collect();
        put_array(root, "grid_dims", &dims)?;
        put_attr(root, "domain_length", &m.grid.length())?;
        put_attr(root, "trajectories_total", &(m.total() as u64))?;
        put_attr(root, "index_start", &(m.range.start as u64))?;
        put_attr(root, "index_end", &(m.range.end as u64))?;
        let (si, sc) = m.shard.map_or((0, 1), |s| (s.index as u64, s.count as u64));
        put_attr(root, "shard_index", &si)?;
        put_attr(root, "shard_count", &sc)?;
        let json =
            serde_json::to_string(&m.config).map_err(|e| hdf5::Error::from(e.to_string()))?;
        put_str(root, "config", &json)?;
        let params = self.file.create_group("params")?;
        if let serde_json::Value::Object(map) = m.config.params_json() {
            for (k, v) in &map {
                put_json(&params, k, v)?;
            }
        }
        let splits = self.file.create_group("splits")?;
        for &s in Split::ALL {
            let idx: Vec<u64> = m.splits.get(s).iter().map(|&i| i as u64).collect();
            splits
                .new_dataset::<u64>()
                .obj_track_times(false)
                .shape(idx.len())
                .create(s.name())?
                .write_raw(&idx)?;
        }
        Ok(())
    }

    /// Global index of the next trajectory to write.
    pub fn next_index(&self) -> usize {
        self.meta.range.start + self.written
    }

    /// Appends the next trajectory (`[C, F, *grid]`, `trajectory_len()` values).
    pub fn push(&mut self, traj: &[f32]) -> Result<()> {
        let len = self.meta.trajectory_len();
        if traj.len() != len {
            return Err(Error::shape("DatasetWriter::push", len, traj.len()));
        }
        if self.written >= self.meta.range.len() {
            return Err(Error::Other(format!(
                "DatasetWriter::push: all {} trajectories already written",
                self.meta.range.len()
            )));
        }
        let tshape = self.meta.trajectory_shape();
        let shape = [vec![1], tshape].concat();
        let view = ndarray::ArrayView::from_shape(IxDyn(&shape), traj).expect("length checked");
        let full = [vec![self.meta.range.len()], shape[1..].to_vec()].concat();
        self.traj
            .write_slice(&view, rows(self.written, 1, &full))
            .map_err(h5err(self.target.temp_path()))?;
        let index = self.next_index();
        if self.meta.splits.train.binary_search(&index).is_ok() {
            self.moments.add(traj);
        }
        self.written += 1;
        Ok(())
    }

    /// Writes the statistics (complete files), closes the file and renames it into place.
    /// Fails if not every trajectory of the range was pushed.
    pub fn finish(mut self) -> Result<Metadata> {
        if self.written != self.meta.range.len() {
            return Err(Error::Other(format!(
                "dataset incomplete: {} of {} trajectories written",
                self.written,
                self.meta.range.len()
            )));
        }
        let tmp = self.target.temp_path().to_path_buf();
        if self.meta.is_complete() {
            let stats = self.moments.stats();
            let write = || -> hdf5::Result<()> {
                let g = self.file.create_group("stats")?;
                for (name, v) in [("mean", &stats.mean), ("std", &stats.std)] {
                    g.new_dataset::<f64>()
                        .obj_track_times(false)
                        .shape(v.len())
                        .create(name)?
                        .write_raw(v)?;
                }
                Ok(())
            };
            write().map_err(h5err(&tmp))?;
            self.meta.stats = Some(stats);
        }
        let Self { meta, target, file, traj, .. } = self;
        drop(traj);
        file.close().map_err(h5err(&tmp))?;
        target.commit()?;
        Ok(meta)
    }
}

/// An open dataset file (read-only).
pub struct Dataset {
    path: PathBuf,
    traj: hdf5::Dataset,
    meta: Metadata,
    _file: hdf5::File,
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataset").field("path", &self.path).field("meta", &self.meta).finish()
    }
}

fn get_attr<T: H5Type>(loc: &Location, name: &str) -> hdf5::Result<T> {
    loc.attr(name)?.read_scalar()
}

fn get_str(loc: &Location, name: &str) -> hdf5::Result<String> {
    Ok(get_attr::<VarLenUnicode>(loc, name)?.as_str().to_string())
}

/// The metadata attributes and datasets of an open pdd dataset file (its `format` checked).
fn read_metadata(file: &hdf5::File) -> hdf5::Result<Metadata> {
    let root: &Location = file;
    let version: u32 = get_attr(root, "format_version")?;
    if version != FORMAT_VERSION {
        return Err(format!(
            "format_version {version} is not supported (expected {FORMAT_VERSION})"
        )
        .into());
    }
    let config: DataConfig = serde_json::from_str(&get_str(root, "config")?)
        .map_err(|e| hdf5::Error::from(format!("bad `config` attribute: {e}")))?;
    let dims: Vec<u64> = root.attr("grid_dims")?.read_raw()?;
    let dims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    let grid = Grid::new(&dims, get_attr(root, "domain_length")?)
        .map_err(|e| hdf5::Error::from(e.to_string()))?;
    let start = get_attr::<u64>(root, "index_start")? as usize;
    let end = get_attr::<u64>(root, "index_end")? as usize;
    let (si, sc) = (get_attr::<u64>(root, "shard_index")?, get_attr::<u64>(root, "shard_count")?);
    let mut splits = SplitIndices::default();
    for &s in Split::ALL {
        let v: Vec<u64> = file.dataset(&format!("splits/{}", s.name()))?.read_raw()?;
        let v = v.into_iter().map(|i| i as usize).collect();
        match s {
            Split::Train => splits.train = v,
            Split::Valid => splits.valid = v,
            Split::Test => splits.test = v,
        }
    }
    let stats = if file.link_exists("stats") {
        Some(Stats {
            mean: file.dataset("stats/mean")?.read_raw()?,
            std: file.dataset("stats/std")?.read_raw()?,
        })
    } else {
        None
    };
    Ok(Metadata {
        preset: get_str(root, "preset")?,
        pdd_version: get_str(root, "pdd_version")?,
        grid,
        frames: get_attr::<u64>(root, "frames")? as usize,
        frame_dt: get_attr(root, "frame_dt")?,
        range: start..end,
        shard: (sc > 1).then_some(Shard { index: si as usize, count: sc as usize }),
        splits,
        stats,
        channels: get_str(root, "channels")?.split(',').map(String::from).collect(),
        config,
    })
}

/// Checks the stored splits of a file against its recorded `[data]` configuration: the
/// configuration must be valid (splits disjoint and inside the dataset) and `/splits/*` must be
/// exactly the splits it defines, so an edited split cannot be scored as another.
fn check_splits(meta: &Metadata) -> std::result::Result<(), String> {
    meta.config.validate().map_err(|e| {
        format!("its recorded [data] configuration (`config` attribute) is invalid: {e}")
    })?;
    let want = SplitIndices::from_config(&meta.config);
    for split in [Split::Train, Split::Valid, Split::Test] {
        let (got, want) = (meta.splits.get(split), want.get(split));
        if got != want {
            let range = |v: &[usize]| match (v.first(), v.last()) {
                (Some(a), Some(b)) => format!("{} indices from {a} to {b}", v.len()),
                _ => "no index".into(),
            };
            return Err(format!(
                "/splits/{} holds {}, but the `config` attribute defines {}: the file was \
                 edited after it was written; regenerate it",
                split.name(),
                range(got),
                range(want)
            ));
        }
    }
    Ok(())
}

impl Dataset {
    /// Opens a dataset file. Missing, truncated, corrupt or foreign files give
    /// [`Error::BadFile`] naming the file and the problem.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let bad = |reason: String| Error::bad_file(&path, reason);
        if !path.is_file() {
            return Err(bad("no such file".into()));
        }
        let file = hdf5::File::open(&path)
            .map_err(|e| bad(format!("not a readable HDF5 file (truncated or corrupt?): {e}")))?;
        let root: &Location = &file;
        match get_str(root, "format") {
            Ok(f) if f == FORMAT => {}
            _ => {
                return Err(bad(format!(
                    "not a pdd dataset (no `format = \"{FORMAT}\"` attribute)"
                )));
            }
        }
        let read = || Ok::<_, hdf5::Error>((read_metadata(&file)?, file.dataset("trajectories")?));
        let (meta, traj) = read().map_err(|e| bad(format!("damaged pdd dataset: {e}")))?;
        let expect = [vec![meta.range.len()], meta.trajectory_shape()].concat();
        if traj.shape() != expect {
            return Err(bad(format!(
                "/trajectories has shape {:?}, metadata says {expect:?}",
                traj.shape()
            )));
        }
        if meta.range.end > meta.total() || meta.range.start > meta.range.end {
            return Err(bad(format!(
                "index range {:?} outside the dataset of {}",
                meta.range,
                meta.total()
            )));
        }
        if let Some(s) = &meta.stats
            && (s.mean.len() != meta.channels.len() || s.std.len() != meta.channels.len())
        {
            return Err(bad("statistics do not have one value per channel".into()));
        }
        check_splits(&meta).map_err(bad)?;
        Ok(Self { path, traj, meta, _file: file })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Metadata (system, grid, channels, frames, frame Δt, splits, statistics, parameters).
    pub fn metadata(&self) -> &Metadata {
        &self.meta
    }

    /// Number of trajectories in this file.
    pub fn len(&self) -> usize {
        self.meta.range.len()
    }

    /// Whether the file holds no trajectory.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads rows `[start, start + count)` of `/trajectories` (file-local row numbers).
    fn read_rows(&self, start: usize, count: usize) -> Result<ArrayD<f32>> {
        let shape = self.traj.shape();
        self.traj
            .read_slice::<f32, _, IxDyn>(rows(start, count, &shape))
            .map_err(|e| Error::bad_file(&self.path, format!("cannot read trajectories: {e}")))
    }

    fn row_of(&self, index: usize) -> Result<usize> {
        if self.meta.range.contains(&index) {
            Ok(index - self.meta.range.start)
        } else {
            Err(Error::OutOfRange {
                name: "trajectory index".into(),
                value: index as f64,
                range: format!("{:?} (this file)", self.meta.range),
            })
        }
    }

    /// Trajectory with global index `index`: `[C, F, *grid]`.
    pub fn trajectory(&self, index: usize) -> Result<ArrayD<f32>> {
        let row = self.row_of(index)?;
        Ok(self.read_rows(row, 1)?.index_axis_move(Axis(0), 0))
    }

    /// The trajectories with the given global indices, stacked: `[B, C, F, *grid]`.
    pub fn batch(&self, indices: &[usize]) -> Result<ArrayD<f32>> {
        let shape = [vec![indices.len()], self.meta.trajectory_shape()].concat();
        let mut out = ArrayD::<f32>::zeros(IxDyn(&shape));
        for (mut dst, &i) in out.axis_iter_mut(Axis(0)).zip(indices) {
            dst.assign(&self.trajectory(i)?);
        }
        Ok(out)
    }

    /// Every trajectory of the file: `[N, C, F, *grid]`.
    pub fn read_all(&self) -> Result<ArrayD<f32>> {
        self.read_rows(0, self.len())
    }

    /// The trajectories of `split` that this file holds, stacked: `[B, C, F, *grid]`.
    pub fn split_batch(&self, split: Split) -> Result<ArrayD<f32>> {
        let idx: Vec<usize> = self
            .meta
            .splits
            .get(split)
            .iter()
            .copied()
            .filter(|i| self.meta.range.contains(i))
            .collect();
        self.batch(&idx)
    }

    /// Standardised batch `(X − μ_c)/σ_c` of the given global indices (`[B, C, F, *grid]`),
    /// with `stats`, or with the file's stored statistics when `None`.
    pub fn normalised_batch(
        &self,
        indices: &[usize],
        stats: Option<&Stats>,
    ) -> Result<ArrayD<f32>> {
        let stats = match stats {
            Some(s) => s,
            None => self.meta.stats()?,
        };
        let mut b = self.batch(indices)?;
        stats.normalise(&mut b)?;
        Ok(b)
    }
}

/// Joins shard files into one dataset at `out`, identical in numbers and statistics to a single
/// run. Refuses shards of different datasets (parameters, preset, seed, version) and index ranges
/// that overlap or leave gaps.
pub fn merge(
    out: impl AsRef<Path>,
    shards: &[PathBuf],
    overwrite: bool,
    progress: &dyn Progress,
) -> Result<Metadata> {
    if shards.is_empty() {
        return Err(Error::Other("merge: no shard files given".into()));
    }
    let mut files = shards.iter().map(Dataset::open).collect::<Result<Vec<_>>>()?;
    files.sort_by_key(|d| d.meta.range.start);
    let first = &files[0];
    for d in &files[1..] {
        if !first.meta.same_dataset(&d.meta) {
            return Err(Error::bad_file(
                &d.path,
                format!(
                    "belongs to another dataset than {} (parameters, preset, seed, splits or pdd version differ)",
                    first.path.display()
                ),
            ));
        }
    }
    let mut expected = 0;
    for d in &files {
        let r = &d.meta.range;
        if r.start < expected {
            return Err(Error::bad_file(
                &d.path,
                format!("trajectories {r:?} overlap an earlier shard"),
            ));
        }
        if r.start > expected {
            return Err(Error::bad_file(
                &d.path,
                format!("trajectories {expected}..{} are missing before it", r.start),
            ));
        }
        expected = r.end;
    }
    if expected != first.meta.total() {
        return Err(Error::Other(format!(
            "merge: trajectories {expected}..{} are missing (no shard holds them)",
            first.meta.total()
        )));
    }
    let mut meta = first.meta.clone();
    meta.range = 0..meta.total();
    meta.shard = None;
    meta.stats = None;
    let mut w = DatasetWriter::create(out, meta, overwrite)?;
    progress.start("merge", expected as u64);
    for d in &files {
        for row in 0..d.len() {
            let t = d.read_rows(row, 1)?;
            w.push(t.as_slice().expect("standard layout"))?;
            progress.advance(1);
        }
    }
    progress.finish();
    w.finish()
}
