//! Files: atomic writes and HDF5 datasets.
//!
//! * [`atomic`]: write to a temporary name in the target's directory, rename when complete, never
//!   overwrite unless asked.
//! * [`dataset`]: the HDF5 trajectory dataset (writer, reader, merge of shards).

pub mod atomic;
pub mod dataset;

pub use atomic::AtomicFile;
pub use dataset::{Dataset, DatasetWriter, Metadata, Split, SplitIndices, Stats, merge};
