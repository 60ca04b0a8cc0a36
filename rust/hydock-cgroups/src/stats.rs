//! A point-in-time reading of a container cgroup's usage counters.

/// Usage counters in the units `docker stats` works in (bytes, nanoseconds, counts).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub memory_usage: u64,
    /// Highest memory usage seen; 0 on v2 kernels older than 5.19, which do not track it.
    pub memory_peak: u64,
    /// `None` when unlimited.
    pub memory_limit: Option<u64>,
    /// The memory.stat entries as the kernel names them (they differ between v1 and v2).
    pub memory_stat: Vec<(String, u64)>,
    pub cpu_usage_ns: u64,
    pub cpu_user_ns: u64,
    pub cpu_system_ns: u64,
    /// CFS bandwidth periods elapsed; 0 on a v2 cgroup without the cpu controller, which
    /// cannot be throttled.
    pub cpu_periods: u64,
    pub cpu_throttled_periods: u64,
    pub cpu_throttled_ns: u64,
    pub pids_current: u64,
    /// `None` when unlimited.
    pub pids_limit: Option<u64>,
    pub oom_kills: u64,
}
