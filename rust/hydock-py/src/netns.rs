//! Pinned network namespaces for the engine's networking: create one (handing back a netlink socket
//! inside it), reach into one, remove one.

use std::os::fd::IntoRawFd;
use std::path::PathBuf;

use hydock_runtime::netns;
use pyo3::prelude::*;

use crate::errors::network_error;

/// Returns the file descriptor of a netlink socket inside the new namespace, the caller's to close.
#[pyfunction]
fn create_netns(py: Python<'_>, path: PathBuf) -> PyResult<i32> {
    py.detach(|| netns::create(&path))
        .map(IntoRawFd::into_raw_fd)
        .map_err(|e| network_error(&e))
}

/// A netlink socket inside the namespace at `path` (a pin or /proc/PID/ns/net), the caller's to close.
#[pyfunction]
fn netns_route_socket(py: Python<'_>, path: PathBuf) -> PyResult<i32> {
    py.detach(|| netns::route_socket_in(&path))
        .map(IntoRawFd::into_raw_fd)
        .map_err(|e| network_error(&e))
}

#[pyfunction]
fn remove_netns(py: Python<'_>, path: PathBuf) -> PyResult<()> {
    py.detach(|| netns::remove(&path))
        .map_err(|e| network_error(&e))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(create_netns, m)?)?;
    m.add_function(wrap_pyfunction!(netns_route_socket, m)?)?;
    m.add_function(wrap_pyfunction!(remove_netns, m)?)?;
    Ok(())
}
