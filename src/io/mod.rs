//! Files: atomic writes and HDF5 datasets.
//!
//! * [`atomic`]: write to a temporary name in the target's directory, rename when complete, never
//!   overwrite unless asked.
//! * [`dataset`]: the HDF5 trajectory dataset (writer, reader, merge of shards).
//! * [`disk`]: free space, so that a write failing on a full disk says so.
//! * [`samples`]: HDF5 files of generated paths with their settings.

pub mod atomic;
pub mod dataset;
pub mod disk;
pub mod generate;
pub mod samples;
pub mod second_order;

pub use atomic::{AtomicFile, check_output, check_target, write_atomic};
pub use dataset::{
    Dataset, DatasetWriter, FieldLayout, Metadata, Split, SplitIndices, Stats, merge,
};
pub use generate::generate;
pub use samples::{read_samples, write_samples};
pub use second_order::{read_second_order, second_order_is_current, write_second_order};
