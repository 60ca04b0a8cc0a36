//! A container's filesystem assembled for the engine's own file operations (cp, export, volume
//! copy-up): its rootfs and volumes mounted in a mount namespace private to the calling thread, so
//! nothing is left mounted on the host whatever happens, and paths opened inside a root without
//! ever leaving it.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};
use oci_spec::runtime::Mount;
use rustix::fs::{open, Mode, OFlags};
use rustix::io::Errno;

use crate::cgroup_mount::OwnCgroups;
use crate::mounts::mount_all;

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("private mount namespace: {step}: {source}")]
    Namespace {
        step: &'static str,
        source: nix::errno::Errno,
    },
    #[error("open {}: {source}", root.display())]
    Root { root: PathBuf, source: Errno },
    /// A mount of the view failed; the runtime's own error, as text (its type is the runtime's).
    #[error("mount {0}")]
    Mount(String),
}

/// Gives the calling thread a mount namespace of its own, a copy of the one it was in.
///
/// The copy is a slave of the original, so unmounts on the host still reach it while its own
/// mounts stay invisible there; they all go away with the thread (the last user of the namespace).
pub fn enter_private_mount_namespace() -> Result<(), ViewError> {
    // CLONE_NEWNS implies CLONE_FS: the thread also stops sharing its root and cwd, which a
    // thread of a multi-threaded process may do.
    unshare(CloneFlags::CLONE_NEWNS).map_err(|source| ViewError::Namespace {
        step: "unshare",
        source,
    })?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_SLAVE,
        None::<&str>,
    )
    .map_err(|source| ViewError::Namespace {
        step: "make / a slave",
        source,
    })
}

/// Mounts the OCI `mounts` (binds and filesystems, absolute sources) inside the tree at `root`, in
/// order, creating their mount points inside it as the runtime does for a container.
pub fn mount_inside(root: &Path, mounts: &[Mount]) -> Result<(), ViewError> {
    let root_fd = open(
        root,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|source| ViewError::Root {
        root: root.to_path_buf(),
        source,
    })?;
    let no_cgroups = OwnCgroups::default();
    mount_all(root_fd.as_fd(), mounts, Path::new("/"), &no_cgroups)
        .map(|_| ())
        .map_err(|err| ViewError::Mount(err.to_string()))
}

/// An O_PATH handle on `path` resolved inside `root` (RESOLVE_IN_ROOT): symlinks, absolute or
/// relative, and `..` are followed but can never lead out of it.
pub fn open_in_root(root: BorrowedFd<'_>, path: &Path) -> Result<OwnedFd, Errno> {
    crate::in_root::open_in_root(root, path)
}
