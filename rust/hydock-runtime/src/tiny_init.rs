//! A minimal pid 1 (like tini or docker-init) for `SpawnOptions::init`: it forwards the signals
//! it receives to the command, reaps every zombie, and exits with the command's status.

use nix::errno::Errno;
use nix::sys::prctl::{set_child_subreaper, set_name};
use nix::sys::signal::{kill, sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, getpgrp, setpgid, tcsetpgrp, ForkResult, Pid};

use crate::init::exit_now;

#[derive(Debug, thiserror::Error)]
#[error("{step}: {source}")]
pub(crate) struct TinyInitError {
    step: &'static str,
    source: Errno,
}

/// Signals that report a fault of the init itself; they are never waited for or forwarded.
const SYNCHRONOUS: [Signal; 7] = [
    Signal::SIGSEGV,
    Signal::SIGBUS,
    Signal::SIGILL,
    Signal::SIGFPE,
    Signal::SIGTRAP,
    Signal::SIGSYS,
    Signal::SIGABRT,
];

fn waited_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in Signal::iterator() {
        if !SYNCHRONOUS.contains(&signal) && !matches!(signal, Signal::SIGKILL | Signal::SIGSTOP) {
            set.add(signal);
        }
    }
    set
}

/// Forks the process that will exec the command. Returns in that child only: the calling
/// process becomes the init and exits when the command does.
pub(crate) fn become_init() -> Result<(), TinyInitError> {
    let fail = |step| move |source| TinyInitError { step, source };
    let waited = waited_signals();
    // Blocked before the fork, so a signal or an early exit of the command is never missed.
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&waited), None).map_err(fail("block signals"))?;
    // Without a pid namespace the init is not pid 1; orphans must still come to it for reaping.
    set_child_subreaper(true).map_err(fail("become subreaper"))?;
    // SAFETY: this process is a single-threaded fork made by `spawn`; the child only resets its
    // signal state and calls execve (or reports the failure and _exits).
    match unsafe { fork() }.map_err(fail("fork"))? {
        ForkResult::Child => take_foreground().map_err(fail("take the terminal's foreground")),
        ForkResult::Parent { child } => {
            // Otherwise `ps` shows the init under the name of the process `spawn` was forked from.
            let _ = set_name(c"hydock-init");
            close_inherited_fds();
            supervise(child, &waited)
        }
    }
}

/// On a terminal, the command gets a process group of its own in the foreground (as tini does):
/// the keys that signal, like ctrl-c, then reach the command once, not through the init again.
/// SIGTTOU, blocked until exec, would otherwise stop a background caller of tcsetpgrp.
fn take_foreground() -> Result<(), Errno> {
    let stdin = std::io::stdin();
    if !nix::unistd::isatty(&stdin).unwrap_or(false) {
        return Ok(());
    }
    setpgid(Pid::from_raw(0), Pid::from_raw(0))?;
    tcsetpgrp(&stdin, getpgrp())
}

/// The init never execs, so nothing beyond stdio may stay open in it: not the error pipe (the
/// parent waits for its EOF), nor any descriptor of the process `spawn` was forked from.
fn close_inherited_fds() {
    // SAFETY: close_range only closes descriptors; none above stdio is used by the init loop.
    unsafe { libc::close_range(3, u32::MAX, 0) };
}

fn supervise(command: Pid, waited: &SigSet) -> ! {
    loop {
        match waited.wait() {
            Ok(Signal::SIGCHLD) => {
                if let Some(code) = reap_all(command) {
                    exit_now(code);
                }
            }
            Ok(signal) => {
                // The command may already be gone; its SIGCHLD is then pending and handled next.
                let _ = kill(command, signal);
            }
            Err(_) => continue,
        }
    }
}

/// Reaps every exited child; returns the exit code to use once the command itself has exited.
fn reap_all(command: Pid) -> Option<i32> {
    let mut command_code = None;
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) if pid == command => command_code = Some(code),
            Ok(WaitStatus::Signaled(pid, signal, _)) if pid == command => {
                command_code = Some(128 + signal as i32)
            }
            Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return command_code,
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(_) => return command_code,
        }
    }
}
