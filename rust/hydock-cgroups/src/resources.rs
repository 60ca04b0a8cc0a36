//! Container resource limits as Docker expresses them, normalised into what cgroup files take.

/// Limits for one container, with Docker's conventions: `None` (or 0) leaves a setting alone,
/// -1 means unlimited.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resources {
    /// Bytes of memory.
    pub memory_limit: Option<i64>,
    /// Soft limit in bytes (v1 soft limit, v2 memory.low).
    pub memory_reservation: Option<i64>,
    /// Memory plus swap in bytes; unset with a memory limit means twice the memory limit.
    pub memory_swap: Option<i64>,
    /// Relative CPU weight, 2..=262144 (v2 converts it to cpu.weight).
    pub cpu_shares: Option<u64>,
    /// Microseconds of CPU time per period.
    pub cpu_quota: Option<i64>,
    /// Length of a CFS period in microseconds.
    pub cpu_period: Option<u64>,
    /// CPUs allowed, in list format ("0-2,5").
    pub cpuset_cpus: Option<String>,
    /// Memory nodes allowed, in list format.
    pub cpuset_mems: Option<String>,
    /// Maximum number of tasks; 0 or -1 means unlimited.
    pub pids_limit: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error("invalid {field} {value}: {reason}")]
    Invalid {
        field: &'static str,
        value: i64,
        reason: &'static str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    Unlimited,
    Value(u64),
}

impl Limit {
    /// `unlimited` is how the target file spells it: "-1" for v1 memory and CFS, "max" elsewhere.
    pub fn render(self, unlimited: &str) -> String {
        match self {
            Limit::Unlimited => unlimited.to_string(),
            Limit::Value(v) => v.to_string(),
        }
    }

    /// For comparing against a limit read back from the kernel.
    pub fn as_u64(self) -> u64 {
        match self {
            Limit::Unlimited => u64::MAX,
            Limit::Value(v) => v,
        }
    }
}

/// Memory settings after applying Docker's rules; `None` fields are left untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct MemoryLimits {
    pub limit: Option<Limit>,
    pub reservation: Option<Limit>,
    /// Memory plus swap, as v1's memory.memsw.limit_in_bytes takes it.
    pub memory_and_swap: Option<Limit>,
    /// Swap alone, as v2's memory.swap.max takes it.
    pub swap: Option<Limit>,
}

impl Resources {
    pub(crate) fn memory_limits(&self) -> Result<MemoryLimits, ResourceError> {
        let limit = memory_bytes("memory_limit", self.memory_limit)?;
        let reservation = memory_bytes("memory_reservation", self.memory_reservation)?;
        let memory_and_swap = match (self.memory_swap.unwrap_or(0), limit) {
            (-1, _) => Some(Limit::Unlimited),
            (0, Some(Limit::Value(memory))) => Some(Limit::Value(memory.saturating_mul(2))),
            (0, other) => other,
            (total, Some(Limit::Value(memory))) if total > 0 && total as u64 >= memory => {
                Some(Limit::Value(total as u64))
            }
            (total, Some(Limit::Value(_))) if total > 0 => {
                return Err(invalid(
                    "memory_swap",
                    total,
                    "must be at least memory_limit",
                ));
            }
            (total, _) if total > 0 => {
                return Err(invalid("memory_swap", total, "needs a memory_limit"));
            }
            (total, _) => return Err(invalid("memory_swap", total, "must be positive, 0 or -1")),
        };
        let swap = match (memory_and_swap, limit) {
            (Some(Limit::Value(total)), Some(Limit::Value(memory))) => {
                Some(Limit::Value(total - memory))
            }
            (total, _) => total,
        };
        Ok(MemoryLimits {
            limit,
            reservation,
            memory_and_swap,
            swap,
        })
    }

    pub(crate) fn cpu_quota_limit(&self) -> Option<Limit> {
        match self.cpu_quota? {
            0 => None,
            quota if quota < 0 => Some(Limit::Unlimited),
            quota => Some(Limit::Value(quota as u64)),
        }
    }

    pub(crate) fn cpu_period_us(&self) -> Option<u64> {
        self.cpu_period.filter(|p| *p > 0)
    }

