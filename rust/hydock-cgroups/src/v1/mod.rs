//! Container cgroups on v1: a directory in each mounted controller hierarchy, plus one in the
//! unified hierarchy of a hybrid host so the processes are tracked there too.

mod limits;
mod stats;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::cgroupfs::{ControlFile, FsError};
use crate::detect::V1Hierarchy;
use crate::dirs::{self, CreatedDirs};
use crate::error::CgroupError;
use crate::name::CgroupName;
use crate::placement::Placement;
use crate::{tasks, POLL_INTERVAL};

const FREEZER_STATE: ControlFile = ControlFile::new("freezer", "freezer.state");
const CPUSET_CPUS: ControlFile = ControlFile::new("cpuset", "cpuset.cpus");
const CPUSET_MEMS: ControlFile = ControlFile::new("cpuset", "cpuset.mems");
const FREEZE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct HierarchyDir {
    subsystems: Vec<String>,
    path: PathBuf,
}

#[derive(Debug)]
pub(crate) struct V1Cgroup {
    name: CgroupName,
    dirs: Vec<HierarchyDir>,
    unified: Option<PathBuf>,
}

impl V1Cgroup {
    pub fn create(
        hierarchies: &[V1Hierarchy],
        unified: Option<&Path>,
        name: &CgroupName,
        created: &mut CreatedDirs,
    ) -> Result<V1Cgroup, CgroupError> {
        for hierarchy in hierarchies {
            let levels = dirs::create_levels(&hierarchy.mount_point, name, created)?;
            if hierarchy.has("cpuset") {
                for level in &levels {
                    inherit_cpuset(level)?;
                }
            }
        }
        if let Some(unified) = unified {
            dirs::create_levels(unified, name, created)?;
        }
        Ok(V1Cgroup::located(hierarchies, unified, name, |_| true))
    }

    /// The hierarchies where `name` exists; `None` if it exists in none.
    pub fn open(
        hierarchies: &[V1Hierarchy],
        unified: Option<&Path>,
        name: &CgroupName,
    ) -> Option<V1Cgroup> {
        let cgroup = V1Cgroup::located(hierarchies, unified, name, Path::is_dir);
        (!cgroup.dirs.is_empty() || cgroup.unified.is_some()).then_some(cgroup)
    }

    fn located(
        hierarchies: &[V1Hierarchy],
        unified: Option<&Path>,
        name: &CgroupName,
        present: impl Fn(&Path) -> bool,
    ) -> V1Cgroup {
        let dirs = hierarchies
            .iter()
            .map(|h| HierarchyDir {
                subsystems: h.subsystems.clone(),
                path: name.dir_in(&h.mount_point),
            })
            .filter(|d| present(&d.path))
            .collect();
        let unified = unified.map(|root| name.dir_in(root)).filter(|p| present(p));
        V1Cgroup {
            name: name.clone(),
            dirs,
            unified,
        }
    }

    pub fn paths(&self) -> Vec<&Path> {
        self.dirs
            .iter()
            .map(|d| d.path.as_path())
            .chain(self.unified.as_deref())
            .collect()
    }

    fn dir(&self, subsystem: &'static str) -> Result<&Path, CgroupError> {
        self.dirs
            .iter()
            .find(|d| d.subsystems.iter().any(|s| s == subsystem))
            .map(|d| d.path.as_path())
            .ok_or_else(|| CgroupError::HierarchyMissing {
                name: self.name.as_str().to_string(),
                controller: subsystem,
            })
    }

    pub fn add_process(&self, pid: i32) -> Result<(), CgroupError> {
        for path in self.paths() {
            tasks::add(path, pid)?;
        }
        Ok(())
    }

    pub fn placement(&self) -> Result<Placement, CgroupError> {
        let dirs: Vec<&Path> = self.dirs.iter().map(|d| d.path.as_path()).collect();
        Ok(Placement::open(&dirs, self.unified.as_deref())?)
    }

    pub fn freeze(&self) -> Result<(), CgroupError> {
        let dir = self.dir("freezer")?;
        let frozen = set_freezer_state(dir, "FROZEN");
        if frozen.is_err() {
            // Tasks in uninterruptible sleep can keep it FREEZING; do not leave it half frozen.
            set_freezer_state(dir, "THAWED")?;
        }
        frozen
    }

    pub fn thaw(&self) -> Result<(), CgroupError> {
        set_freezer_state(self.dir("freezer")?, "THAWED")
    }

    pub fn kill_all(&self, signal: Signal) -> Result<(), CgroupError> {
        let paths = self.paths();
        if signal != Signal::SIGKILL || self.dir("freezer").is_err() {
            return Ok(tasks::signal(&tasks::list(&paths)?, signal)?);
        }
        // Frozen, the tasks cannot fork past the kill. A freeze that times out still leaves the
        // kill worth sending, so its failure is not fatal here.
        self.freeze().ok();
        let killed = tasks::list(&paths).and_then(|pids| Ok(tasks::signal(&pids, signal)?));
        // A frozen v1 task acts on SIGKILL only once thawed.
        self.thaw()?;
        killed
    }
}

/// Writes `wanted` until the state reads back as it: a write can leave the cgroup FREEZING when
/// tasks were forking, and writing again retries the freeze.
fn set_freezer_state(dir: &Path, wanted: &'static str) -> Result<(), CgroupError> {
    let start = Instant::now();
    loop {
        FREEZER_STATE.write(dir, wanted)?;
        if FREEZER_STATE.read(dir)?.trim() == wanted {
            return Ok(());
        }
        if start.elapsed() >= FREEZE_TIMEOUT {
            return Err(CgroupError::FreezeTimeout {
                path: dir.join(FREEZER_STATE.name),
                wanted,
                waited: start.elapsed(),
            });
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// A new v1 cpuset cgroup starts with empty cpus and mems and refuses tasks until both are set,
/// so each level takes its parent's unless someone already configured it.
fn inherit_cpuset(level: &Path) -> Result<(), FsError> {
    let Some(parent) = level.parent() else {
        return Ok(());
    };
    for file in [CPUSET_CPUS, CPUSET_MEMS] {
        if file.read(level)?.trim().is_empty() {
            file.write(level, file.read(parent)?.trim())?;
        }
    }
    Ok(())
}
