//! The processes of a cgroup subtree: adding, listing, signalling, killing until none is left.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::cgroupfs::{self, FsError};
use crate::dirs::subtree;
use crate::error::CgroupError;
use crate::POLL_INTERVAL;

pub(crate) const PROCS: &str = "cgroup.procs";
/// v1's per-thread membership file.
pub(crate) const TASKS: &str = "tasks";

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("cannot send {signal} to process {pid}: {source}")]
    Signal {
        pid: i32,
        signal: Signal,
        source: nix::Error,
    },
    #[error("processes {pids:?} are still in cgroup {name:?} after {waited:?} of SIGKILL")]
    StillPopulated {
        name: String,
        pids: Vec<i32>,
        waited: Duration,
    },
}

pub(crate) fn add(dir: &Path, pid: i32) -> Result<(), FsError> {
    cgroupfs::write(&dir.join(PROCS), &pid.to_string())
}

/// Every process in the subtrees of `dirs`, sorted, each once (v1 lists it in every hierarchy).
pub(crate) fn list(dirs: &[&Path]) -> Result<Vec<i32>, CgroupError> {
    let mut pids = BTreeSet::new();
    for dir in dirs {
        for level in subtree(dir)? {
            let path = level.join(PROCS);
            let Some(content) = cgroupfs::read_optional(&path)? else {
                continue;
            };
            for line in content.lines().filter(|l| !l.trim().is_empty()) {
                let pid = line.trim().parse().map_err(|_| FsError::Parse {
                    path: path.clone(),
                    content: line.to_string(),
                })?;
                pids.insert(pid);
            }
        }
    }
    Ok(pids.into_iter().collect())
}

pub(crate) fn signal(pids: &[i32], signal: Signal) -> Result<(), TaskError> {
    for &pid in pids {
        match kill(Pid::from_raw(pid), signal) {
            // Exited since it was listed.
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(source) => {
                return Err(TaskError::Signal {
                    pid,
                    signal,
                    source,
                })
            }
        }
    }
    Ok(())
}

/// SIGKILLs whatever is in `dirs` until nothing is, re-reading each round to catch processes
/// forked after the previous one.
pub(crate) fn kill_until_empty(
    name: &str,
    dirs: &[&Path],
    timeout: Duration,
) -> Result<(), CgroupError> {
    let start = Instant::now();
    loop {
        let pids = list(dirs)?;
        if pids.is_empty() {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            return Err(TaskError::StillPopulated {
                name: name.to_string(),
                pids,
                waited: start.elapsed(),
            }
            .into());
        }
        signal(&pids, Signal::SIGKILL)?;
        std::thread::sleep(POLL_INTERVAL);
    }
}
