//! `pdd data …`: generate, inspect and merge datasets.

use crate::io::generate;
use crate::io::{Dataset, Metadata, Split};
use crate::presets::Preset;
use crate::systems::{DataConfig, Shard};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `pdd data` arguments.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DataCommand,
}

/// `pdd data` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Generate a dataset (or one shard of it) into an HDF5 file.
    Generate {
        /// Preset name (`pdd presets`) or path to a TOML file with a `[data]` section.
        #[arg(long)]
        preset: String,
        /// Output HDF5 file.
        #[arg(long)]
        out: PathBuf,
        /// Override the number of trajectories; the preset's splits are scaled in proportion
        /// (train [0, 448) of 512 becomes [0, 56) of 64).
        #[arg(long, value_parser = super::positive)]
        trajectories: Option<usize>,
        /// Override the seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Generate only shard `i/n` (0 ≤ i < n) of the trajectories; join with `pdd data merge`.
        #[arg(long)]
        shard: Option<Shard>,
        /// Replace an existing output file.
        #[arg(long)]
        overwrite: bool,
    },
    /// Print a dataset's shape, parameters, splits and statistics.
    Info {
        /// The HDF5 file.
        file: PathBuf,
    },
    /// Join shard files into one dataset (the same file a single run writes).
    Merge {
        /// Output HDF5 file.
        out: PathBuf,
        /// The shard files, in any order.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Replace an existing output file.
        #[arg(long)]
        overwrite: bool,
    },
}

/// Runs `pdd data …`.
pub fn run(args: DataArgs) -> anyhow::Result<()> {
    match args.command {
        DataCommand::Generate { preset, out, trajectories, seed, shard, overwrite } => {
            let p = Preset::load(&preset)?;
            let mut config: DataConfig = p.section("data")?;
            if let Some(n) = trajectories {
                config = config.with_trajectories(n);
            }
            if let Some(s) = seed {
                config.seed = s;
            }
            config.validate()?;
            let bar = crate::progress::terminal_bar();
            let t0 = std::time::Instant::now();
            let meta = generate(&config, &p.name, &out, shard, overwrite, &bar)?;
            println!("wrote {} in {:.1} s", out.display(), t0.elapsed().as_secs_f64());
            print!("{}", describe(&meta));
            Ok(())
        }
        DataCommand::Info { file } => {
            let d = Dataset::open(&file)?;
            println!("file: {}", file.display());
            print!("{}", describe(d.metadata()));
            Ok(())
        }
        DataCommand::Merge { out, shards, overwrite } => {
            let bar = crate::progress::terminal_bar();
            let meta = crate::io::merge(&out, &shards, overwrite, &bar)?;
            println!("wrote {}", out.display());
            print!("{}", describe(&meta));
            Ok(())
        }
    }
}

/// A human-readable summary of a dataset's metadata.
pub fn describe(m: &Metadata) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let shape = [vec![m.range.len()], m.trajectory_shape()].concat();
    let _ = writeln!(
        s,
        "system: {}   preset: {}   seed: {}   pdd {}",
        m.system().name(),
        m.preset,
        m.seed(),
        m.pdd_version
    );
    let _ = writeln!(s, "trajectories: {:?} (shape [N, C, F, *grid] = {shape:?})", m.range);
    let _ = writeln!(
        s,
        "channels: {}   frames: {}   frame dt: {}",
        m.channels.join(", "),
        m.frames,
        m.frame_dt
    );
    match m.shard {
        Some(sh) => {
            let _ = writeln!(
                s,
                "shard {sh} of a dataset of {} trajectories (merge before use)",
                m.total()
            );
        }
        None if !m.is_complete() => {
            let _ = writeln!(s, "partial file of a dataset of {} trajectories", m.total());
        }
        None => {}
    }
    let sizes: Vec<String> = Split::ALL
        .iter()
        .map(|&sp| {
            let idx = m.splits.get(sp);
            match (idx.first(), idx.last()) {
                (Some(a), Some(b)) => format!("{} {} [{a}..={b}]", sp.name(), idx.len()),
                _ => format!("{} 0", sp.name()),
            }
        })
        .collect();
    let _ = writeln!(s, "splits: {}", sizes.join(", "));
    if let Some(st) = &m.stats {
        for (c, name) in m.channels.iter().enumerate() {
            let _ = writeln!(s, "stats[{name}]: mean {:.6}  std {:.6}", st.mean[c], st.std[c]);
        }
    }
    let _ = writeln!(s, "parameters:");
    if let serde_json::Value::Object(map) = m.config.params_json() {
        for (k, v) in map {
            let _ = writeln!(s, "  {k} = {v}");
        }
    }
    s
}
