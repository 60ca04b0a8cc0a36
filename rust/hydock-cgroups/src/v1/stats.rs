//! Reading usage counters from the v1 controller files.

use std::path::Path;

use nix::unistd::{sysconf, SysconfVar};

use super::V1Cgroup;
use crate::cgroupfs::ControlFile;
use crate::error::CgroupError;
use crate::stats::Stats;

const MEMORY_USAGE: ControlFile = ControlFile::new("memory", "memory.usage_in_bytes");
const MEMORY_PEAK: ControlFile = ControlFile::new("memory", "memory.max_usage_in_bytes");
const MEMORY_LIMIT: ControlFile = ControlFile::new("memory", "memory.limit_in_bytes");
const MEMORY_STAT: ControlFile = ControlFile::new("memory", "memory.stat");
const OOM_CONTROL: ControlFile = ControlFile::new("memory", "memory.oom_control");
const CPUACCT_USAGE: ControlFile = ControlFile::new("cpuacct", "cpuacct.usage");
const CPUACCT_STAT: ControlFile = ControlFile::new("cpuacct", "cpuacct.stat");
const CPU_STAT: ControlFile = ControlFile::new("cpu", "cpu.stat");
const PIDS_CURRENT: ControlFile = ControlFile::new("pids", "pids.current");
const PIDS_MAX: ControlFile = ControlFile::new("pids", "pids.max");

/// v1 reports "no limit" as the largest page-aligned counter (about 2^63); no host has 2^62
/// bytes, so anything from there up means unlimited.
const UNLIMITED_MEMORY_FROM: u64 = 1 << 62;

impl V1Cgroup {
    pub fn stats(&self) -> Result<Stats, CgroupError> {
        let memory = self.dir("memory")?;
        let cpuacct = self.dir("cpuacct")?;
        let cpuacct_stat = CPUACCT_STAT.read_keyed(cpuacct)?;
        let cpu_stat = CPU_STAT.read_keyed(self.dir("cpu")?)?;
        let pids = self.dir("pids")?;
        let ns_per_tick = nanoseconds_per_tick()?;
        Ok(Stats {
            memory_usage: MEMORY_USAGE.read_u64(memory)?,
            memory_peak: MEMORY_PEAK.read_u64(memory)?,
            memory_limit: Some(MEMORY_LIMIT.read_u64(memory)?)
                .filter(|l| *l < UNLIMITED_MEMORY_FROM),
            memory_stat: MEMORY_STAT.read_keyed(memory)?.into_entries(),
            cpu_usage_ns: CPUACCT_USAGE.read_u64(cpuacct)?,
            cpu_user_ns: cpuacct_stat.require("user")? * ns_per_tick,
            cpu_system_ns: cpuacct_stat.require("system")? * ns_per_tick,
            cpu_periods: cpu_stat.require("nr_periods")?,
            cpu_throttled_periods: cpu_stat.require("nr_throttled")?,
            cpu_throttled_ns: cpu_stat.require("throttled_time")?,
            pids_current: PIDS_CURRENT.read_u64(pids)?,
            pids_limit: PIDS_MAX.read_max(pids)?,
            oom_kills: oom_kills_in(memory)?,
        })
    }

    pub fn oom_kills(&self) -> Result<u64, CgroupError> {
        oom_kills_in(self.dir("memory")?)
    }
}

/// The `oom_kill` counter appeared in memory.oom_control with Linux 4.13.
fn oom_kills_in(memory: &Path) -> Result<u64, CgroupError> {
    Ok(OOM_CONTROL.read_keyed(memory)?.require("oom_kill")?)
}

/// cpuacct.stat counts in USER_HZ ticks.
fn nanoseconds_per_tick() -> Result<u64, CgroupError> {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => Ok(1_000_000_000 / ticks as u64),
        Ok(_) => Err(CgroupError::ClockTicks {
            source: nix::Error::EINVAL,
        }),
        Err(source) => Err(CgroupError::ClockTicks { source }),
    }
}
