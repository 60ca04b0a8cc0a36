//! Overlay root filesystems: mounted by the engine before start, unmounted by the shim at exit.

use std::path::PathBuf;

use hydock_runtime::overlay;
use pyo3::prelude::*;

use crate::errors::mount_error;

#[pyfunction]
fn mount_overlay(
    py: Python<'_>,
    lowers: Vec<PathBuf>,
    upper: PathBuf,
    work: PathBuf,
    target: PathBuf,
) -> PyResult<()> {
    py.detach(|| overlay::mount_overlay(&lowers, &upper, &work, &target))
        .map_err(|e| mount_error(&e))
}

#[pyfunction]
fn unmount(py: Python<'_>, target: PathBuf) -> PyResult<()> {
    py.detach(|| overlay::unmount(&target))
        .map_err(|e| mount_error(&e))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(mount_overlay, m)?)?;
    m.add_function(wrap_pyfunction!(unmount, m)?)?;
    Ok(())
}
