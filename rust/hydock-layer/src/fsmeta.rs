//! Ownership, permission bits, timestamps and extended attributes of filesystem nodes.

use crate::error::{ActionContext, Failed};
use rustix::fd::{AsRawFd, BorrowedFd};
use rustix::fs::{self, AtFlags, Gid, Mode, Timespec, Timestamps, Uid, XattrFlags};
use rustix::io::Errno;
use std::io;

/// The metadata a tar entry carries for the node it creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Metadata {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// Permission bits including set-uid, set-gid and sticky.
    pub(crate) mode: u32,
    pub(crate) mtime: Timespec,
    pub(crate) xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Metadata {
    /// Sets owner, mode and xattrs of a file or directory open at `fd`, in that order: chown
    /// clears set-id bits and `security.capability`, so it must come first.
    pub(crate) fn apply_to_fd(&self, fd: BorrowedFd<'_>) -> Result<(), Failed> {
        fs::fchown(fd, Some(self.uid()), Some(self.gid())).during("setting owner")?;
        fs::fchmod(fd, self.permissions()).during("setting mode")?;
        for (name, value) in &self.xattrs {
            ignore_unsupported(fs::fsetxattr(fd, &name[..], value, XattrFlags::empty()))
                .during("setting xattr")?;
        }
        Ok(())
    }

    /// Sets owner, mode (except on symlinks, which have none), xattrs and times of `name` in
    /// `parent`, never following a symlink there.
    pub(crate) fn apply_to_name(
        &self,
        parent: BorrowedFd<'_>,
        name: &[u8],
        is_symlink: bool,
    ) -> Result<(), Failed> {
        fs::chownat(
            parent,
            name,
            Some(self.uid()),
            Some(self.gid()),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .during("setting owner")?;
        if !is_symlink {
            fs::chmodat(parent, name, self.permissions(), AtFlags::empty())
                .during("setting mode")?;
        }
        if !self.xattrs.is_empty() {
            let path = proc_path(parent, name);
            for (xattr, value) in &self.xattrs {
                ignore_unsupported(fs::lsetxattr(&path, &xattr[..], value, XattrFlags::empty()))
                    .during("setting xattr")?;
            }
        }
        fs::utimensat(parent, name, &self.times(), AtFlags::SYMLINK_NOFOLLOW)
            .during("setting times")
    }

    /// Access and modification times, both set to the entry's mtime as tar does.
    pub(crate) fn times(&self) -> Timestamps {
        Timestamps {
            last_access: self.mtime,
            last_modification: self.mtime,
        }
    }

    fn uid(&self) -> Uid {
        Uid::from_raw(self.uid)
    }

    fn gid(&self) -> Gid {
        Gid::from_raw(self.gid)
    }

    fn permissions(&self) -> Mode {
        Mode::from_raw_mode(self.mode & 0o7777)
    }
}

/// A path naming `name` in the directory open at `dir`, for the xattr calls that have no `*at`
/// form. The kernel resolves the fd link to that very directory, so nothing is looked up by a
/// path that could have changed underneath.
pub(crate) fn proc_path(dir: BorrowedFd<'_>, name: &[u8]) -> Vec<u8> {
    let mut path = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
    path.extend_from_slice(name);
    path
}

/// Filesystems without xattr support cannot hold them; like Docker, the layer still applies.
fn ignore_unsupported(result: rustix::io::Result<()>) -> rustix::io::Result<()> {
    match result {
        Err(Errno::OPNOTSUPP) => Ok(()),
        other => other,
    }
}

/// All extended attributes of the node at `path` (not following a final symlink), sorted by
/// name so that archives are reproducible.
pub(crate) fn read_xattrs(path: &[u8]) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let names = read_sized(|buf| fs::llistxattr(path, buf))?;
    let mut xattrs = Vec::new();
    for name in names
        .split(|byte| *byte == 0)
        .filter(|name| !name.is_empty())
    {
        match read_sized(|buf| fs::lgetxattr(path, name, buf)) {
            Ok(value) => xattrs.push((name.to_vec(), value)),
            // Removed between listing and reading.
            Err(err) if err.raw_os_error() == Some(Errno::NODATA.raw_os_error()) => {}
            Err(err) => return Err(err),
        }
    }
    xattrs.sort();
    Ok(xattrs)
}

/// Calls a "fill this buffer" xattr syscall, growing the buffer until the value fits.
fn read_sized(mut call: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    loop {
        match call(&mut buf) {
            Ok(len) => {
                buf.truncate(len);
                return Ok(buf);
            }
            Err(Errno::RANGE) if buf.len() < XATTR_SIZE_MAX => {
                buf.resize((buf.len() * 4).min(XATTR_SIZE_MAX), 0);
            }
            Err(Errno::OPNOTSUPP) => return Ok(Vec::new()),
            Err(err) => return Err(err.into()),
        }
    }
}

/// The kernel's limit on a single xattr value and on a name list.
const XATTR_SIZE_MAX: usize = 1 << 16;
