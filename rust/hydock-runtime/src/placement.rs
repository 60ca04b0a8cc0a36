//! Where a container's new process starts life (its cgroup), and creating it there: clone3
//! with CLONE_INTO_CGROUP when a cgroup2 directory is given, fork otherwise.

use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;
use nix::unistd::{fork, ForkResult, Pid};

/// linux/sched.h's clone3 flag; libc declares it with a type too narrow to hold it.
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Puts a new process into its cgroups. Each hook runs before the process does anything of its
/// own; a failure in any of them kills it and is reported with its step.
pub trait ChildPlacement {
    /// A cgroup2 directory for the kernel to create the process in.
    fn clone_into(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    /// Runs in the new process, still single-threaded, once the parent's `before_start` is done.
    fn join_in_child(&self) -> Result<(), String> {
        Ok(())
    }

    /// Runs in the parent with the new pid; `in_cgroup` says whether `clone_into` was honoured.
    fn before_start(&mut self, pid: i32, in_cgroup: bool) -> Result<(), String>;
}

/// A closure given the pid: all the placement there is, done from the parent.
impl<F: FnMut(i32) -> Result<(), String>> ChildPlacement for F {
    fn before_start(&mut self, pid: i32, _in_cgroup: bool) -> Result<(), String> {
        self(pid)
    }
}

/// A container's cgroup: v1 hierarchies are joined by the child itself, the unified one at
/// clone time (see `hydock_cgroups::Placement` for why both avoid the slow path).
impl ChildPlacement for hydock_cgroups::Placement {
    fn clone_into(&self) -> Option<BorrowedFd<'_>> {
        hydock_cgroups::Placement::clone_into(self)
    }

    fn join_in_child(&self) -> Result<(), String> {
        self.join_current_thread().map_err(|e| e.to_string())
    }

    fn before_start(&mut self, pid: i32, in_cgroup: bool) -> Result<(), String> {
        if in_cgroup {
            return Ok(());
        }
        self.add_to_clone_dir(pid).map_err(|e| e.to_string())
    }
}

pub(crate) enum Created {
    Child,
    Parent { pid: Pid, in_cgroup: bool },
}

/// Forks, into `cgroup` when given and the kernel allows clone3 (older kernels and seccomp
/// filters such as Docker's default answer ENOSYS; then a plain fork).
///
/// # Safety
/// As for `fork`: the caller is single-threaded, and the child only makes system calls and
/// plain allocations before execve or _exit.
pub(crate) unsafe fn fork_into(cgroup: Option<BorrowedFd<'_>>) -> Result<Created, Errno> {
    if let Some(dir) = cgroup {
        // SAFETY: forwarded from this function's contract.
        match unsafe { clone3_into(dir) } {
            Err(Errno::ENOSYS) => {}
            other => return other,
        }
    }
    // SAFETY: forwarded from this function's contract.
    Ok(match unsafe { fork() }? {
        ForkResult::Child => Created::Child,
        ForkResult::Parent { child } => Created::Parent {
            pid: child,
            in_cgroup: false,
        },
    })
}

/// # Safety
/// As for `fork_into`. The child's libc is not told about the new process (glibc's cached
/// thread id stays the parent's), which is harmless on the way to execve: glibc no longer
/// caches the pid, and signals a thread sends itself go by the kernel's tid.
unsafe fn clone3_into(dir: BorrowedFd<'_>) -> Result<Created, Errno> {
    let mut args = libc::clone_args {
        flags: CLONE_INTO_CGROUP,
        pidfd: 0,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: libc::SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: dir.as_raw_fd() as u64,
    };
    // SAFETY: `args` is a valid clone_args of the size passed; with no stack given the child
    // continues on a copy of this one, as after fork, under the caller's contract.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &mut args as *mut libc::clone_args,
            std::mem::size_of::<libc::clone_args>(),
        )
    };
    match ret {
        -1 => Err(Errno::last()),
        0 => Ok(Created::Child),
        pid => Ok(Created::Parent {
            pid: Pid::from_raw(pid as i32),
            in_cgroup: true,
        }),
    }
}
