//! Cgroup statistics and clean-up for containers whose shim is gone.

use hydock_cgroups::Cgroup;
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cgroup_stats, m)?)?;
    m.add_function(wrap_pyfunction!(cgroup_destroy, m)?)?;
    Ok(())
}
