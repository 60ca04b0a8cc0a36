//! The container's stdio on fds 0, 1 and 2, and no other descriptor surviving exec.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

use nix::unistd::{dup2_stderr, dup2_stdin, dup2_stdout};
use rustix::io::fcntl_dupfd_cloexec;

#[derive(Debug, thiserror::Error)]
#[error("{stream} (fd {fd}): {source}")]
pub(crate) struct StdioError {
    stream: &'static str,
    fd: RawFd,
    source: io::Error,
}

type Install = fn(&OwnedFd) -> nix::Result<()>;

/// Installs `fds` (stdin, stdout, stderr) as 0, 1, 2 and marks every other descriptor close-on-exec.
pub(crate) fn install(fds: [RawFd; 3]) -> Result<(), StdioError> {
    let streams: [(&str, Install); 3] = [
        ("stdin", |fd| dup2_stdin(fd)),
        ("stdout", |fd| dup2_stdout(fd)),
        ("stderr", |fd| dup2_stderr(fd)),
    ];
    // Copies above 2 first, so that installing one stream never overwrites another's source
    // (say stdout is the caller's fd 0).
    let mut copies: Vec<OwnedFd> = Vec::with_capacity(3);
    for ((stream, _), fd) in streams.iter().zip(fds) {
        // SAFETY: the caller of `spawn` guarantees these descriptors are open for the whole call.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let copy = fcntl_dupfd_cloexec(borrowed, 3).map_err(|source| StdioError {
            stream,
            fd,
            source: source.into(),
        })?;
        copies.push(copy);
    }
    for (((stream, install), copy), fd) in streams.iter().zip(&copies).zip(fds) {
        install(copy).map_err(|source| StdioError {
            stream,
            fd,
            source: source.into(),
        })?;
    }
    drop(copies);
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets FD_CLOEXEC on descriptors >= 3.
    if unsafe { libc::close_range(3, u32::MAX, libc::CLOSE_RANGE_CLOEXEC as i32) } < 0 {
        let source = io::Error::last_os_error();
        return Err(StdioError {
            stream: "descriptors above stderr",
            fd: 3,
            source,
        });
    }
    Ok(())
}
