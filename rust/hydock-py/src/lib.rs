//! `hydock._core`: the Python face of the Rust crates. Each module here binds one domain and
//! converts that domain's errors into the typed exceptions of `hydock.errors`.
#![deny(unsafe_op_in_unsafe_fn)]

mod cgroup;
mod container;
mod errors;
mod layer;
mod mount;
mod netns;
mod shim_binary;
mod spawn;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    layer::register(m)?;
    mount::register(m)?;
    cgroup::register(m)?;
    container::register(m)?;
    netns::register(m)?;
    Ok(())
}
