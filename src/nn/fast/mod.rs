//! Fused CPU kernels for the network's hottest ops, as burn ops on the flex backend with their
//! own backward passes; on every other backend they are burn's own ops (docs/performance.md).

mod conv;
mod conv_kernel;
mod flex;
mod norm;
mod norm_kernel;
mod silu;
mod silu_kernel;
mod upsample;

pub use conv::periodic_conv;
pub use flex::{Route, route};
pub use norm::{rms_norm_film_silu, rms_norm_film_silu_reference};
pub use silu::silu;
pub use upsample::{upsample_nearest, upsample_nearest_reference};
