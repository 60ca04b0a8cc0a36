//! Container image layers: apply a layer tar onto a directory (turning OCI whiteouts into
//! overlayfs whiteouts) and produce a layer tar from an overlayfs upper directory, computing the
//! blob digest and the diff id on the way.
#![deny(unsafe_op_in_unsafe_fn)]

mod apply;
mod chunks;
mod compression;
mod create;
mod diff;
mod digest;
mod dir_cache;
mod error;
mod extract;
mod fsmeta;
mod header;
mod placement;
mod resolve;
mod tar_writer;
mod walk;
mod whiteout;

pub use apply::{apply_layer, digest_layer, ApplyStats};
pub use compression::Compression;
pub use diff::{diff_layer, DiffOptions, DiffStats};
pub use error::LayerError;
pub use placement::spread_subdirectories;
