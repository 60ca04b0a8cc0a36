//! Layer apply and diff, with the GIL released while the tar streams.

use std::fs::File;
use std::path::{Path, PathBuf};

use hydock_layer::{
    apply_layer as apply, diff_layer as diff, digest_layer as digest, spread_subdirectories,
    Compression, DiffOptions,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::layer_error;

#[pyclass(frozen, get_all, module = "hydock._core")]
pub struct ApplyStats {
    digest: String,
    diff_id: String,
    compressed_size: u64,
    size: u64,
    compression: &'static str,
}

#[pyclass(frozen, get_all, module = "hydock._core")]
pub struct DiffStats {
    digest: String,
    diff_id: String,
    compressed_size: u64,
    size: u64,
}

impl From<hydock_layer::ApplyStats> for ApplyStats {
    fn from(stats: hydock_layer::ApplyStats) -> Self {
        ApplyStats {
            digest: stats.digest,
            diff_id: stats.diff_id,
            compressed_size: stats.compressed_size,
            size: stats.size,
            compression: compression_name(stats.compression),
        }
    }
}

fn compression_name(compression: Compression) -> &'static str {
    match compression {
        Compression::None => "none",
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    }
}

fn parse_compression(name: &str) -> PyResult<Compression> {
    match name {
        "none" => Ok(Compression::None),
        "gzip" => Ok(Compression::Gzip),
        "zstd" => Ok(Compression::Zstd),
        other => Err(PyValueError::new_err(format!(
            "unknown compression {other:?} (none, gzip, zstd)"
        ))),
    }
}

/// The layer stream: a path, or a file descriptor that stays the caller's (it is duplicated).
#[derive(FromPyObject)]
pub enum Source {
    Fd(i32),
    Path(PathBuf),
}

fn open_source(source: Source) -> std::io::Result<File> {
    match source {
        Source::Path(path) => File::open(path),
        Source::Fd(fd) => {
            let duplicated = nix::unistd::dup(
                // SAFETY: the caller guarantees `fd` is open for the duration of this call.
                unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) },
            )?;
            Ok(File::from(duplicated))
        }
    }
}

#[pyfunction]
#[pyo3(signature = (source, target, tee=None))]
fn apply_layer(
    py: Python<'_>,
    source: Source,
    target: PathBuf,
    tee: Option<PathBuf>,
) -> PyResult<ApplyStats> {
    let input = open_source(source)
        .map_err(|e| crate::errors::LayerError::new_err((format!("opening layer: {e}"), "open")))?;
    let mut tee_file = match tee {
        Some(path) => Some(File::create(&path).map_err(|e| {
            crate::errors::LayerError::new_err((format!("{}: {e}", path.display()), "open"))
        })?),
        None => None,
    };
    let result = py.detach(|| {
        let reader = std::io::BufReader::with_capacity(1 << 20, input);
        apply(
            reader,
            &target,
            tee_file.as_mut().map(|f| f as &mut dyn std::io::Write),
        )
    });
    result.map(ApplyStats::from).map_err(|e| layer_error(&e))
}

#[pyfunction]
fn digest_layer(py: Python<'_>, source: Source) -> PyResult<ApplyStats> {
    let input = open_source(source)
        .map_err(|e| crate::errors::LayerError::new_err((format!("opening layer: {e}"), "open")))?;
    let result = py.detach(|| digest(std::io::BufReader::with_capacity(1 << 20, input)));
    result.map(ApplyStats::from).map_err(|e| layer_error(&e))
}

#[pyfunction]
#[pyo3(signature = (upper, out, compression="gzip", mtime=None))]
fn diff_layer(
    py: Python<'_>,
    upper: PathBuf,
    out: PathBuf,
    compression: &str,
    mtime: Option<i64>,
) -> PyResult<DiffStats> {
    let options = DiffOptions {
        compression: parse_compression(compression)?,
        mtime,
    };
    let file = File::create(&out).map_err(|e| {
        crate::errors::LayerError::new_err((format!("{}: {e}", out.display()), "open"))
    })?;
    let result = py.detach(|| {
        diff(
            Path::new(&upper),
            std::io::BufWriter::with_capacity(1 << 20, file),
            &options,
        )
    });
    let stats = result.map_err(|e| layer_error(&e))?;
    Ok(DiffStats {
        digest: stats.digest,
        diff_id: stats.diff_id,
        compressed_size: stats.compressed_size,
        size: stats.size,
    })
}

/// Asks the filesystem to spread the subdirectories of `path` (the store's layers) over its disk.
#[pyfunction]
fn spread_layers(path: PathBuf) -> PyResult<()> {
    spread_subdirectories(&path).map_err(|e| {
        crate::errors::LayerError::new_err((format!("{}: {e}", path.display()), "placement"))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ApplyStats>()?;
    m.add_class::<DiffStats>()?;
    m.add_function(wrap_pyfunction!(apply_layer, m)?)?;
    m.add_function(wrap_pyfunction!(digest_layer, m)?)?;
    m.add_function(wrap_pyfunction!(diff_layer, m)?)?;
    m.add_function(wrap_pyfunction!(spread_layers, m)?)?;
    Ok(())
}
