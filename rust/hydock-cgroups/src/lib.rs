//! Per-container cgroups on v1 (per-controller, and hybrid) and v2 hierarchies: creation, limits,
//! membership, freezing, killing, usage stats and OOM accounting.
//!
//! The hierarchies are found in /proc/self/mountinfo ([`Layout::detect`]); a cgroup2 mount can
//! also be named explicitly ([`Layout::unified`]).

#![deny(unsafe_op_in_unsafe_fn)]

mod cgroup;
mod cgroupfs;
mod detect;
mod dirs;
mod error;
mod name;
mod placement;
mod resources;
mod stats;
mod tasks;
mod v1;
mod v2;

use std::time::Duration;

pub use cgroup::Cgroup;
pub use cgroupfs::FsError;
pub use detect::{detect, DetectError, Layout, Version};
pub use dirs::DirError;
pub use error::CgroupError;
pub use placement::Placement;
pub use resources::{ResourceError, Resources};
pub use stats::Stats;
pub use tasks::TaskError;

/// How often waits on the kernel (freezing, emptying, busy rmdir) look again.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
