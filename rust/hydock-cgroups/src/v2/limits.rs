//! Writing resource limits into the v2 interface files.

use super::V2Cgroup;
use crate::cgroupfs::ControlFile;
use crate::error::CgroupError;
use crate::resources::{shares_to_weight, Limit, Resources};

const MEMORY_MAX: ControlFile = ControlFile::new("memory", "memory.max");
const MEMORY_LOW: ControlFile = ControlFile::new("memory", "memory.low");
const SWAP_MAX: ControlFile = ControlFile::new("memory", "memory.swap.max");
const CPU_MAX: ControlFile = ControlFile::new("cpu", "cpu.max");
const CPU_WEIGHT: ControlFile = ControlFile::new("cpu", "cpu.weight");
const CPUSET_CPUS: ControlFile = ControlFile::new("cpuset", "cpuset.cpus");
const CPUSET_MEMS: ControlFile = ControlFile::new("cpuset", "cpuset.mems");
const PIDS_MAX: ControlFile = ControlFile::new("pids", "pids.max");

impl V2Cgroup {
    /// A limit whose controller is not delegated here fails naming the controller and file.
    pub fn update(&self, resources: &Resources) -> Result<(), CgroupError> {
        // Everything is validated before the first write.
        let memory = resources.memory_limits()?;
        let dir = self.path();
        if let Some(limit) = memory.limit {
            MEMORY_MAX.write(dir, &limit.render("max"))?;
        }
        if let Some(reservation) = memory.reservation {
            MEMORY_LOW.write(dir, &reservation.render("max"))?;
        }
        if let Some(swap) = memory.swap {
            SWAP_MAX.write(dir, &swap.render("max"))?;
        }
        if let Some(cpu_max) =
            self.cpu_max(resources.cpu_quota_limit(), resources.cpu_period_us())?
        {
            CPU_MAX.write(dir, &cpu_max)?;
        }
        if let Some(shares) = resources.cpu_shares_value() {
            CPU_WEIGHT.write(dir, &shares_to_weight(shares).to_string())?;
        }
        if let Some(cpus) = &resources.cpuset_cpus {
            CPUSET_CPUS.write(dir, cpus)?;
        }
        if let Some(mems) = &resources.cpuset_mems {
            CPUSET_MEMS.write(dir, mems)?;
        }
        if let Some(pids) = resources.pids_max() {
            PIDS_MAX.write(dir, &pids.render("max"))?;
        }
        Ok(())
    }

    /// cpu.max is "quota period"; a lone quota keeps the current period, and a lone period needs
    /// the current quota written back with it.
    fn cpu_max(
        &self,
        quota: Option<Limit>,
        period: Option<u64>,
    ) -> Result<Option<String>, CgroupError> {
        Ok(match (quota, period) {
            (None, None) => None,
            (Some(quota), None) => Some(quota.render("max")),
            (Some(quota), Some(period)) => Some(format!("{} {period}", quota.render("max"))),
            (None, Some(period)) => {
                let current = CPU_MAX.read(self.path())?;
                let current_quota = current.split_whitespace().next().unwrap_or("max");
                Some(format!("{current_quota} {period}"))
            }
        })
    }
}
