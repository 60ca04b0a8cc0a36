//! A container's cgroup: the one type callers use, whichever hierarchy version backs it.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::detect::{Layout, LayoutKind, Version};
use crate::dirs::{self, CreatedDirs};
use crate::error::CgroupError;
use crate::name::CgroupName;
use crate::placement::Placement;
use crate::resources::Resources;
use crate::stats::Stats;
use crate::tasks;
use crate::v1::V1Cgroup;
use crate::v2::V2Cgroup;

/// How long `destroy` keeps killing, and retrying a busy rmdir, before giving up.
const DESTROY_TIMEOUT: Duration = Duration::from_secs(5);

/// One container's cgroup, named relative to each hierarchy's root (e.g. `hydock/<id>`).
/// Dropping the handle leaves the cgroup in place; `destroy` removes it.
#[derive(Debug)]
pub struct Cgroup {
    name: CgroupName,
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    V1(V1Cgroup),
    V2(V2Cgroup),
}

impl Cgroup {
    /// Creates `name` in the detected hierarchies and applies `resources`.
    pub fn create(name: &str, resources: &Resources) -> Result<Cgroup, CgroupError> {
        Cgroup::create_in(&Layout::detect()?, name, resources)
    }

    /// Creates `name` in `layout`'s hierarchies and applies `resources`. It must not exist yet;
    /// on failure nothing of it is left behind.
    pub fn create_in(
        layout: &Layout,
        name: &str,
        resources: &Resources,
    ) -> Result<Cgroup, CgroupError> {
        let name = CgroupName::parse(name)?;
        let mut created = CreatedDirs::default();
        let backend = match layout.kind() {
            LayoutKind::V1 {
                hierarchies,
                unified,
            } => Backend::V1(V1Cgroup::create(
                hierarchies,
                unified.as_deref(),
                &name,
                &mut created,
            )?),
            LayoutKind::V2 { mount_point } => {
                Backend::V2(V2Cgroup::create(mount_point, &name, &mut created)?)
            }
        };
        let cgroup = Cgroup { name, backend };
        cgroup.update(resources)?;
        created.keep();
        Ok(cgroup)
    }

    /// An existing cgroup in the detected hierarchies.
    pub fn open(name: &str) -> Result<Cgroup, CgroupError> {
        Cgroup::open_in(&Layout::detect()?, name)
    }

    /// An existing cgroup in `layout`'s hierarchies. On v1 it is whatever hierarchies have it,
    /// so a cgroup left half-created by a crash can still be opened and destroyed.
    pub fn open_in(layout: &Layout, name: &str) -> Result<Cgroup, CgroupError> {
        let name = CgroupName::parse(name)?;
        let backend = match layout.kind() {
            LayoutKind::V1 {
                hierarchies,
                unified,
            } => V1Cgroup::open(hierarchies, unified.as_deref(), &name).map(Backend::V1),
            LayoutKind::V2 { mount_point } => V2Cgroup::open(mount_point, &name).map(Backend::V2),
        };
        match backend {
            Some(backend) => Ok(Cgroup { name, backend }),
            None => Err(CgroupError::NotFound {
                name: name.as_str().to_string(),
            }),
        }
    }

    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    pub fn version(&self) -> Version {
        match self.backend {
            Backend::V1(_) => Version::V1,
            Backend::V2(_) => Version::V2,
        }
    }

    /// This cgroup's directory in every hierarchy it lives in.
    pub fn paths(&self) -> Vec<&Path> {
        match &self.backend {
            Backend::V1(v1) => v1.paths(),
            Backend::V2(v2) => vec![v2.path()],
        }
    }

    pub fn add_process(&self, pid: i32) -> Result<(), CgroupError> {
        match &self.backend {
            Backend::V1(v1) => v1.add_process(pid),
            Backend::V2(v2) => v2.add_process(pid),
        }
    }

    /// What a process about to be created needs to start life in this cgroup (see `Placement`).
    pub fn placement(&self) -> Result<Placement, CgroupError> {
        match &self.backend {
            Backend::V1(v1) => v1.placement(),
            Backend::V2(v2) => Ok(Placement::open(&[], Some(v2.path()))?),
        }
    }

    /// Applies the settings given in `resources`, leaving the others as they are.
    pub fn update(&self, resources: &Resources) -> Result<(), CgroupError> {
        match &self.backend {
            Backend::V1(v1) => v1.update(resources),
            Backend::V2(v2) => v2.update(resources),
        }
    }

    pub fn stats(&self) -> Result<Stats, CgroupError> {
        match &self.backend {
            Backend::V1(v1) => v1.stats(),
            Backend::V2(v2) => v2.stats(),
        }
    }

    /// How many processes the OOM killer has killed in this cgroup.
    pub fn oom_kills(&self) -> Result<u64, CgroupError> {
        match &self.backend {
            Backend::V1(v1) => v1.oom_kills(),
            Backend::V2(v2) => v2.oom_kills(),
        }
    }

    /// The processes in this cgroup and the cgroups below it, sorted.
    pub fn processes(&self) -> Result<Vec<i32>, CgroupError> {
        tasks::list(&self.paths())
    }

    /// Stops every process; returns once all of them are frozen.
    pub fn freeze(&self) -> Result<(), CgroupError> {
        match &self.backend {
            Backend::V1(v1) => v1.freeze(),
            Backend::V2(v2) => v2.freeze(),
        }
    }

    pub fn thaw(&self) -> Result<(), CgroupError> {
        match &self.backend {
            Backend::V1(v1) => v1.thaw(),
            Backend::V2(v2) => v2.thaw(),
        }
    }

    /// Sends `signal` to every process. SIGKILL cannot be outrun by forks (v2's cgroup.kill,
    /// or v1's freezer around the kill) and reaches frozen processes.
    pub fn kill_all(&self, signal: i32) -> Result<(), CgroupError> {
        let signal = Signal::try_from(signal).map_err(|_| CgroupError::InvalidSignal { signal })?;
        match &self.backend {
            Backend::V1(v1) => v1.kill_all(signal),
            Backend::V2(v2) => v2.kill_all(signal),
        }
    }

    /// SIGKILLs what is left, waits (bounded) until the cgroup is empty, then removes its
    /// directory, and any below it, in every hierarchy. Shared parents such as `hydock/` stay.
    pub fn destroy(self) -> Result<(), CgroupError> {
        let paths = self.paths();
        // Usually empty already: when a container's first process exits, the kernel kills the
        // rest of its pid namespace. Then the freeze-kill-thaw round (~1 ms on v1) is skipped.
        if !tasks::list(&paths)?.is_empty() {
            self.kill_all(Signal::SIGKILL as i32)?;
            tasks::kill_until_empty(self.name(), &paths, DESTROY_TIMEOUT)?;
        }
        let deadline = Instant::now() + DESTROY_TIMEOUT;
        let mut first_error = None;
        for path in paths {
            // Every hierarchy gets its rmdir even when one fails.
            if let Err(e) = dirs::remove_tree(path, deadline) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), |e| Err(e.into()))
    }
}
