//! The process's stdout and stderr: pipes it writes to, copied by the shim to the json-file log
//! (containers only) and to the caller's attached fds.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};

use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::{pipe2, read};

use crate::args::{ATTACH_STDERR_FD, ATTACH_STDOUT_FD};
use crate::jsonlog::{JsonLog, Stream};

/// The shim's (read) ends of the process's stdout and stderr.
pub struct Output {
    streams: [OwnedFd; 2],
}

impl Output {
    /// The pipes, and their write ends for the process (stdout, stderr).
    pub fn pipes() -> nix::Result<(Output, [OwnedFd; 2])> {
        let (stdout_read, stdout_write) = pipe2(OFlag::O_CLOEXEC)?;
        let (stderr_read, stderr_write) = pipe2(OFlag::O_CLOEXEC)?;
        let output = Output {
            streams: [stdout_read, stderr_read],
        };
        Ok((output, [stdout_write, stderr_write]))
    }

    /// Copies until both streams close, to `log` if given and to each attached fd still open.
    pub fn copy(self, mut log: Option<&mut JsonLog>, mut attached: [Option<File>; 2]) {
        let mut open = [true, true];
        let mut buf = vec![0u8; 64 * 1024];
        while open[0] || open[1] {
            let active: Vec<usize> = (0..2).filter(|&i| open[i]).collect();
            let mut fds: Vec<PollFd> = active
                .iter()
                .map(|&i| PollFd::new(self.streams[i].as_fd(), PollFlags::POLLIN))
                .collect();
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(err) => {
                    eprintln!("hydock-shim: poll: {err}");
                    break;
                }
            }
            let ready: Vec<usize> = active
                .iter()
                .zip(&fds)
                .filter(|(_, fd)| fd.any().unwrap_or(false))
                .map(|(&i, _)| i)
                .collect();
            for index in ready {
                match read(&self.streams[index], &mut buf) {
                    Err(nix::errno::Errno::EINTR) => {}
                    Ok(0) | Err(_) => open[index] = false,
                    Ok(n) => {
                        let stream = if index == 0 {
                            Stream::Stdout
                        } else {
                            Stream::Stderr
                        };
                        if let Some(log) = log.as_deref_mut() {
                            if let Err(err) = log.write(stream, &buf[..n]) {
                                eprintln!("hydock-shim: writing log: {err}");
                            }
                        }
                        if let Some(file) = attached[index].as_mut() {
                            if file.write_all(&buf[..n]).is_err() {
                                attached[index] = None;
                            }
                        }
                    }
                }
            }
        }
        if let Some(log) = log {
            let _ = log.flush();
        }
    }
}

/// The caller's stdout and stderr (fds 4 and 5) when it attached, each only if open.
pub fn attached_fds(attach: bool) -> [Option<File>; 2] {
    [ATTACH_STDOUT_FD, ATTACH_STDERR_FD].map(|fd| {
        if !attach {
            return None;
        }
        // SAFETY: fcntl(F_GETFD) only inspects the fd table.
        let open = unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1;
        // SAFETY: the caller handed this fd to us for our exclusive use and it is open.
        open.then(|| File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
    })
}
