//! Container cgroups on the unified (v2) hierarchy: one directory, controllers delegated to it
//! through each ancestor's cgroup.subtree_control.

mod limits;
mod stats;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::cgroupfs::{self, ControlFile, FsError};
use crate::dirs::{self, CreatedDirs};
use crate::error::CgroupError;
use crate::name::CgroupName;
use crate::{tasks, POLL_INTERVAL};

/// The controllers a container's limits and stats use, enabled where the hierarchy offers them.
const CONTROLLERS: &[&str] = &["cpu", "memory", "pids", "cpuset", "io"];
const FREEZE: ControlFile = ControlFile::new("freezer", "cgroup.freeze");
const EVENTS: ControlFile = ControlFile::new("freezer", "cgroup.events");
const KILL: ControlFile = ControlFile::new("kill", "cgroup.kill");
const FREEZE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub(crate) struct V2Cgroup {
    path: PathBuf,
}

impl V2Cgroup {
    pub fn create(
        mount_point: &Path,
        name: &CgroupName,
        created: &mut CreatedDirs,
    ) -> Result<V2Cgroup, CgroupError> {
        let levels = dirs::create_levels(mount_point, name, created)?;
        let parents = levels.len().saturating_sub(1);
        for ancestor in
            std::iter::once(mount_point).chain(levels[..parents].iter().map(PathBuf::as_path))
        {
            enable_controllers(ancestor)?;
        }
        Ok(V2Cgroup {
            path: name.dir_in(mount_point),
        })
    }

    pub fn open(mount_point: &Path, name: &CgroupName) -> Option<V2Cgroup> {
        let path = name.dir_in(mount_point);
        path.is_dir().then_some(V2Cgroup { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn add_process(&self, pid: i32) -> Result<(), CgroupError> {
        Ok(tasks::add(&self.path, pid)?)
    }

    pub fn freeze(&self) -> Result<(), CgroupError> {
        let frozen = self.set_frozen(true);
        if frozen.is_err() {
            // Do not leave it half frozen.
            self.set_frozen(false)?;
        }
        frozen
    }

    pub fn thaw(&self) -> Result<(), CgroupError> {
        self.set_frozen(false)
    }

    /// cgroup.freeze is a request; cgroup.events says when every task has actually stopped.
    fn set_frozen(&self, frozen: bool) -> Result<(), CgroupError> {
        let wanted = u64::from(frozen);
        FREEZE.write(&self.path, &wanted.to_string())?;
        let start = Instant::now();
        while EVENTS.read_keyed(&self.path)?.require("frozen")? != wanted {
            if start.elapsed() >= FREEZE_TIMEOUT {
                return Err(CgroupError::FreezeTimeout {
                    path: self.path.join(EVENTS.name),
                    wanted: if frozen { "frozen 1" } else { "frozen 0" },
                    waited: start.elapsed(),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
        Ok(())
    }

    /// cgroup.kill (Linux 5.14) kills the whole subtree atomically, forks included.
    pub fn kill_all(&self, signal: Signal) -> Result<(), CgroupError> {
        if signal == Signal::SIGKILL && KILL.exists_in(&self.path) {
            return Ok(KILL.write(&self.path, "1")?);
        }
        Ok(tasks::signal(&tasks::list(&[&self.path])?, signal)?)
    }
}

/// Delegates to children the wanted controllers `dir` has and has not delegated yet. Writing
/// nothing when nothing is missing matters: a non-root cgroup with processes refuses the write.
fn enable_controllers(dir: &Path) -> Result<(), FsError> {
    let read_words = |file: &str| -> Result<Vec<String>, FsError> {
        let content = cgroupfs::read(&dir.join(file))?;
        Ok(content.split_whitespace().map(str::to_string).collect())
    };
    let available = read_words("cgroup.controllers")?;
    let enabled = read_words("cgroup.subtree_control")?;
    let missing: Vec<String> = CONTROLLERS
        .iter()
        .filter(|c| available.iter().any(|a| a == *c) && !enabled.iter().any(|e| e == *c))
        .map(|c| format!("+{c}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    cgroupfs::write(&dir.join("cgroup.subtree_control"), &missing.join(" "))
}
