//! Cgroup statistics, freezing, live limit updates, process listing, and clean-up for containers whose shim is gone.

use hydock_cgroups::{Cgroup, Resources};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::cgroup_error;

#[pyfunction]
fn cgroup_stats<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    let stats = Cgroup::open(name)
        .and_then(|cg| cg.stats())
        .map_err(|e| cgroup_error(&e))?;
    let dict = PyDict::new(py);
    dict.set_item("memory_usage", stats.memory_usage)?;
    dict.set_item("memory_peak", stats.memory_peak)?;
    dict.set_item("memory_limit", stats.memory_limit)?;
    dict.set_item(
        "memory_stat",
        stats
            .memory_stat
            .into_iter()
            .collect::<std::collections::HashMap<_, _>>(),
    )?;
    dict.set_item("cpu_usage_ns", stats.cpu_usage_ns)?;
    dict.set_item("cpu_user_ns", stats.cpu_user_ns)?;
    dict.set_item("cpu_system_ns", stats.cpu_system_ns)?;
    dict.set_item("cpu_periods", stats.cpu_periods)?;
    dict.set_item("cpu_throttled_periods", stats.cpu_throttled_periods)?;
    dict.set_item("cpu_throttled_ns", stats.cpu_throttled_ns)?;
    dict.set_item("pids_current", stats.pids_current)?;
    dict.set_item("pids_limit", stats.pids_limit)?;
    dict.set_item("oom_kills", stats.oom_kills)?;
    Ok(dict)
}

/// Removes a container's cgroup (killing what is left in it); a cgroup already gone is fine.
#[pyfunction]
fn cgroup_destroy(py: Python<'_>, name: &str) -> PyResult<()> {
    py.detach(|| match Cgroup::open(name) {
        Ok(cg) => cg.destroy(),
        Err(_) => Ok(()),
    })
    .map_err(|e| cgroup_error(&e))
}

/// Freezes every process of the cgroup (Docker's pause); returns once all are frozen.
#[pyfunction]
fn cgroup_freeze(py: Python<'_>, name: &str) -> PyResult<()> {
    py.detach(|| Cgroup::open(name).and_then(|cg| cg.freeze()))
        .map_err(|e| cgroup_error(&e))
}

#[pyfunction]
fn cgroup_thaw(py: Python<'_>, name: &str) -> PyResult<()> {
    py.detach(|| Cgroup::open(name).and_then(|cg| cg.thaw()))
        .map_err(|e| cgroup_error(&e))
}

/// Changes the limits of a live cgroup; a None leaves that setting as it is.
#[pyfunction]
#[pyo3(signature = (name, *, memory=None, memory_swap=None, cpu_shares=None, cpu_quota=None, cpu_period=None, pids_limit=None))]
#[allow(clippy::too_many_arguments)]
fn cgroup_update(
    py: Python<'_>,
    name: &str,
    memory: Option<i64>,
    memory_swap: Option<i64>,
    cpu_shares: Option<u64>,
    cpu_quota: Option<i64>,
    cpu_period: Option<u64>,
    pids_limit: Option<i64>,
) -> PyResult<()> {
    let resources = Resources {
        memory_limit: memory,
        memory_swap,
        cpu_shares,
        cpu_quota,
        cpu_period,
        pids_limit,
        ..Resources::default()
    };
    py.detach(|| Cgroup::open(name).and_then(|cg| cg.update(&resources)))
        .map_err(|e| cgroup_error(&e))
}

/// The pids in the cgroup and those below it, sorted.
#[pyfunction]
fn cgroup_processes(py: Python<'_>, name: &str) -> PyResult<Vec<i32>> {
    py.detach(|| Cgroup::open(name).and_then(|cg| cg.processes()))
        .map_err(|e| cgroup_error(&e))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cgroup_stats, m)?)?;
    m.add_function(wrap_pyfunction!(cgroup_destroy, m)?)?;
    m.add_function(wrap_pyfunction!(cgroup_freeze, m)?)?;
    m.add_function(wrap_pyfunction!(cgroup_thaw, m)?)?;
    m.add_function(wrap_pyfunction!(cgroup_update, m)?)?;
    m.add_function(wrap_pyfunction!(cgroup_processes, m)?)?;
    Ok(())
}
