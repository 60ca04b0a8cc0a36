//! Launching a shim with posix_spawn. glibc spawns with clone(CLONE_VM | CLONE_VFORK), which
//! costs the same in a large process as in a small one; std's Command needs fork() for a
//! pre_exec hook, and fork() first copies the page tables of the whole Python process (~1.5 ms
//! per start in the daemon or an Engine script).

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::RawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::spawn::{posix_spawn, PosixSpawnAttr, PosixSpawnFileActions};
use nix::sys::stat::Mode;
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

/// A program's arguments, as `Command::arg` takes them.
#[derive(Default)]
pub struct Argv(Vec<OsString>);

impl Argv {
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.0.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&mut self, args: I) -> &mut Self {
        for arg in args {
            self.arg(arg);
        }
        self
    }
}

/// Runs `program` with `argv` and this process's environment: stdin and stdout on /dev/null,
/// stderr on `stderr`, and each `extra[i]` given as fd 3 + i. Every source fd must be above 5,
/// so that no dup2 onto 0..=5 overwrites a source still to be placed.
pub fn spawn(
    program: &Path,
    argv: Argv,
    stderr: RawFd,
    extra: [Option<RawFd>; 3],
) -> Result<Pid, String> {
    let c_string = |bytes: Vec<u8>| {
        CString::new(bytes).map_err(|e| format!("argument with a NUL byte: {:?}", e.into_vec()))
    };
    let mut args = vec![c_string(program.as_os_str().as_bytes().to_vec())?];
    for arg in argv.0 {
        args.push(c_string(arg.into_vec())?);
    }
    let env = std::env::vars_os()
        .map(|(key, value)| {
            let mut pair = key.into_vec();
            pair.push(b'=');
            pair.extend_from_slice(value.as_bytes());
            c_string(pair)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let actions = file_actions(stderr, extra).map_err(|e| format!("spawn file actions: {e}"))?;
    let attr = PosixSpawnAttr::init().map_err(|e| format!("spawn attributes: {e}"))?;
    posix_spawn(program, &actions, &attr, &args, &env)
        .map_err(|e| format!("spawning {}: {e}", program.display()))
}

fn file_actions(stderr: RawFd, extra: [Option<RawFd>; 3]) -> nix::Result<PosixSpawnFileActions> {
    let mut actions = PosixSpawnFileActions::init()?;
    for fd in [0, 1] {
        actions.add_open(fd, "/dev/null", OFlag::O_RDWR, Mode::empty())?;
    }
    actions.add_dup2(stderr, 2)?;
    for (target, source) in (3..).zip(extra) {
        if let Some(source) = source {
            // dup2 clears close-on-exec on the copy: the shim inherits exactly these.
            actions.add_dup2(source, target)?;
        }
    }
    Ok(actions)
}

/// Reaps `pid` (a shim whose first process exits as soon as it has forked).
pub fn reap(pid: Pid) -> Result<(), String> {
    loop {
        match waitpid(pid, None) {
            Ok(_) => return Ok(()),
            Err(Errno::EINTR) => continue,
            Err(err) => return Err(format!("waiting for the shim: {err}")),
        }
    }
}
