//! The process's stdin as the shim writes it: a pipe, or the pty master. Writes never block, so
//! a process that stops reading its stdin cannot stall the copying of its output; what it has
//! not taken yet waits here, and the shim reads no more from its clients meanwhile.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::unistd::write;

pub struct Input {
    fd: Option<OwnedFd>,
    pending: Vec<u8>,
}

impl Input {
    /// `fd` is made non-blocking (for a pty master, its reads as well: the pump copes).
    pub fn new(fd: Option<OwnedFd>) -> nix::Result<Input> {
        if let Some(fd) = &fd {
            let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
            fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
        }
        Ok(Input {
            fd,
            pending: Vec::new(),
        })
    }

    /// The descriptor to poll for writability while data waits.
    pub fn waiting(&self) -> Option<BorrowedFd<'_>> {
        self.fd
            .as_ref()
            .filter(|_| !self.pending.is_empty())
            .map(AsFd::as_fd)
    }

    pub fn write(&mut self, data: &[u8]) {
        if self.fd.is_some() {
            self.pending.extend_from_slice(data);
            self.flush();
        }
    }

    /// Writes what the process will take now; a process that closed its stdin (EPIPE, or EIO
    /// from a hung-up pty) gets nothing more.
    pub fn flush(&mut self) {
        let Some(fd) = &self.fd else { return };
        while !self.pending.is_empty() {
            match write(fd, &self.pending) {
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => return,
                Err(_) => return self.close(),
            }
        }
        // A burst of input must not keep its peak allocation for the life of the container.
        self.pending.shrink_to(4096);
    }

    /// The process sees EOF on a pipe; a pty stays open (its master is also the output).
    pub fn close(&mut self) {
        self.fd = None;
        self.pending = Vec::new();
    }

    pub fn is_busy(&self) -> bool {
        !self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::unistd::{pipe, read};

    #[test]
    fn a_full_pipe_keeps_the_rest_until_it_drains_and_close_gives_eof() {
        let (read_end, write_end) = pipe().unwrap();
        let mut input = Input::new(Some(write_end)).unwrap();
        let big = vec![b'x'; 200 * 1024];
        input.write(&big);
        assert!(input.is_busy() && input.waiting().is_some());
        let mut total = 0;
        let mut buf = vec![0u8; 64 * 1024];
        while input.is_busy() {
            total += read(&read_end, &mut buf).unwrap();
            input.flush();
        }
        input.close();
        loop {
            match read(&read_end, &mut buf).unwrap() {
                0 => break,
                n => total += n,
            }
        }
        assert_eq!(total, big.len());
    }

    #[test]
    fn a_reader_gone_drops_the_input() {
        let (read_end, write_end) = pipe().unwrap();
        let mut input = Input::new(Some(write_end)).unwrap();
        drop(read_end);
        input.write(b"hello");
        assert!(!input.is_busy() && input.waiting().is_none());
    }
}
