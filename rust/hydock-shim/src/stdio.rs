//! The process's stdio as the shim holds it: the read ends of its stdout and stderr (two pipes,
//! or the pty master standing for both), copied to the json-file log (containers only) and to
//! the caller's attached fds; and for an interactive process its stdin and the control socket.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use hydock_runtime::SpawnOptions;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::{pipe2, read};
use rustix::termios::{tcsetwinsize, Winsize};

use crate::args::{ATTACH_STDERR_FD, ATTACH_STDOUT_FD};
use crate::control::{ControlSocket, Message, Received, MAX_MESSAGE};
use crate::input::Input;
use crate::jsonlog::{JsonLog, Stream};

/// The pipes made for a process before it starts: the shim's ends and the process's.
pub struct Pipes {
    outputs: Vec<(OwnedFd, Stream)>,
    stdin: Option<OwnedFd>,
    child: [Option<OwnedFd>; 3],
}

impl Pipes {
    /// Output pipes unless the process has a `terminal` (its pty then carries everything), and
    /// a stdin pipe when it is to have one.
    pub fn new(terminal: bool, open_stdin: bool) -> nix::Result<Pipes> {
        let mut pipes = Pipes {
            outputs: Vec::new(),
            stdin: None,
            child: [None, None, None],
        };
        if terminal {
            return Ok(pipes);
        }
        if open_stdin {
            let (read_end, write_end) = pipe2(OFlag::O_CLOEXEC)?;
            pipes.stdin = Some(write_end);
            pipes.child[0] = Some(read_end);
        }
        for (slot, stream) in [(1, Stream::Stdout), (2, Stream::Stderr)] {
            let (read_end, write_end) = pipe2(OFlag::O_CLOEXEC)?;
            pipes.outputs.push((read_end, stream));
            pipes.child[slot] = Some(write_end);
        }
        Ok(pipes)
    }

    pub fn spawn_options(&self, init: bool) -> SpawnOptions {
        let [stdin, stdout, stderr] = self
            .child
            .each_ref()
            .map(|fd| fd.as_ref().map(AsRawFd::as_raw_fd));
        SpawnOptions {
            stdin,
            stdout,
            stderr,
            init,
        }
    }

    /// Once the process runs: its ends of the pipes are closed here (so their EOF is seen), and
    /// the pty `master`, if it has one, is its output and, with `open_stdin`, its input.
    pub fn started(
        self,
        master: Option<OwnedFd>,
        open_stdin: bool,
        control: Option<ControlSocket>,
    ) -> nix::Result<ProcessIo> {
        let Pipes {
            mut outputs, stdin, ..
        } = self;
        let (input, terminal) = match master {
            Some(master) => {
                let input = if open_stdin {
                    Some(master.try_clone().map_err(io_errno)?)
                } else {
                    None
                };
                let terminal = master.try_clone().map_err(io_errno)?;
                outputs.push((master, Stream::Stdout));
                (input, Some(terminal))
            }
            None => (stdin, None),
        };
        Ok(ProcessIo {
            outputs,
            input: Input::new(input)?,
            terminal,
            control,
        })
    }
}

fn io_errno(err: std::io::Error) -> Errno {
    Errno::from_raw(err.raw_os_error().unwrap_or(libc::EIO))
}

pub struct ProcessIo {
    outputs: Vec<(OwnedFd, Stream)>,
    input: Input,
    /// The pty master, for window sizes.
    terminal: Option<OwnedFd>,
    control: Option<ControlSocket>,
}

/// What one poll found: which outputs, clients and the listener may be read, and whether the
/// input may be written.
struct Ready {
    outputs: Vec<bool>,
    listener: bool,
    clients: Vec<bool>,
    input: bool,
}

impl ProcessIo {
    /// Whether the process has a terminal: its output is then one stream, stdout.
    pub fn has_terminal(&self) -> bool {
        self.terminal.is_some()
    }

    /// Copies output until every stream has closed, to `log` if given and to each attached fd
    /// still open, while serving the control socket's clients.
    pub fn pump(mut self, mut log: Option<&mut JsonLog>, mut attached: [Option<File>; 2]) {
        let mut open = vec![true; self.outputs.len()];
        let mut buf = vec![0u8; 64 * 1024];
        let mut message = vec![
            0u8;
            if self.control.is_some() {
                MAX_MESSAGE
            } else {
                0
            }
        ];
        while open.contains(&true) {
            let ready = match self.poll(&open) {
                Ok(ready) => ready,
                Err(Errno::EINTR) => continue,
                Err(err) => {
                    eprintln!("hydock-shim: poll: {err}");
                    break;
                }
            };
            for (index, _) in ready.outputs.iter().enumerate().filter(|(_, r)| **r) {
                let (fd, stream) = &self.outputs[index];
                match read(fd, &mut buf) {
                    Err(Errno::EINTR | Errno::EAGAIN) => {}
                    // A pty master reads EIO once no process holds its slave any more.
                    Ok(0) | Err(_) => open[index] = false,
                    Ok(n) => {
                        let stream = *stream;
                        copy_out(&buf[..n], stream, log.as_deref_mut(), &mut attached);
                        if let Some(control) = &mut self.control {
                            control.send_output(stream as u8 + 1, &buf[..n]);
                        }
                    }
                }
            }
            if ready.input {
                self.input.flush();
            }
            self.serve_clients(&ready, &mut message);
            if ready.listener {
                if let Some(control) = &mut self.control {
                    control.accept();
                }
            }
        }
        if let Some(log) = log {
            let _ = log.flush();
        }
    }

