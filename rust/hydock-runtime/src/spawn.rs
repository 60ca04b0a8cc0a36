//! The parent side of starting a container's process: fork the child into the container's pid
//! namespace, let the caller place it (cgroups), release it, and learn whether its exec
//! succeeded.

use std::convert::Infallible;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::sys::socket::{send, socketpair, AddressFamily, MsgFlags, SockFlag, SockType};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use oci_spec::runtime::{LinuxNamespace, Spec};

use crate::error::SpawnError;
use crate::init::{run_child, set_up_and_exec, ContainerPlan};
use crate::namespaces::PidNamespaceSwitch;
use crate::placement::{fork_into, ChildPlacement, Created};

/// The container process's stdio and whether a minimal init runs as its pid 1.
#[derive(Debug, Clone, Copy)]
pub struct SpawnOptions {
    /// None gives the process /dev/null.
    pub stdin: Option<RawFd>,
    pub stdout: RawFd,
    pub stderr: RawFd,
    /// Run a tini-like pid 1 that forwards signals to the command and reaps zombies.
    pub init: bool,
}

/// Starts the container described by `spec` (with `bundle` as the base of relative paths) and
/// returns the host pid of its pid 1 once the command has been exec'd.
///
/// `placement` puts the child into its cgroups before it enters its namespaces. The caller must
/// be single-threaded (`spawn` forks) and reaps the returned pid itself. On failure the child
/// has been killed and reaped.
pub fn spawn(
    spec: &Spec,
    bundle: &Path,
    opts: &SpawnOptions,
    placement: &mut dyn ChildPlacement,
) -> Result<i32, SpawnError> {
    let stdio = StdioFds::from_options(opts)?;
    let plan = ContainerPlan::new(spec, bundle, stdio.fds, opts.init)?;
    fork_child(plan.namespaces, placement, || set_up_and_exec(&plan))
}

/// The three descriptors a child installs as its stdio, keeping /dev/null open when used.
pub(crate) struct StdioFds {
    pub fds: [RawFd; 3],
    _dev_null: Option<File>,
}

impl StdioFds {
    pub(crate) fn from_options(opts: &SpawnOptions) -> Result<StdioFds, SpawnError> {
        let (stdin, dev_null) = match opts.stdin {
            Some(fd) => (fd, None),
            None => {
                let file = File::open("/dev/null")
                    .map_err(|e| SpawnError::other("stdio", format!("/dev/null: {e}")))?;
                (file.as_raw_fd(), Some(file))
            }
        };
        Ok(StdioFds {
            fds: [stdin, opts.stdout, opts.stderr],
            _dev_null: dev_null,
        })
    }
}

/// Forks a child (into `placement`'s cgroup) that waits until `placement.before_start` has run
/// with its pid, joins its cgroups, then runs `set_up` (which ends in execve). The child starts in the pid namespace of `namespaces`, if they
/// name one; the caller's own pid namespace is restored for its later children. Returns the
/// child's pid once it has exec'd; on failure the child has been killed and reaped.
pub(crate) fn fork_child(
    namespaces: &[LinuxNamespace],
    placement: &mut dyn ChildPlacement,
    set_up: impl FnOnce() -> Result<Infallible, SpawnError>,
) -> Result<i32, SpawnError> {
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
            run_child(child_end, || {
                placement
                    .join_in_child()
                    .map_err(|message| SpawnError::other("cgroup", message))?;
                set_up()
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
) -> Result<i32, SpawnError> {
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
    // The child's end is close-on-exec: EOF with nothing written means execve succeeded.
    let mut report = Vec::new();
    UnixStream::from(channel)
        .read_to_end(&mut report)
        .map_err(|e| {
            SpawnError::other("spawn", format!("read the container process's report: {e}"))
        })?;
    if report.is_empty() {
        child.release();
        Ok(pid)
    } else {
        Err(SpawnError::decode(&report))
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
