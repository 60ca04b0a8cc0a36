//! Real cgroups, as root: v1 (this host's per-controller hierarchies, plus the hybrid unified
//! mount) and v2 (the unified mount taken as a v2 root).

mod support;
mod v1_lifecycle;
mod v1_limits;
mod v2_unified;