    pub(crate) fn cpu_shares_value(&self) -> Option<u64> {
        self.cpu_shares.filter(|s| *s > 0)
    }

    pub(crate) fn pids_max(&self) -> Option<Limit> {
        match self.pids_limit? {
            limit if limit > 0 => Some(Limit::Value(limit as u64)),
            _ => Some(Limit::Unlimited),
        }
    }
}

fn memory_bytes(field: &'static str, value: Option<i64>) -> Result<Option<Limit>, ResourceError> {
    match value.unwrap_or(0) {
        0 => Ok(None),
        -1 => Ok(Some(Limit::Unlimited)),
        bytes if bytes > 0 => Ok(Some(Limit::Value(bytes as u64))),
        bytes => Err(invalid(field, bytes, "must be positive, 0 or -1")),
    }
}

fn invalid(field: &'static str, value: i64, reason: &'static str) -> ResourceError {
    ResourceError::Invalid {
        field,
        value,
        reason,
    }
}

/// v2 cpu.weight (1..=10000) for v1 cpu.shares (2..=262144), mapping the ends of one range onto
/// the ends of the other linearly, so 1024 (the default share) becomes 39 as with runc and crun.
pub(crate) fn shares_to_weight(shares: u64) -> u64 {
    let shares = shares.clamp(2, 262_144);
    1 + ((shares - 2) * 9999) / 262_142
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_map_onto_weight_range() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(512), 20);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(shares_to_weight(1), 1);
        assert_eq!(shares_to_weight(1 << 30), 10_000);
    }

    fn memory(limit: i64, swap: Option<i64>) -> Result<MemoryLimits, ResourceError> {
        Resources {
            memory_limit: Some(limit),
            memory_swap: swap,
            ..Default::default()
        }
        .memory_limits()
    }

    #[test]
    fn swap_defaults_to_twice_memory_like_docker() {
        let m = memory(32 << 20, None).unwrap();
        assert_eq!(m.limit, Some(Limit::Value(32 << 20)));
        assert_eq!(m.memory_and_swap, Some(Limit::Value(64 << 20)));
        assert_eq!(m.swap, Some(Limit::Value(32 << 20)));
    }

    #[test]
    fn explicit_and_unlimited_swap() {
        let m = memory(100, Some(150)).unwrap();
        assert_eq!(
            (m.memory_and_swap, m.swap),
            (Some(Limit::Value(150)), Some(Limit::Value(50)))
        );
        let m = memory(100, Some(-1)).unwrap();
        assert_eq!(
            (m.memory_and_swap, m.swap),
            (Some(Limit::Unlimited), Some(Limit::Unlimited))
        );
        let m = memory(-1, None).unwrap();
        assert_eq!(
            (m.limit, m.swap),
            (Some(Limit::Unlimited), Some(Limit::Unlimited))
        );
        assert_eq!(
            Resources::default().memory_limits().unwrap(),
            MemoryLimits::default()
        );
    }

    #[test]
    fn inconsistent_memory_settings_are_rejected() {
        assert!(memory(100, Some(50)).is_err());
        assert!(memory(-5, None).is_err());
        let swap_without_memory = Resources {
            memory_swap: Some(100),
            ..Default::default()
        };
        let err = swap_without_memory.memory_limits().unwrap_err().to_string();
        assert!(err.contains("memory_swap") && err.contains("100"), "{err}");
    }

    #[test]
    fn docker_conventions_for_cpu_and_pids() {
        let r = |quota, pids| Resources {
            cpu_quota: Some(quota),
            pids_limit: Some(pids),
            ..Default::default()
        };
        assert_eq!(r(0, 0).cpu_quota_limit(), None);
        assert_eq!(r(-1, -1).cpu_quota_limit(), Some(Limit::Unlimited));
        assert_eq!(r(50_000, 10).cpu_quota_limit(), Some(Limit::Value(50_000)));
        assert_eq!(r(0, 0).pids_max(), Some(Limit::Unlimited));
        assert_eq!(r(0, -1).pids_max(), Some(Limit::Unlimited));
        assert_eq!(r(0, 10).pids_max(), Some(Limit::Value(10)));
        assert_eq!(Limit::Unlimited.render("max"), "max");
        assert_eq!(Limit::Value(7).render("-1"), "7");
    }
}
