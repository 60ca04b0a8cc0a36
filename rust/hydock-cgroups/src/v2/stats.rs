//! Reading usage counters from the v2 interface files.

use super::V2Cgroup;
use crate::cgroupfs::{self, ControlFile};
use crate::error::CgroupError;
use crate::stats::Stats;

const MEMORY_CURRENT: ControlFile = ControlFile::new("memory", "memory.current");
const MEMORY_PEAK: ControlFile = ControlFile::new("memory", "memory.peak");
const MEMORY_MAX: ControlFile = ControlFile::new("memory", "memory.max");
const MEMORY_STAT: ControlFile = ControlFile::new("memory", "memory.stat");
const MEMORY_EVENTS: ControlFile = ControlFile::new("memory", "memory.events");
const CPU_STAT: ControlFile = ControlFile::new("cpu", "cpu.stat");
const PIDS_CURRENT: ControlFile = ControlFile::new("pids", "pids.current");
const PIDS_MAX: ControlFile = ControlFile::new("pids", "pids.max");

impl V2Cgroup {
    pub fn stats(&self) -> Result<Stats, CgroupError> {
        let dir = self.path();
        // cpu.stat always has the usage lines; the throttling ones come with the cpu controller,
        // without which nothing can be throttled.
        let cpu = CPU_STAT.read_keyed(dir)?;
        // Read first: without the memory controller this is the error that says so.
        let memory_usage = MEMORY_CURRENT.read_u64(dir)?;
        let peak_path = dir.join(MEMORY_PEAK.name);
        let memory_peak = match MEMORY_PEAK.read_optional(dir)? {
            Some(content) => cgroupfs::parse_u64(&peak_path, &content)?,
            // Linux before 5.19 does not track the peak.
            None => 0,
        };
        Ok(Stats {
            memory_usage,
            memory_peak,
            memory_limit: MEMORY_MAX.read_max(dir)?,
            memory_stat: MEMORY_STAT.read_keyed(dir)?.into_entries(),
            cpu_usage_ns: cpu.require("usage_usec")? * 1000,
            cpu_user_ns: cpu.require("user_usec")? * 1000,
            cpu_system_ns: cpu.require("system_usec")? * 1000,
            cpu_periods: cpu.get("nr_periods").unwrap_or(0),
            cpu_throttled_periods: cpu.get("nr_throttled").unwrap_or(0),
            cpu_throttled_ns: cpu.get("throttled_usec").unwrap_or(0) * 1000,
            pids_current: PIDS_CURRENT.read_u64(dir)?,
            pids_limit: PIDS_MAX.read_max(dir)?,
            oom_kills: self.oom_kills()?,
        })
    }

    pub fn oom_kills(&self) -> Result<u64, CgroupError> {
        Ok(MEMORY_EVENTS.read_keyed(self.path())?.require("oom_kill")?)
    }
}
