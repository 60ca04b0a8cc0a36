//! The exceptions are defined once, in Python (`hydock/errors.py`); Rust raises them by import.

use pyo3::import_exception;
use pyo3::prelude::*;

import_exception!(hydock.errors, LayerError);
import_exception!(hydock.errors, MountError);
import_exception!(hydock.errors, CgroupError);
import_exception!(hydock.errors, ContainerStartError);
import_exception!(hydock.errors, NetworkError);

pub fn layer_error(err: &hydock_layer::LayerError) -> PyErr {
    LayerError::new_err((err.to_string(), err.step()))
}

pub fn mount_error(err: &hydock_runtime::overlay::MountError) -> PyErr {
    MountError::new_err((err.to_string(), "mount"))
}

pub fn network_error(err: &hydock_runtime::netns::NetnsError) -> PyErr {
    NetworkError::new_err((err.to_string(), err.step()))
}

pub fn view_error(err: &hydock_runtime::view::ViewError) -> PyErr {
    MountError::new_err((err.to_string(), "view"))
}

pub fn cgroup_error(err: &hydock_cgroups::CgroupError) -> PyErr {
    CgroupError::new_err((err.to_string(), "cgroup"))
}

/// `exit_code` follows Docker: 127 when the command is not found, 126 when it cannot be run.
pub fn start_error(message: &str, step: &str, exit_code: i32) -> PyErr {
    ContainerStartError::new_err((message.to_string(), step.to_string(), exit_code))
}
