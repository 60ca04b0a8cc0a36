//! Overlay root filesystems (mounted by the engine before start, unmounted by the shim at exit) and
//! the private views of a container's filesystem that cp, export and volume copy-up work in.

use std::os::fd::{BorrowedFd, IntoRawFd};
use std::path::PathBuf;

use hydock_runtime::{overlay, view};
use oci_spec::runtime::Mount;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

use crate::errors::{mount_error, view_error};

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

#[pyfunction]
fn enter_private_mount_namespace() -> PyResult<()> {
    view::enter_private_mount_namespace().map_err(|e| view_error(&e))
}

/// `mounts` is the JSON array of OCI mount entries, as in a runtime spec.
#[pyfunction]
fn mount_inside(py: Python<'_>, root: PathBuf, mounts: &[u8]) -> PyResult<()> {
    let mounts: Vec<Mount> = serde_json::from_slice(mounts)
        .map_err(|e| PyValueError::new_err(format!("mount entries: {e}")))?;
    py.detach(|| view::mount_inside(&root, &mounts))
        .map_err(|e| view_error(&e))
}

/// A new O_PATH file descriptor, the caller's to close.
#[pyfunction]
fn open_in_root(py: Python<'_>, root_fd: i32, path: PathBuf) -> PyResult<i32> {
    py.detach(|| {
        // SAFETY: the caller keeps `root_fd` open for the duration of this call.
        let root = unsafe { BorrowedFd::borrow_raw(root_fd) };
        view::open_in_root(root, &path)
    })
    .map(IntoRawFd::into_raw_fd)
    .map_err(|errno| {
        let code = errno.raw_os_error();
        let description = nix::errno::Errno::from_raw(code).desc();
        PyOSError::new_err((code, description, path))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(mount_overlay, m)?)?;
    m.add_function(wrap_pyfunction!(unmount, m)?)?;
    m.add_function(wrap_pyfunction!(enter_private_mount_namespace, m)?)?;
    m.add_function(wrap_pyfunction!(mount_inside, m)?)?;
    m.add_function(wrap_pyfunction!(open_in_root, m)?)?;
    Ok(())
}
