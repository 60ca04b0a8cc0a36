//! A process's terminal (`process.terminal` in the spec): a pty allocated inside the container, as
//! runc does, so the process sees `/dev/pts/0` of its own devpts; its slave becomes the process's
//! stdio and controlling terminal, its master goes to the caller over the start channel.

use std::io::IoSlice;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{fchown, Mode, OFlags, Uid};
use rustix::io::Errno;
use rustix::net::{
    recvmsg, sendmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use rustix::pty::{grantpt, ioctl_tiocgptpeer, openpt, unlockpt, OpenptFlags};

use crate::in_root::ensure_file_in_root;
use crate::mount_api::{attach, clone_tree};
use crate::stdio;

#[derive(Debug, thiserror::Error)]
pub(crate) enum TerminalError {
    #[error("{step}: {source}")]
    Pty { step: &'static str, source: Errno },
    #[error("/dev/console: {step}: {source}")]
    Console { step: &'static str, source: Errno },
    #[error("send the pty master to the runtime: {source}")]
    Send { source: Errno },
    #[error(transparent)]
    Stdio(#[from] stdio::StdioError),
}

fn pty_step(step: &'static str) -> impl FnOnce(Errno) -> TerminalError {
    move |source| TerminalError::Pty { step, source }
}

/// Where the slave also shows up: a container's first process gets it as /dev/console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Console {
    Bind,
    None,
}

/// Runs in the child once it sees the container's /dev: opens a pty there, hands the slave to
/// `owner` (as runc does, so a non-root user may reopen it), sends the master to the parent on
/// `channel` and installs the slave as stdin, stdout and stderr.
pub(crate) fn attach_new_pty(
    channel: BorrowedFd<'_>,
    owner: u32,
    console: Console,
) -> Result<(), TerminalError> {
    let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
    let master = openpt(flags).map_err(pty_step("open /dev/ptmx"))?;
    grantpt(&master).map_err(pty_step("grantpt"))?;
    unlockpt(&master).map_err(pty_step("unlockpt"))?;
    // TIOCGPTPEER opens the very slave of this master, with no path to race on.
    let slave = ioctl_tiocgptpeer(&master, flags).map_err(pty_step("open the pty slave"))?;
    fchown(&slave, Some(Uid::from_raw(owner)), None).map_err(pty_step("chown the pty slave"))?;
    if console == Console::Bind {
        bind_console(slave.as_fd())?;
    }
    send_master(channel, master.as_fd()).map_err(|source| TerminalError::Send { source })?;
    drop(master);
    stdio::install([slave.as_raw_fd(); 3])?;
    Ok(())
}

fn bind_console(slave: BorrowedFd<'_>) -> Result<(), TerminalError> {
    let fail = |step| move |source| TerminalError::Console { step, source };
    let root = rustix::fs::open("/", OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
        .map_err(fail("open /"))?;
    let target =
        ensure_file_in_root(root.as_fd(), Path::new("/dev/console")).map_err(fail("create"))?;
    let tree = clone_tree(slave, Path::new(""), false).map_err(fail("clone the pty slave"))?;
    attach(tree.as_fd(), target.as_fd()).map_err(fail("bind the pty slave"))
}

/// The master travels alone with one marker byte, so the parent can tell it from an error report.
fn send_master(channel: BorrowedFd<'_>, master: BorrowedFd<'_>) -> Result<(), Errno> {
    let fds = [master];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    control.push(SendAncillaryMessage::ScmRights(&fds));
    loop {
        match sendmsg(
            channel,
            &[IoSlice::new(&[0])],
            &mut control,
            SendFlags::NOSIGNAL,
        ) {
            Err(Errno::INTR) => continue,
            result => return result.map(drop),
        }
    }
}

/// What the child sent the parent before its exec or its failure: the pty master (if it opened
/// one) and the bytes of an error report (empty when the exec succeeded).
pub(crate) struct ChildReport {
    pub terminal: Option<OwnedFd>,
    pub error: Vec<u8>,
}

/// Reads `channel` to its end (the child's copy closes on exec).
pub(crate) fn read_report(channel: BorrowedFd<'_>) -> Result<ChildReport, Errno> {
    let mut report = ChildReport {
        terminal: None,
        error: Vec::new(),
    };
    let mut buf = [0u8; 4096];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    loop {
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let received = match recvmsg(
            channel,
            &mut [std::io::IoSliceMut::new(&mut buf)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        ) {
            Err(Errno::INTR) => continue,
            result => result?,
        };
        if received.bytes == 0 {
            return Ok(report);
        }
        let mut data = &buf[..received.bytes];
        for message in control.drain() {
            if let RecvAncillaryMessage::ScmRights(mut fds) = message {
                if let Some(fd) = fds.next() {
                    report.terminal = Some(fd);
                    // The kernel never merges a message carrying descriptors with later data,
                    // and the child sends it first: its marker is the first byte read here.
                    data = &data[1..];
                }
            }
        }
        report.error.extend_from_slice(data);
    }
}

/// Makes the terminal on stdin the controlling terminal of the session the caller leads.
pub(crate) fn take_control() -> Result<(), Errno> {
    // SAFETY: fd 0 stays open for the duration of the call; the borrow ends with it.
    let stdin = unsafe { BorrowedFd::borrow_raw(0) };
    rustix::process::ioctl_tiocsctty(stdin)
}
