//! Fused CPU kernels for the network's hottest ops, as burn ops on the flex backend with their
//! own backward passes; on every other backend they are burn's own ops (docs/performance.md).

mod conv;
mod conv_kernel;
mod flex;
mod silu;
mod silu_kernel;

pub use conv::periodic_conv;
pub use flex::{Route, route};
pub use silu::silu;
