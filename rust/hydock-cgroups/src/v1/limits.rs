//! Writing resource limits into the v1 controller files.

use std::path::Path;

use super::{V1Cgroup, CPUSET_CPUS, CPUSET_MEMS};
use crate::cgroupfs::{ControlFile, FsError};
use crate::error::CgroupError;
use crate::resources::{Limit, MemoryLimits, Resources};

const MEMORY_LIMIT: ControlFile = ControlFile::new("memory", "memory.limit_in_bytes");
const MEMORY_SOFT_LIMIT: ControlFile = ControlFile::new("memory", "memory.soft_limit_in_bytes");
const MEMSW_LIMIT: ControlFile = ControlFile::new("memory", "memory.memsw.limit_in_bytes");
const CFS_PERIOD: ControlFile = ControlFile::new("cpu", "cpu.cfs_period_us");
const CFS_QUOTA: ControlFile = ControlFile::new("cpu", "cpu.cfs_quota_us");
const CPU_SHARES: ControlFile = ControlFile::new("cpu", "cpu.shares");
const PIDS_MAX: ControlFile = ControlFile::new("pids", "pids.max");

impl V1Cgroup {
    pub fn update(&self, resources: &Resources) -> Result<(), CgroupError> {
        // Everything is validated before the first write.
        let memory = resources.memory_limits()?;
        if memory != MemoryLimits::default() {
            write_memory(self.dir("memory")?, &memory)?;
        }
        let (period, quota, shares) = (
            resources.cpu_period_us(),
            resources.cpu_quota_limit(),
            resources.cpu_shares_value(),
        );
        if period.is_some() || quota.is_some() || shares.is_some() {
            let dir = self.dir("cpu")?;
            // The period first: the quota is checked against it.
            if let Some(period) = period {
                CFS_PERIOD.write(dir, &period.to_string())?;
            }
            if let Some(quota) = quota {
                CFS_QUOTA.write(dir, &quota.render("-1"))?;
            }
            if let Some(shares) = shares {
                CPU_SHARES.write(dir, &shares.to_string())?;
            }
        }
        if resources.cpuset_cpus.is_some() || resources.cpuset_mems.is_some() {
            let dir = self.dir("cpuset")?;
            if let Some(cpus) = &resources.cpuset_cpus {
                CPUSET_CPUS.write(dir, cpus)?;
            }
            if let Some(mems) = &resources.cpuset_mems {
                CPUSET_MEMS.write(dir, mems)?;
            }
        }
        if let Some(pids) = resources.pids_max() {
            PIDS_MAX.write(self.dir("pids")?, &pids.render("max"))?;
        }
        Ok(())
    }
}

/// The memsw limit exists only with swap accounting; without it the swap setting is dropped,
/// as Docker does.
fn write_memory(dir: &Path, memory: &MemoryLimits) -> Result<(), FsError> {
    let memory_and_swap = memory
        .memory_and_swap
        .filter(|_| MEMSW_LIMIT.exists_in(dir));
    match (memory.limit, memory_and_swap) {
        (Some(limit), Some(total)) => {
            // The kernel keeps memsw >= memory after every write, so memsw grows first when the
            // new memory limit would pass the current memsw limit, and memory shrinks first otherwise.
            if limit.as_u64() > MEMSW_LIMIT.read_u64(dir)? {
                write_memory_file(dir, MEMSW_LIMIT, total)?;
                write_memory_file(dir, MEMORY_LIMIT, limit)?;
            } else {
                write_memory_file(dir, MEMORY_LIMIT, limit)?;
                write_memory_file(dir, MEMSW_LIMIT, total)?;
            }
        }
        (Some(limit), None) => write_memory_file(dir, MEMORY_LIMIT, limit)?,
        (None, Some(total)) => write_memory_file(dir, MEMSW_LIMIT, total)?,
        (None, None) => {}
    }
    if let Some(reservation) = memory.reservation {
        write_memory_file(dir, MEMORY_SOFT_LIMIT, reservation)?;
    }
    Ok(())
}

fn write_memory_file(dir: &Path, file: ControlFile, limit: Limit) -> Result<(), FsError> {
    file.write(dir, &limit.render("-1"))
}
