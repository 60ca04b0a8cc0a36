//! The spec's `mounts`, made in order inside the rootfs before pivot_root.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use oci_spec::runtime::Mount;
use rustix::fs::{Mode, CWD};
use rustix::io::Errno;
use rustix::mount::{
    fsconfig_create, fsconfig_set_flag, fsconfig_set_string, fsmount, fsopen, FsMountFlags,
    FsOpenFlags,
};

use crate::cgroup_mount::{self, OwnCgroups};
use crate::in_root::{ensure_file_in_root, mkdir_all_in_root};
use crate::mount_api::{attach, clone_tree, set_mount_attrs, MountAttrs};
use crate::mount_options::{MountOptionError, MountOptions};

#[derive(Debug, thiserror::Error)]
pub(crate) enum MountsError {
    #[error("{}: {source}", destination.display())]
    Options {
        destination: PathBuf,
        source: MountOptionError,
    },
    #[error("{}: mount type {fstype:?} needs a source", destination.display())]
    MissingSource {
        destination: PathBuf,
        fstype: String,
    },
    #[error("{}: bind source {}: {source}", destination.display(), bind_source.display())]
    BindSource {
        destination: PathBuf,
        bind_source: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: create mount point: {source}", destination.display())]
    MountPoint { destination: PathBuf, source: Errno },
    #[error("{} ({fstype}): {step}: {source}", destination.display())]
    Mount {
        destination: PathBuf,
        fstype: String,
        step: String,
        source: Errno,
    },
    #[error("{}: {source}", destination.display())]
    Cgroup {
        destination: PathBuf,
        source: cgroup_mount::CgroupMountError,
    },
}

/// Facts about the mounts made that later steps depend on.
#[derive(Debug, Default)]
pub(crate) struct MountedRootfs {
    /// /dev is a tmpfs we mounted, so it needs its device nodes and standard symlinks.
    pub dev_is_tmpfs: bool,
}

/// Mounts every entry of `mounts`, in order, inside the rootfs open as `root`.
pub(crate) fn mount_all(
    root: BorrowedFd<'_>,
    mounts: &[Mount],
    bundle: &Path,
    cgroups: &OwnCgroups,
) -> Result<MountedRootfs, MountsError> {
    let mut mounted = MountedRootfs::default();
    for entry in mounts {
        let destination = entry.destination();
        let fstype = entry.typ().as_deref().unwrap_or("");
        let options = MountOptions::parse(entry.options().as_deref().unwrap_or_default());
        if options.bind || fstype == "bind" {
            options
                .check_bind()
                .map_err(|source| MountsError::Options {
                    destination: destination.clone(),
                    source,
                })?;
            let source = entry
                .source()
                .as_ref()
                .ok_or_else(|| MountsError::MissingSource {
                    destination: destination.clone(),
                    fstype: "bind".into(),
                })?;
            bind_mount(root, &bundle.join(source), destination, &options)?;
        } else if fstype == "cgroup" || fstype == "cgroup2" {
            cgroup_mount::mount_own_cgroups(root, destination, cgroups).map_err(|source| {
                MountsError::Cgroup {
                    destination: destination.clone(),
                    source,
                }
            })?;
        } else {
            let source = entry
                .source()
                .as_ref()
                .map(|s| s.to_string_lossy().into_owned());
            new_filesystem_mount(root, fstype, source.as_deref(), destination, &options)?;
            if fstype == "tmpfs" && Path::new("/dev") == destination {
                mounted.dev_is_tmpfs = true;
            }
        }
    }
    Ok(mounted)
}

fn bind_mount(
    root: BorrowedFd<'_>,
    source: &Path,
    destination: &Path,
    options: &MountOptions,
) -> Result<(), MountsError> {
    let metadata = std::fs::metadata(source).map_err(|err| MountsError::BindSource {
        destination: destination.to_path_buf(),
        bind_source: source.to_path_buf(),
        source: err,
    })?;
    let target = if metadata.is_dir() {
        mkdir_all_in_root(root, destination, Mode::from_raw_mode(0o755))
    } else {
        ensure_file_in_root(root, destination)
    }
    .map_err(|source| MountsError::MountPoint {
        destination: destination.to_path_buf(),
        source,
    })?;
    let fail = |step: &str| {
        let destination = destination.to_path_buf();
        let step = step.to_string();
        move |source| MountsError::Mount {
            destination,
            fstype: "bind".into(),
            step,
            source,
        }
    };
    let tree = clone_tree(CWD, source, options.recursive_bind).map_err(fail("open_tree"))?;
    // Read-only over a recursive bind is read-only all the way down: no writable submount leaks.
    let recursive_attrs = options.recursive_attrs || options.recursive_bind;
    set_mount_attrs(tree.as_fd(), recursive_attrs, options.attrs).map_err(fail("mount_setattr"))?;
    attach(tree.as_fd(), target.as_fd()).map_err(fail("move_mount"))?;
    apply_propagation(&tree, options).map_err(fail("propagation"))
}

fn new_filesystem_mount(
    root: BorrowedFd<'_>,
    fstype: &str,
    source: Option<&str>,
    destination: &Path,
    options: &MountOptions,
) -> Result<(), MountsError> {
    let target =
        mkdir_all_in_root(root, destination, Mode::from_raw_mode(0o755)).map_err(|source| {
            MountsError::MountPoint {
                destination: destination.to_path_buf(),
                source,
            }
        })?;
    let fail = |step: String| {
        let destination = destination.to_path_buf();
        let fstype = fstype.to_string();
        move |source| MountsError::Mount {
            destination,
            fstype,
            step,
            source,
        }
    };
    let fs = fsopen(fstype, FsOpenFlags::FSOPEN_CLOEXEC).map_err(fail("fsopen".into()))?;
    let source = source.unwrap_or(fstype);
    fsconfig_set_string(&fs, "source", source).map_err(fail(format!("source {source:?}")))?;
    for param in &options.params {
        match &param.value {
            Some(value) => fsconfig_set_string(&fs, param.key.as_str(), value.as_str())
                .map_err(fail(format!("option {}={value}", param.key)))?,
            None => fsconfig_set_flag(&fs, param.key.as_str())
                .map_err(fail(format!("option {}", param.key)))?,
        }
    }
    fsconfig_create(&fs).map_err(fail("create".into()))?;
    let mnt = fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, options.attrs.set)
        .map_err(fail("fsmount".into()))?;
    attach(mnt.as_fd(), target.as_fd()).map_err(fail("move_mount".into()))?;
    apply_propagation(&mnt, options).map_err(fail("propagation".into()))
}

/// Runs after attaching: propagation changes need the mount to be in a namespace.
fn apply_propagation(mount: &OwnedFd, options: &MountOptions) -> Result<(), Errno> {
    for &(flag, recursive) in &options.propagation {
        set_mount_attrs(mount.as_fd(), recursive, MountAttrs::propagation(flag))?;
    }
    Ok(())
}
