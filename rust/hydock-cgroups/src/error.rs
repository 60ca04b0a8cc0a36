//! The error every public operation returns, wrapping the per-module errors.

use std::path::PathBuf;
use std::time::Duration;

use crate::cgroupfs::FsError;
use crate::detect::DetectError;
use crate::dirs::DirError;
use crate::resources::ResourceError;
use crate::tasks::TaskError;

#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error(transparent)]
    Detect(#[from] DetectError),
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error(transparent)]
    Dir(#[from] DirError),
    #[error(transparent)]
    Resources(#[from] ResourceError),
    #[error(transparent)]
    Tasks(#[from] TaskError),
    #[error("invalid cgroup name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("cgroup {name:?} does not exist in any hierarchy")]
    NotFound { name: String },
    #[error("cgroup {name:?} has no {controller} hierarchy mounted")]
    HierarchyMissing {
        name: String,
        controller: &'static str,
    },
    #[error("{path} did not reach {wanted} within {waited:?}")]
    FreezeTimeout {
        path: PathBuf,
        wanted: &'static str,
        waited: Duration,
    },
    #[error("invalid signal number {signal}")]
    InvalidSignal { signal: i32 },
    #[error("cannot read the clock tick rate (sysconf _SC_CLK_TCK): {source}")]
    ClockTicks { source: nix::Error },
}
