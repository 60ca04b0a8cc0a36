//! The parent side of starting a container's process: fork the child into the container's pid
//! namespace, let the caller place it (cgroups), release it, and learn whether its exec
//! succeeded.

use std::convert::Infallible;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::sys::socket::{send, socketpair, AddressFamily, MsgFlags, SockFlag, SockType};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use oci_spec::runtime::{LinuxNamespace, Process, Spec};

use crate::error::SpawnError;
use crate::init::{run_child, set_up_and_exec, ContainerPlan};
use crate::namespaces::PidNamespaceSwitch;
use crate::placement::{fork_into, ChildPlacement, Created};
use crate::terminal::read_report;

/// The container process's stdio and whether a minimal init runs as its pid 1.
///
/// The stdio descriptors serve a process without a terminal; one whose spec asks for a terminal
/// (`process.terminal`) gets a new pty's slave as all three instead.
#[derive(Debug, Clone, Copy)]
pub struct SpawnOptions {
    /// None gives the process /dev/null.
    pub stdin: Option<RawFd>,
    pub stdout: Option<RawFd>,
    pub stderr: Option<RawFd>,
    /// Run a tini-like pid 1 that forwards signals to the command and reaps zombies.
    pub init: bool,
}

/// A process that has exec'd: its host pid and, when it has a terminal, the pty's master.
#[derive(Debug)]
pub struct Spawned {
    pub pid: i32,
    pub terminal: Option<OwnedFd>,
}

/// Starts the container described by `spec` (with `bundle` as the base of relative paths) and
/// returns the host pid of its pid 1 (and its terminal) once the command has been exec'd.
///
/// `placement` puts the child into its cgroups before it enters its namespaces. The caller must
/// be single-threaded (`spawn` forks) and reaps the returned pid itself. On failure the child
/// has been killed and reaped.
pub fn spawn(
    spec: &Spec,
    bundle: &Path,
    opts: &SpawnOptions,
    placement: &mut dyn ChildPlacement,
) -> Result<Spawned, SpawnError> {
    let plan = ContainerPlan::new(spec, bundle, opts)?;
    fork_child(plan.namespaces, placement, |channel| {
        set_up_and_exec(&plan, channel)
    })
}

/// What a child installs as its stdio: the caller's descriptors, or a pty it opens itself.
pub(crate) enum Stdio {
    Fds(StdioFds),
    Terminal,
}

impl Stdio {
    pub(crate) fn for_process(process: &Process, opts: &SpawnOptions) -> Result<Stdio, SpawnError> {
        if process.terminal().unwrap_or(false) {
            Ok(Stdio::Terminal)
        } else {
            StdioFds::from_options(opts).map(Stdio::Fds)
        }
    }
}

/// The three descriptors a child installs as its stdio, keeping /dev/null open when used.
pub(crate) struct StdioFds {
    pub fds: [RawFd; 3],
    _dev_null: Option<File>,
}

impl StdioFds {
    fn from_options(opts: &SpawnOptions) -> Result<StdioFds, SpawnError> {
        let wanted = [opts.stdin, opts.stdout, opts.stderr];
        let dev_null = if wanted.contains(&None) {
            let file = File::open("/dev/null")
                .map_err(|e| SpawnError::other("stdio", format!("/dev/null: {e}")))?;
            Some(file)
        } else {
            None
        };
        let null_fd = dev_null.as_ref().map_or(-1, AsRawFd::as_raw_fd);
        Ok(StdioFds {
            fds: wanted.map(|fd| fd.unwrap_or(null_fd)),
            _dev_null: dev_null,
        })
    }
}

/// Forks a child (into `placement`'s cgroup) that waits until `placement.before_start` has run
/// with its pid, joins its cgroups, then runs `set_up` (which ends in execve) with the channel
/// to the parent. The child starts in the pid namespace of `namespaces`, if they name one; the
/// caller's own pid namespace is restored for its later children. Returns the child's pid (and
/// the pty master it sent) once it has exec'd; on failure the child has been killed and reaped.
pub(crate) fn fork_child(
    namespaces: &[LinuxNamespace],
    placement: &mut dyn ChildPlacement,
    set_up: impl FnOnce(BorrowedFd<'_>) -> Result<Infallible, SpawnError>,
) -> Result<Spawned, SpawnError> {
    let (parent_end, child_end) = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| SpawnError::other("spawn", format!("socketpair: {e}")))?;
    let pid_namespace =
        PidNamespaceSwitch::enter(namespaces).map_err(|e| SpawnError::other("namespaces", e))?;
    // SAFETY: the caller is single-threaded (documented on `spawn` and `exec_in`), so no lock
    // can be held by a thread that does not exist in the child; the child only makes system
    // calls and plain allocations before execve or _exit.
    match unsafe { fork_into(placement.clone_into()) } {
        Ok(Created::Child) => {
            drop(parent_end);
            run_child(child_end, |channel| {
                placement
                    .join_in_child()
                    .map_err(|message| SpawnError::other("cgroup", message))?;
                set_up(channel)
            })
        }
        Ok(Created::Parent { pid, in_cgroup }) => {
            drop(child_end);
            let child = ChildGuard { pid, armed: true };
            pid_namespace
                .restore()
                .map_err(|e| SpawnError::other("namespaces", e))?;
            release_and_confirm(child, parent_end, |pid| {
                placement.before_start(pid, in_cgroup)
            })
        }
        Err(errno) => {
            pid_namespace
                .restore()
                .map_err(|e| SpawnError::other("namespaces", e))?;
            Err(SpawnError::other("spawn", format!("fork: {errno}")))
        }
    }
}

fn release_and_confirm(
    mut child: ChildGuard,
    channel: OwnedFd,
    before_start: impl FnOnce(i32) -> Result<(), String>,
) -> Result<Spawned, SpawnError> {
    let pid = child.pid.as_raw();
    before_start(pid).map_err(|message| SpawnError::other("before_start", message))?;
    loop {
        match send(channel.as_raw_fd(), &[1], MsgFlags::MSG_NOSIGNAL) {
            Ok(_) => break,
            Err(Errno::EINTR) => continue,
            Err(errno) => {
                return Err(SpawnError::other(
                    "spawn",
                    format!("container process {pid} exited before start: {errno}"),
                ))
            }
        }
    }
    // The child's end is close-on-exec: EOF with no error written means execve succeeded.
    let report = read_report(channel.as_fd()).map_err(|e| {
        SpawnError::other("spawn", format!("read the container process's report: {e}"))
    })?;
    if report.error.is_empty() {
        child.release();
        Ok(Spawned {
            pid,
            terminal: report.terminal,
        })
    } else {
        Err(SpawnError::decode(&report.error))
    }
}

/// Kills and reaps the child unless it started, so no failure path leaves a process behind.
struct ChildGuard {
    pid: Pid,
    armed: bool,
}

impl ChildGuard {
    fn release(&mut self) {
        self.armed = false;
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = kill(self.pid, Signal::SIGKILL);
            while let Err(Errno::EINTR) = waitpid(self.pid, None) {}
        }
    }
}
