//! The file-descriptor mount API: detached bind trees, attaching them, and mount_setattr.
//!
//! Every mount the child makes is attached with move_mount onto an O_PATH handle obtained inside
//! the rootfs, so a mount never lands on a path re-resolved through a symlink.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::io::Errno;
use rustix::mount::{move_mount, open_tree, MountAttrFlags, MoveMountFlags, OpenTreeFlags};

/// Attribute changes for one mount_setattr call; `propagation` is 0 or one MS_* propagation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MountAttrs {
    pub set: MountAttrFlags,
    pub clear: MountAttrFlags,
    pub propagation: u64,
}

impl Default for MountAttrs {
    fn default() -> Self {
        MountAttrs {
            set: MountAttrFlags::empty(),
            clear: MountAttrFlags::empty(),
            propagation: 0,
        }
    }
}

impl MountAttrs {
    pub(crate) fn readonly() -> Self {
        MountAttrs {
            set: MountAttrFlags::MOUNT_ATTR_RDONLY,
            ..Default::default()
        }
    }

    pub(crate) fn propagation(flag: u64) -> Self {
        MountAttrs {
            propagation: flag,
            ..Default::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.set.is_empty() && self.clear.is_empty() && self.propagation == 0
    }
}

/// Layout of the kernel's `struct mount_attr` (MOUNT_ATTR_SIZE_VER0).
#[repr(C)]
struct RawMountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// mount_setattr on the mount `fd` refers to (and, when `recursive`, every mount below it).
pub(crate) fn set_mount_attrs(
    fd: BorrowedFd<'_>,
    recursive: bool,
    attrs: MountAttrs,
) -> Result<(), Errno> {
    if attrs.is_empty() {
        return Ok(());
    }
    let raw = RawMountAttr {
        attr_set: u64::from(attrs.set.bits()),
        attr_clr: u64::from(attrs.clear.bits()),
        propagation: attrs.propagation,
        userns_fd: 0,
    };
    let mut flags = libc::AT_EMPTY_PATH;
    if recursive {
        flags |= libc::AT_RECURSIVE;
    }
    // SAFETY: the path is a valid NUL-terminated empty string, `raw` is a live struct whose size is
    // passed alongside it, and the kernel only reads from it.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd.as_raw_fd(),
            c"".as_ptr(),
            flags,
            &raw as *const RawMountAttr,
            std::mem::size_of::<RawMountAttr>(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO))
    }
}

/// A detached copy of the mount tree at `path` (just its top mount unless `recursive`).
pub(crate) fn clone_tree(
    dir: BorrowedFd<'_>,
    path: &Path,
    recursive: bool,
) -> Result<OwnedFd, Errno> {
    let mut flags = OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC;
    if recursive {
        flags |= OpenTreeFlags::AT_RECURSIVE;
    }
    if path.as_os_str().is_empty() {
        flags |= OpenTreeFlags::AT_EMPTY_PATH;
    }
    open_tree(dir, path, flags)
}

/// Attaches the detached mount `tree` on top of what `target` (any fd, usually O_PATH) refers to.
pub(crate) fn attach(tree: BorrowedFd<'_>, target: BorrowedFd<'_>) -> Result<(), Errno> {
    move_mount(
        tree,
        "",
        target,
        "",
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
    )
}

/// Bind-mounts `target` onto itself with `attrs`, e.g. to make a subtree read-only.
pub(crate) fn rebind_with_attrs(target: &OwnedFd, attrs: MountAttrs) -> Result<(), Errno> {
    let tree = clone_tree(target.as_fd(), Path::new(""), true)?;
    set_mount_attrs(tree.as_fd(), true, attrs)?;
    attach(tree.as_fd(), target.as_fd())
}
