//! What the shim tells the outside world: status lines on the caller's pipe and the exit file.
//!
//! The caller reads one line when the container has started (or failed to) and, if it is
//! still listening, a second line when it has exited. The exit file is the durable copy of
//! the second line, for whoever asks later (the caller may be long gone).

use std::fs;
use std::io::{self, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;

use serde::Serialize;

/// Also the content of `shim.json` in the bundle: who runs the container, since when. The
/// start times (clock ticks since boot, /proc/PID/stat field 22) tell a live pid from a reused one.
#[derive(Serialize)]
pub struct Started {
    pub pid: i32,
    pub shim_pid: i32,
    pub pid_start: u64,
    pub shim_start: u64,
    pub started_at: String,
}

#[derive(Serialize)]
pub struct StartFailed<'a> {
    pub error: &'a str,
    pub step: &'a str,
    pub kind: &'a str,
}

#[derive(Serialize)]
pub struct Exited {
    pub exit_code: i32,
    pub oom_killed: bool,
    pub finished_at: String,
}

pub struct StatusPipe {
    file: Option<fs::File>,
}

impl StatusPipe {
    /// Takes ownership of the inherited status fd; a missing fd means nobody listens.
    pub fn inherit(fd: i32) -> StatusPipe {
        // SAFETY: fcntl(F_GETFD) only inspects the fd table; a closed fd yields -1 (EBADF).
        let open = unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1;
        // SAFETY: the fd was checked open above and nothing else in this process owns it.
        let file = open.then(|| fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) }));
        StatusPipe { file }
    }

    /// Sends one JSON line; a caller that went away is not an error for the shim.
    pub fn send<T: Serialize>(&mut self, message: &T) {
        if let Some(file) = self.file.as_mut() {
            let mut line = serde_json::to_vec(message).unwrap_or_default();
            line.push(b'\n');
            if file.write_all(&line).is_err() {
                self.file = None;
            }
        }
    }
}

/// Replaces `path` with `record` as JSON, atomically (temp file + rename).
pub fn write_record<T: Serialize>(path: &Path, record: &T) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let data = serde_json::to_vec(record).map_err(io::Error::other)?;
    fs::write(&tmp, data)?;
    fs::rename(&tmp, path)
}

/// Field 22 of /proc/PID/stat; 0 when the process is gone.
pub fn process_start_time(pid: i32) -> u64 {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The command name may contain spaces and parentheses: fields resume after the last ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
        .and_then(|field| field.parse().ok())
        .unwrap_or(0)
}
