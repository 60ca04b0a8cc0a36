//! The error type of layer apply and diff; every variant names the step, the entry or path, and
//! the underlying cause.

use std::io;
use std::path::PathBuf;

/// Why applying or producing a layer failed.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// The layer input could not be read or decompressed (I/O error, bad gzip or zstd data).
    #[error("reading layer input: {source}")]
    Read { source: io::Error },
    /// The raw layer bytes could not be copied to the tee writer.
    #[error("copying layer input to the tee writer: {source}")]
    Tee { source: io::Error },
    /// The uncompressed stream is not a well-formed, complete tar archive.
    #[error("malformed tar stream at {at}: {source}")]
    Tar { at: String, source: io::Error },
    /// An entry would be written outside the target directory.
    #[error("tar entry {entry:?} escapes the target directory: {reason}")]
    Escape { entry: String, reason: &'static str },
    /// Creating an entry or setting its metadata failed.
    #[error("tar entry {entry:?}: {action}: {source}")]
    Entry {
        entry: String,
        action: &'static str,
        source: io::Error,
    },
    /// An entry that cannot be applied as it stands (unsupported type, link without a target,
    /// whiteout of `..`).
    #[error("tar entry {entry:?} cannot be applied: {reason}")]
    Invalid { entry: String, reason: &'static str },
    /// The directory to apply onto or to diff could not be opened.
    #[error("opening directory {path}: {source}")]
    Target { path: PathBuf, source: io::Error },
    /// Reading a file of the upper directory failed while producing a layer.
    #[error("diff of {path:?}: {action}: {source}")]
    Diff {
        path: String,
        action: &'static str,
        source: io::Error,
    },
    /// The produced layer could not be written to the output.
    #[error("writing layer output: {source}")]
    Write { source: io::Error },
}

impl LayerError {
    /// A short, stable name of the step that failed, for callers that map errors to kinds.
    pub fn step(&self) -> &'static str {
        match self {
            LayerError::Read { .. } => "read",
            LayerError::Tee { .. } => "tee",
            LayerError::Tar { .. } => "tar",
            LayerError::Escape { .. } => "escape",
            LayerError::Entry { .. } | LayerError::Invalid { .. } => "entry",
            LayerError::Target { .. } => "target",
            LayerError::Diff { .. } => "diff",
            LayerError::Write { .. } => "write",
        }
    }
}

/// Renders a tar or filesystem path for error messages and keys, lossily for non-UTF-8 bytes.
pub(crate) fn display_path(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// An I/O failure tagged with the operation that failed; the caller adds the entry or path.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) action: &'static str,
    pub(crate) source: io::Error,
}

/// Tags an I/O result with the operation it came from.
pub(crate) trait ActionContext<T> {
    fn during(self, action: &'static str) -> Result<T, Failed>;
}

impl<T, E: Into<io::Error>> ActionContext<T> for Result<T, E> {
    fn during(self, action: &'static str) -> Result<T, Failed> {
        self.map_err(|err| Failed {
            action,
            source: err.into(),
        })
    }
}

/// Why one tar entry failed, before the entry's name is attached.
pub(crate) enum EntryFailure {
    Escape(&'static str),
    Invalid(&'static str),
    /// The archive itself is bad at this entry (header fields, data cut short).
    Malformed(io::Error),
    Io(Failed),
}

impl From<Failed> for EntryFailure {
    fn from(failed: Failed) -> Self {
        EntryFailure::Io(failed)
    }
}

impl EntryFailure {
    pub(crate) fn for_entry(self, entry: String) -> LayerError {
        match self {
            EntryFailure::Escape(reason) => LayerError::Escape { entry, reason },
            EntryFailure::Invalid(reason) => LayerError::Invalid { entry, reason },
            EntryFailure::Malformed(source) => LayerError::Tar {
                at: format!("entry {entry:?}"),
                source,
            },
            EntryFailure::Io(Failed { action, source }) => LayerError::Entry {
                entry,
                action,
                source,
            },
        }
    }
}
