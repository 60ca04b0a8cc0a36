//! Keeps every filesystem operation of an extraction inside the target directory: entry names
//! are normalised lexically, and directories are opened with `openat2(RESOLVE_BENEATH)` so that
//! no symlink, absolute or relative, can lead outside.

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use std::io;

/// A normalised path relative to the target: no leading `/`, no empty, `.` or `..` components.
/// The empty path is the target itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelPath(Vec<u8>);

impl RelPath {
    /// Normalises a tar entry or hardlink name. Absolute names are refused, as is any `..` that
    /// would climb above the target; other `..` are resolved lexically, as Docker does.
    pub(crate) fn parse(name: &[u8]) -> Result<RelPath, &'static str> {
        if name.starts_with(b"/") {
            return Err("absolute path");
        }
        let mut parts: Vec<&[u8]> = Vec::new();
        for part in name.split(|byte| *byte == b'/') {
            match part {
                b"" | b"." => {}
                b".." => {
                    if parts.pop().is_none() {
                        return Err("'..' climbs above the target");
                    }
                }
                _ => parts.push(part),
            }
        }
        Ok(RelPath(parts.join(&b'/')))
    }

    pub(crate) fn root() -> RelPath {
        RelPath(Vec::new())
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The final name; empty for the target itself.
    pub(crate) fn file_name(&self) -> &[u8] {
        self.split().map_or(&[], |(_, name)| name)
    }

    /// The parent directory and the final name, or `None` for the target itself.
    pub(crate) fn split(&self) -> Option<(&[u8], &[u8])> {
        if self.0.is_empty() {
            return None;
        }
        Some(match self.0.iter().rposition(|byte| *byte == b'/') {
            Some(slash) => (&self.0[..slash], &self.0[slash + 1..]),
            None => (&[], &self.0[..]),
        })
    }
}

/// Whether an error from the functions below means the path resolved outside the target.
pub(crate) fn is_escape(err: &io::Error) -> bool {
    err.raw_os_error() == Some(Errno::XDEV.raw_os_error())
}

/// Opens directory `rel` (empty: the target) for reading and metadata changes, following only
/// symlinks that stay beneath `root`.
pub(crate) fn open_dir(root: BorrowedFd<'_>, rel: &[u8]) -> io::Result<OwnedFd> {
    open_dir_resolving(root, rel, ResolveFlags::empty())
}

/// Like `open_dir`, but `None` when the path crosses a symlink.
pub(crate) fn open_dir_without_symlinks(
    root: BorrowedFd<'_>,
    rel: &[u8],
) -> io::Result<Option<OwnedFd>> {
    match open_dir_resolving(root, rel, ResolveFlags::NO_SYMLINKS) {
        Err(err) if err.raw_os_error() == Some(Errno::LOOP.raw_os_error()) => Ok(None),
        result => result.map(Some),
    }
}

fn open_dir_resolving(
    root: BorrowedFd<'_>,
    rel: &[u8],
    extra: ResolveFlags,
) -> io::Result<OwnedFd> {
    let path: &[u8] = if rel.is_empty() { b"." } else { rel };
    openat2_retrying(
        root,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS | extra,
    )
}

/// openat2, retried while the kernel reports EAGAIN: it asks for a retry when a concurrent
/// rename or mount raced a RESOLVE_BENEATH lookup.
pub(crate) fn openat2_retrying(
    root: BorrowedFd<'_>,
    path: &[u8],
    flags: OFlags,
    mode: Mode,
    resolve: ResolveFlags,
) -> io::Result<OwnedFd> {
    loop {
        match fs::openat2(root, path, flags, mode, resolve) {
            Err(Errno::AGAIN) => continue,
            result => return result.map_err(io::Error::from),
        }
    }
}

const IMPLICIT_DIR_MODE: Mode = Mode::from_raw_mode(0o755);

/// Like `open_dir`, creating missing directories (mode 0755, owned by the caller) on the way,
/// as tar does for entries whose parents are not in the archive.
pub(crate) fn open_or_create_dir(root: BorrowedFd<'_>, rel: &[u8]) -> io::Result<OwnedFd> {
    match open_dir(root, rel) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        result => return result,
    }
    let mut dir = open_dir(root, b"")?;
    let mut end = 0;
    for name in rel.split(|byte| *byte == b'/') {
        end += name.len();
        let created = match fs::mkdirat(&dir, name, IMPLICIT_DIR_MODE) {
            Ok(()) => true,
            Err(Errno::EXIST) => false,
            Err(err) => return Err(err.into()),
        };
        dir = open_dir(root, &rel[..end])?;
        if created {
            // mkdir applied the umask; implicit directories are 0755 whatever the caller's umask.
            fs::fchmod(&dir, IMPLICIT_DIR_MODE)?;
        }
        end += 1;
    }
    Ok(dir)
}

/// Opens directory `name` of `parent` without following a symlink in its place.
pub(crate) fn open_child_dir(parent: BorrowedFd<'_>, name: &[u8]) -> io::Result<OwnedFd> {
    Ok(fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Runs `create`; if `name` already exists in `parent`, removes it (a whole tree if it is a
/// directory) and runs `create` once more.
pub(crate) fn create_replacing<T>(
    parent: BorrowedFd<'_>,
    name: &[u8],
    mut create: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    match create() {
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            remove_any(parent, name)?;
            create()
        }
        result => result,
    }
}

/// Removes `name` from `parent` whatever it is; a missing name is not an error.
pub(crate) fn remove_any(parent: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    match fs::unlinkat(parent, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(Errno::ISDIR) => remove_tree(parent, name),
        Err(err) => Err(err.into()),
    }
}

fn remove_tree(parent: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    let dir = open_child_dir(parent, name)?;
    // Names are collected first: unlinking while reading a directory may skip entries.
    let mut children = Vec::new();
    for entry in fs::Dir::read_from(&dir)? {
        let child = entry?.file_name().to_bytes().to_vec();
        if child != b"." && child != b".." {
            children.push(child);
        }
    }
    for child in children {
        remove_any(dir.as_fd(), &child)?;
    }
    fs::unlinkat(parent, name, AtFlags::REMOVEDIR)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        let parse = |name: &[u8]| RelPath::parse(name).map(|p| p.as_bytes().to_vec());
        assert_eq!(parse(b"./usr//bin/./ls").unwrap(), b"usr/bin/ls");
        assert_eq!(parse(b"etc/").unwrap(), b"etc");
        assert_eq!(parse(b"./").unwrap(), b"");
        assert_eq!(parse(b"a/b/../c").unwrap(), b"a/c");
        assert!(parse(b"/etc/passwd").is_err());
        assert!(parse(b"../x").is_err());
        assert!(parse(b"a/../../x").is_err());
    }

    #[test]
    fn split_gives_parent_and_name() {
        let path = RelPath::parse(b"a/b/c").unwrap();
        assert_eq!(path.split(), Some((&b"a/b"[..], &b"c"[..])));
        let top = RelPath::parse(b"c").unwrap();
        assert_eq!(top.split(), Some((&b""[..], &b"c"[..])));
        assert_eq!(RelPath::parse(b".").unwrap().split(), None);
    }
}
