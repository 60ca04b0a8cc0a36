//! The control socket of an interactive process: whoever attaches (the daemon that started the
//! process, or a later one after a restart) connects to it to write the process's stdin, end
//! it, set its terminal's window size, and receive its output.
//!
//! A unix SOCK_SEQPACKET socket, so every message arrives whole: one kind byte, then
//! `d` + stdin bytes, `c` (close stdin), `r` + rows and columns (u16 little-endian each), or `o`
//! (send me the output). Output goes back as messages of the stream's number (1 stdout, 2
//! stderr, as in Docker's multiplexed streams) and the bytes.

use std::ffi::OsStr;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{open, unlinkat, AtFlags, Mode, OFlags};
use rustix::io::Errno;
use rustix::net::{
    accept_with, bind, listen, recv, sendmsg, socket_with, AddressFamily, RecvFlags,
    SendAncillaryBuffer, SendFlags, SocketAddrUnix, SocketFlags, SocketType,
};

/// The largest message a client may send: its stdin comes in pieces of at most 32 KiB.
pub const MAX_MESSAGE: usize = 32 * 1024 + 1;

#[derive(Debug, PartialEq, Eq)]
pub enum Message<'a> {
    Stdin(&'a [u8]),
    CloseStdin,
    Resize { rows: u16, cols: u16 },
    WatchOutput,
}

impl<'a> Message<'a> {
    pub fn parse(bytes: &'a [u8]) -> Option<Message<'a>> {
        match bytes.split_first()? {
            (b'd', data) => Some(Message::Stdin(data)),
            (b'c', []) => Some(Message::CloseStdin),
            (b'o', []) => Some(Message::WatchOutput),
            (b'r', &[r0, r1, c0, c1]) => Some(Message::Resize {
                rows: u16::from_le_bytes([r0, r1]),
                cols: u16::from_le_bytes([c0, c1]),
            }),
            _ => None,
        }
    }
}

/// The listening socket and its connected clients; the socket file is removed on drop.
pub struct ControlSocket {
    listener: OwnedFd,
    dir: OwnedFd,
    name: Vec<u8>,
    pub clients: Vec<Client>,
}

pub struct Client {
    pub fd: OwnedFd,
    pub watches_output: bool,
}

impl ControlSocket {
    /// Listens at `path`, replacing a stale socket left there by an earlier run.
    pub fn listen(path: &Path) -> io::Result<ControlSocket> {
        let parent = path.parent().unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::other(format!("{}: no file name", path.display())))?;
        let dir = open(
            parent,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        match unlinkat(&dir, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(err) => return Err(err.into()),
        }
        let listener = socket_with(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
            None,
        )?;
        // Through the directory's descriptor, the address stays short whatever the bundle's path.
        let mut short = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
        short.extend_from_slice(name.as_bytes());
        bind(&listener, &SocketAddrUnix::new(OsStr::from_bytes(&short))?)?;
        listen(&listener, 8)?;
        Ok(ControlSocket {
            listener,
            dir,
            name: name.as_bytes().to_vec(),
            clients: Vec::new(),
        })
    }

    pub fn listener(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }

    /// Takes every pending connection.
    pub fn accept(&mut self) {
        loop {
            match accept_with(&self.listener, SocketFlags::CLOEXEC | SocketFlags::NONBLOCK) {
                Ok(fd) => self.clients.push(Client {
                    fd,
                    watches_output: false,
                }),
                Err(Errno::INTR) => continue,
                Err(_) => return,
            }
        }
    }

    /// One message from client `index` into `buf`.
    pub fn receive(&self, index: usize, buf: &mut [u8]) -> Received {
        loop {
            match recv(&self.clients[index].fd, &mut *buf, RecvFlags::TRUNC) {
                // Every message has a kind byte: an empty read is the client hanging up.
                Ok((_, 0)) => return Received::Gone,
                Ok((_, n)) if n > buf.len() => return Received::Gone,
                Ok((_, n)) => return Received::Message(n),
                Err(Errno::INTR) => continue,
                Err(Errno::AGAIN) => return Received::Nothing,
                Err(_) => return Received::Gone,
            }
        }
    }
}

impl ControlSocket {
    /// Sends output to every client watching it. A client whose socket is full is dropped rather
    /// than waited for: the shim never stalls on a reader, and the reader sees its stream end.
    pub fn send_output(&mut self, stream: u8, data: &[u8]) {
        let kind = [stream];
        self.clients.retain(|client| {
            if !client.watches_output {
                return true;
            }
            let message = [IoSlice::new(&kind), IoSlice::new(data)];
            let flags = SendFlags::DONTWAIT | SendFlags::NOSIGNAL;
            let mut control = SendAncillaryBuffer::default();
            loop {
                match sendmsg(&client.fd, &message, &mut control, flags) {
                    Err(Errno::INTR) => continue,
                    result => return result.is_ok(),
                }
            }
        });
    }
}

pub enum Received {
    /// A message of this many bytes.
    Message(usize),
    Nothing,
    /// The client hung up, or broke the protocol (an oversized message): drop it.
    Gone,
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = unlinkat(&self.dir, OsStr::from_bytes(&self.name), AtFlags::empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_parse_and_anything_else_is_refused() {
        assert_eq!(Message::parse(b"dhi\n"), Some(Message::Stdin(b"hi\n")));
        assert_eq!(Message::parse(b"d"), Some(Message::Stdin(b"")));
        assert_eq!(Message::parse(b"c"), Some(Message::CloseStdin));
        assert_eq!(Message::parse(b"o"), Some(Message::WatchOutput));
        assert_eq!(
            Message::parse(b"r\x18\x00\x50\x00"),
            Some(Message::Resize { rows: 24, cols: 80 })
        );
        for bad in [&b""[..], b"cx", b"r\x18\x00", b"x"] {
            assert_eq!(Message::parse(bad), None, "{bad:?}");
        }
    }

    fn connected(socket: &mut ControlSocket, path: &Path) -> OwnedFd {
        let client = socket_with(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        rustix::net::connect(&client, &SocketAddrUnix::new(path).unwrap()).unwrap();
        socket.accept();
        client
    }

    #[test]
    fn output_goes_to_watchers_whole_and_a_full_one_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("control.sock");
        let mut socket = ControlSocket::listen(&path).unwrap();
        let watcher = connected(&mut socket, &path);
        let _bystander = connected(&mut socket, &path);
        socket.clients[0].watches_output = true;
        socket.send_output(2, b"oops\n");
        let mut buf = [0u8; 64];
        let (_, n) = recv(&watcher, &mut buf[..], RecvFlags::empty()).unwrap();
        assert_eq!(&buf[..n], b"\x02oops\n");
        let chunk = vec![b'x'; 32 * 1024];
        for _ in 0..1000 {
            socket.send_output(1, &chunk);
        }
        assert_eq!(
            socket.clients.len(),
            1,
            "the watcher that reads nothing is dropped"
        );
        assert!(!socket.clients[0].watches_output);
    }

    #[test]
    fn a_long_bundle_path_still_binds_and_the_socket_goes_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d".repeat(120));
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("control.sock");
        std::fs::write(&path, "stale").unwrap();
        let socket = ControlSocket::listen(&path).unwrap();
        assert!(std::fs::symlink_metadata(&path).is_ok());
        drop(socket);
        assert!(std::fs::symlink_metadata(&path).is_err());
    }
}
