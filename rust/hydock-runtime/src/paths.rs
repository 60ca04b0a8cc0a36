//! `maskedPaths` and `readonlyPaths`, applied inside the container after pivot_root.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{fstat, open, FileType, Mode, OFlags, CWD};
use rustix::io::Errno;
use rustix::mount::{fsconfig_create, fsmount, fsopen, FsMountFlags, FsOpenFlags, MountAttrFlags};

use crate::in_root::open_in_root;
use crate::mount_api::{attach, clone_tree, rebind_with_attrs, MountAttrs};

#[derive(Debug, thiserror::Error)]
#[error("{}: {step}: {source}", path.display())]
pub(crate) struct PathsError {
    path: PathBuf,
    step: &'static str,
    source: Errno,
}

fn root() -> Result<OwnedFd, PathsError> {
    open(
        "/",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|source| PathsError {
        path: "/".into(),
        step: "open",
        source,
    })
}

/// Opens `path` in the container, or None when it does not exist (a missing path needs no mask).
fn open_existing(root: BorrowedFd<'_>, path: &Path) -> Result<Option<OwnedFd>, PathsError> {
    match open_in_root(root, path) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::NOENT) => Ok(None),
        Err(source) => Err(PathsError {
            path: path.to_path_buf(),
            step: "open",
            source,
        }),
    }
}

/// Hides each path: /dev/null over files, an empty read-only tmpfs over directories.
pub(crate) fn mask(paths: &[String]) -> Result<(), PathsError> {
    let root = root()?;
    for path in paths.iter().map(Path::new) {
        let Some(target) = open_existing(root.as_fd(), path)? else {
            continue;
        };
        let fail = |step| {
            move |source| PathsError {
                path: path.to_path_buf(),
                step,
                source,
            }
        };
        let is_dir = FileType::from_raw_mode(fstat(&target).map_err(fail("stat"))?.st_mode)
            == FileType::Directory;
        let cover = if is_dir {
            empty_readonly_tmpfs().map_err(fail("tmpfs"))?
        } else {
            clone_tree(CWD, Path::new("/dev/null"), false).map_err(fail("open /dev/null"))?
        };
        attach(cover.as_fd(), target.as_fd()).map_err(fail("mount"))?;
    }
    Ok(())
}

fn empty_readonly_tmpfs() -> Result<OwnedFd, Errno> {
    let fs = fsopen("tmpfs", FsOpenFlags::FSOPEN_CLOEXEC)?;
    fsconfig_create(&fs)?;
    fsmount(
        &fs,
        FsMountFlags::FSMOUNT_CLOEXEC,
        MountAttrFlags::MOUNT_ATTR_RDONLY,
    )
}

/// Makes each path, and every mount below it, read-only.
pub(crate) fn make_readonly(paths: &[String]) -> Result<(), PathsError> {
    let root = root()?;
    for path in paths.iter().map(Path::new) {
        let Some(target) = open_existing(root.as_fd(), path)? else {
            continue;
        };
        rebind_with_attrs(&target, MountAttrs::readonly()).map_err(|source| PathsError {
            path: path.to_path_buf(),
            step: "read-only bind",
            source,
        })?;
    }
    Ok(())
}
