//! The loops our operators run. Those in `with_best_isa!` are compiled twice on x86-64, for
//! SSE2 and with AVX2 (8 floats per instruction instead of 4), the copy chosen at run time;
//! the 1×1 convolution's tiles are written with AVX2 + FMA and AVX-512 intrinsics.

mod add_prelu;
mod conv3x3;
mod max_pool;
mod pointwise;

pub(super) use add_prelu::add_prelu;
pub(super) use conv3x3::{Geometry, conv3x3};
pub(super) use max_pool::max_pool;
pub(super) use pointwise::{Epilogue, group_weights, pointwise, pointwise_is_fast};
