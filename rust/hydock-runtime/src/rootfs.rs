//! The container's root: isolated from host mount events, made a mount point, and pivoted into.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{open, Mode, OFlags};
use rustix::io::Errno;
use rustix::mount::{
    mount_bind_recursive, mount_change, unmount, MountPropagationFlags, UnmountFlags,
};
use rustix::process::{chdir, fchdir, pivot_root};

use crate::mount_api::{set_mount_attrs, MountAttrs};

#[derive(Debug, thiserror::Error)]
pub(crate) enum RootfsError {
    #[error("{step} {}: {source}", path.display())]
    Prepare {
        step: &'static str,
        path: PathBuf,
        source: Errno,
    },
    #[error("{step}: {source}")]
    Pivot { step: &'static str, source: Errno },
    #[error("unknown rootfs propagation {0:?}")]
    UnknownPropagation(String),
}

/// Stops mount events from reaching the host, then bind-mounts the rootfs onto itself so it is a
/// mount point pivot_root accepts. Returns a handle on the rootfs mount for the mounts that follow.
pub(crate) fn prepare(rootfs: &Path) -> Result<OwnedFd, RootfsError> {
    let fail = |step, path: &Path| {
        let path = path.to_path_buf();
        move |source| RootfsError::Prepare { step, path, source }
    };
    mount_change(
        "/",
        MountPropagationFlags::DOWNSTREAM | MountPropagationFlags::REC,
    )
    .map_err(fail("make rslave", Path::new("/")))?;
    mount_bind_recursive(rootfs, rootfs).map_err(fail("bind", rootfs))?;
    open(
        rootfs,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(fail("open", rootfs))
}

/// Makes the rootfs `/` and detaches the old root, leaving the cwd at the new `/`.
pub(crate) fn pivot_into(root: &OwnedFd) -> Result<(), RootfsError> {
    let fail = |step| move |source| RootfsError::Pivot { step, source };
    fchdir(root).map_err(fail("chdir into rootfs"))?;
    // The old root lands on top of the new one at "."; detaching it uncovers the new root.
    pivot_root(".", ".").map_err(fail("pivot_root"))?;
    unmount(".", UnmountFlags::DETACH).map_err(fail("detach old root"))?;
    chdir("/").map_err(fail("chdir /"))
}

/// After pivot_root: `spec.root.readonly` and `spec.linux.rootfsPropagation` on the new `/`.
pub(crate) fn finish(readonly: bool, propagation: Option<&str>) -> Result<(), RootfsError> {
    let fail = |step| move |source| RootfsError::Pivot { step, source };
    let root = open(
        "/",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(fail("open /"))?;
    if readonly {
        set_mount_attrs(root.as_fd(), false, MountAttrs::readonly())
            .map_err(fail("read-only /"))?;
    }
    if let Some(name) = propagation.filter(|name| !name.is_empty()) {
        let (flag, recursive) = crate::mount_options::rootfs_propagation(name)
            .ok_or_else(|| RootfsError::UnknownPropagation(name.to_string()))?;
        set_mount_attrs(root.as_fd(), recursive, MountAttrs::propagation(flag))
            .map_err(fail("propagation of /"))?;
    }
    Ok(())
}
