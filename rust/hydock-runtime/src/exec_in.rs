//! Starting an extra process inside a running container (`docker exec`): join the namespaces of
//! one of its processes, then the same process set-up and exec as its first process, with no
//! filesystem work (joining the mount namespace already puts the process at the container's root).

use std::convert::Infallible;
use std::os::linux::fs::MetadataExt;
use std::path::PathBuf;

use oci_spec::runtime::{LinuxNamespace, LinuxNamespaceBuilder, LinuxNamespaceType, Process};

use crate::caps::CapabilityPlan;
use crate::error::SpawnError;
use crate::exec::Command;
use crate::init::{exec, set_oom_score_adj, set_up_process, step};
use crate::placement::ChildPlacement;
use crate::spawn::{fork_child, SpawnOptions, Spawned, Stdio};
use crate::terminal::{self, Console};
use crate::{namespaces, stdio};

/// Namespaces an exec'd process shares with its container, by their /proc/PID/ns name. Mount
/// comes first: it is joined first, and the others were opened before it.
const SHARED_NAMESPACES: [(LinuxNamespaceType, &str); 6] = [
    (LinuxNamespaceType::Mount, "mnt"),
    (LinuxNamespaceType::Ipc, "ipc"),
    (LinuxNamespaceType::Uts, "uts"),
    (LinuxNamespaceType::Network, "net"),
    (LinuxNamespaceType::Pid, "pid"),
    (LinuxNamespaceType::Cgroup, "cgroup"),
];

#[derive(Debug, thiserror::Error)]
pub(crate) enum ExecInError {
    #[error("container process {pid} is not running")]
    TargetGone { pid: i32 },
    #[error("stat {}: {source}", path.display())]
    Inspect {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("describe the {kind} namespace at {}: {source}", path.display())]
    Describe {
        kind: &'static str,
        path: PathBuf,
        source: oci_spec::OciSpecError,
    },
}

/// Starts `process` inside the container whose process `target_pid` is, and returns its host
/// pid (and its terminal, if the process asks for one) once the command has been exec'd. The
/// new process is a direct child of the caller.
///
/// It joins each of the target's ipc, uts, network, pid, mount and cgroup namespaces that
/// differs from the caller's. `placement` puts it into the container's cgroup before it joins
/// them. Then it gets the process's
/// cwd, rlimits, user, capabilities, no_new_privileges and environment, and the command is
/// found on its PATH, with the same steps and errors as `spawn`. The caller must be
/// single-threaded and reaps the returned pid itself; on failure the child has been killed and
/// reaped.
pub fn exec_in(
    target_pid: i32,
    process: &Process,
    opts: &SpawnOptions,
    placement: &mut dyn ChildPlacement,
) -> Result<Spawned, SpawnError> {
    let stdio = Stdio::for_process(process, opts)?;
    let capabilities =
        CapabilityPlan::from_spec(process.capabilities().as_ref()).map_err(step("capabilities"))?;
    let namespaces = namespaces_to_join(target_pid).map_err(step("namespaces"))?;
    fork_child(&namespaces, placement, |channel| {
        join_and_exec(process, &capabilities, &namespaces, &stdio, channel)
    })
}

/// The target's namespaces that are not already ours, as paths to join.
fn namespaces_to_join(target_pid: i32) -> Result<Vec<LinuxNamespace>, ExecInError> {
    let identity = |path: &PathBuf| {
        std::fs::metadata(path)
            .map(|m| (m.st_dev(), m.st_ino()))
            .map_err(|source| ExecInError::Inspect {
                path: path.clone(),
                source,
            })
    };
    let target_dir = PathBuf::from(format!("/proc/{target_pid}"));
    if !target_dir.exists() {
        return Err(ExecInError::TargetGone { pid: target_pid });
    }
    let mut to_join = Vec::new();
    for (kind, name) in SHARED_NAMESPACES {
        let theirs = target_dir.join("ns").join(name);
        let ours = PathBuf::from("/proc/self/ns").join(name);
        if identity(&theirs)? == identity(&ours)? {
            continue;
        }
        let namespace = LinuxNamespaceBuilder::default()
            .typ(kind)
            .path(&theirs)
            .build()
            .map_err(|source| ExecInError::Describe {
                kind: name,
                path: theirs.clone(),
                source,
            })?;
        to_join.push(namespace);
    }
    Ok(to_join)
}

/// Runs in the forked child, already in the target's pid namespace. A terminal is opened once
/// the mount namespace is joined, so that it comes from the container's devpts.
fn join_and_exec(
    process: &Process,
    capabilities: &CapabilityPlan,
    namespaces: &[LinuxNamespace],
    stdio: &Stdio,
    channel: std::os::fd::BorrowedFd<'_>,
) -> Result<Infallible, SpawnError> {
    if let Stdio::Fds(fds) = stdio {
        stdio::install(fds.fds).map_err(step("stdio"))?;
    }
    namespaces::enter(namespaces).map_err(step("namespaces"))?;
    let terminal = matches!(stdio, Stdio::Terminal);
    if terminal {
        terminal::attach_new_pty(channel, process.user().uid(), Console::None)
            .map_err(step("terminal"))?;
    }
    set_oom_score_adj(process)?;
    set_up_process(process, capabilities, terminal)?;
    exec(Command::resolve(process)?)
}