    fn poll(&self, open: &[bool]) -> nix::Result<Ready> {
        let readable = |fd| PollFd::new(fd, PollFlags::POLLIN);
        let outputs: Vec<usize> = (0..open.len()).filter(|&i| open[i]).collect();
        let mut fds: Vec<PollFd> = outputs
            .iter()
            .map(|&i| readable(self.outputs[i].0.as_fd()))
            .collect();
        // While the process has not taken earlier input, clients wait: that is the backpressure.
        let listening = !self.input.is_busy();
        let (mut listener, mut clients) = (None, 0);
        if let Some(control) = self.control.as_ref().filter(|_| listening) {
            listener = Some(fds.len());
            fds.push(readable(control.listener()));
            clients = control.clients.len();
            fds.extend(control.clients.iter().map(|c| readable(c.fd.as_fd())));
        }
        let input = self.input.waiting().map(|fd| {
            fds.push(PollFd::new(fd, PollFlags::POLLOUT));
            fds.len() - 1
        });
        poll(&mut fds, PollTimeout::NONE)?;
        let fired = |index: usize| fds[index].any().unwrap_or(false);
        let mut output_ready = vec![false; open.len()];
        for (slot, &index) in outputs.iter().enumerate() {
            output_ready[index] = fired(slot);
        }
        Ok(Ready {
            outputs: output_ready,
            listener: listener.is_some_and(fired),
            clients: listener.map_or(Vec::new(), |first| {
                (0..clients).map(|i| fired(first + 1 + i)).collect()
            }),
            input: input.is_some_and(fired),
        })
    }

    /// One message from each client that has one; clients that hung up are dropped.
    fn serve_clients(&mut self, ready: &Ready, buf: &mut [u8]) {
        let Some(control) = &mut self.control else {
            return;
        };
        let mut gone = Vec::new();
        for (index, _) in ready.clients.iter().enumerate().filter(|(_, r)| **r) {
            let length = match control.receive(index, buf) {
                Received::Message(length) => length,
                Received::Nothing => continue,
                Received::Gone => {
                    gone.push(index);
                    continue;
                }
            };
            match Message::parse(&buf[..length]) {
                Some(Message::Stdin(data)) => self.input.write(data),
                Some(Message::CloseStdin) => self.input.close(),
                Some(Message::Resize { rows, cols }) => resize(self.terminal.as_ref(), rows, cols),
                Some(Message::WatchOutput) => control.clients[index].watches_output = true,
                None => gone.push(index),
            }
        }
        for index in gone.into_iter().rev() {
            control.clients.remove(index);
        }
    }
}

fn copy_out(
    data: &[u8],
    stream: Stream,
    log: Option<&mut JsonLog>,
    attached: &mut [Option<File>; 2],
) {
    if let Some(log) = log {
        if let Err(err) = log.write(stream, data) {
            eprintln!("hydock-shim: writing log: {err}");
        }
    }
    let target = &mut attached[stream as usize];
    if let Some(file) = target.as_mut() {
        if file.write_all(data).is_err() {
            *target = None;
        }
    }
}

/// A process without a terminal has no window: like containerd's shim, resizing it does nothing.
fn resize(terminal: Option<&OwnedFd>, rows: u16, cols: u16) {
    let Some(master) = terminal else { return };
    let size = Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    if let Err(err) = tcsetwinsize(master, size) {
        eprintln!("hydock-shim: resize the terminal: {err}");
    }
}

/// The caller's stdout and stderr (fds 4 and 5) when it attached, each only if open. A process
/// with a terminal writes only stdout: the stderr fd is closed at once, so the caller sees its
/// end.
pub fn attached_fds(attach: bool, terminal: bool) -> [Option<File>; 2] {
    let mut fds = [ATTACH_STDOUT_FD, ATTACH_STDERR_FD].map(|fd| {
        if !attach {
            return None;
        }
        // SAFETY: fcntl(F_GETFD) only inspects the fd table.
        let open = unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1;
        // SAFETY: the caller handed this fd to us for our exclusive use and it is open.
        open.then(|| File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
    });
    if terminal {
        fds[1] = None;
    }
    fds
}
