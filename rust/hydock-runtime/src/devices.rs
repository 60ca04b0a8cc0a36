//! Device nodes in the container's /dev, and the standard /dev symlinks.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxDevice, LinuxDeviceType};
use rustix::fs::{
    chmodat, chownat, makedev, mknodat, symlinkat, unlinkat, AtFlags, FileType, Gid, Mode, Uid, CWD,
};
use rustix::io::Errno;

use crate::in_root::{ensure_file_in_root, parent_in_root};
use crate::mount_api::{attach, clone_tree};

#[derive(Debug, thiserror::Error)]
pub(crate) enum DeviceError {
    #[error("{}: device path must be under /dev", path.display())]
    OutsideDev { path: PathBuf },
    #[error("{}: device type {kind:?} cannot be created", path.display())]
    BadType { path: PathBuf, kind: String },
    #[error("{}: {step}: {source}", path.display())]
    Create {
        path: PathBuf,
        step: &'static str,
        source: Errno,
    },
    #[error("/dev/{name}: symlink: {source}")]
    Symlink { name: &'static str, source: Errno },
}

/// What runc creates in every container's /dev whether or not the spec lists it.
const DEFAULT_DEVICES: [(&str, u32, u32); 6] = [
    ("/dev/null", 1, 3),
    ("/dev/zero", 1, 5),
    ("/dev/full", 1, 7),
    ("/dev/random", 1, 8),
    ("/dev/urandom", 1, 9),
    ("/dev/tty", 5, 0),
];

const DEV_SYMLINKS: [(&str, &str); 6] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
    ("core", "/proc/kcore"),
];

struct Node<'a> {
    path: &'a Path,
    file_type: FileType,
    major: u32,
    minor: u32,
    mode: u32,
    uid: u32,
    gid: u32,
}

/// Creates the spec's devices inside the rootfs `root`. When /dev is a fresh tmpfs, also the
/// default devices the spec leaves out (as runc does) and the standard symlinks.
pub(crate) fn create_devices(
    root: BorrowedFd<'_>,
    devices: &[LinuxDevice],
    dev_is_tmpfs: bool,
) -> Result<(), DeviceError> {
    for device in devices {
        create_node(root, &node_for(device)?)?;
    }
    if !dev_is_tmpfs {
        return Ok(());
    }
    for (path, major, minor) in DEFAULT_DEVICES {
        if !devices.iter().any(|d| d.path() == Path::new(path)) {
            let node = Node {
                path: Path::new(path),
                file_type: FileType::CharacterDevice,
                major,
                minor,
                mode: 0o666,
                uid: 0,
                gid: 0,
            };
            create_node(root, &node)?;
        }
    }
    let (dev, _) =
        parent_in_root(root, Path::new("/dev/null")).map_err(|source| DeviceError::Create {
            path: "/dev".into(),
            step: "open",
            source,
        })?;
    for (name, target) in DEV_SYMLINKS {
        match symlinkat(target, &dev, name) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(source) => return Err(DeviceError::Symlink { name, source }),
        }
    }
    Ok(())
}

fn node_for(device: &LinuxDevice) -> Result<Node<'_>, DeviceError> {
    let path = device.path();
    if !path.starts_with("/dev/") {
        return Err(DeviceError::OutsideDev { path: path.clone() });
    }
    let file_type = match device.typ() {
        LinuxDeviceType::C | LinuxDeviceType::U => FileType::CharacterDevice,
        LinuxDeviceType::B => FileType::BlockDevice,
        LinuxDeviceType::P => FileType::Fifo,
        LinuxDeviceType::A => {
            return Err(DeviceError::BadType {
                path: path.clone(),
                kind: "a".into(),
            });
        }
    };
    let number = |n: i64| {
        u32::try_from(n).map_err(|_| DeviceError::BadType {
            path: path.clone(),
            kind: format!("number {n}"),
        })
    };
    Ok(Node {
        path,
        file_type,
        major: number(device.major())?,
        minor: number(device.minor())?,
        mode: device.file_mode().unwrap_or(0o666) & 0o7777,
        uid: device.uid().unwrap_or(0),
        gid: device.gid().unwrap_or(0),
    })
}

fn create_node(root: BorrowedFd<'_>, node: &Node<'_>) -> Result<(), DeviceError> {
    let fail = |step: &'static str| {
        move |source| DeviceError::Create {
            path: node.path.to_path_buf(),
            step,
            source,
        }
    };
    let (dir, name) = parent_in_root(root, node.path).map_err(fail("parent directory"))?;
    match unlinkat(&dir, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(source) => return Err(fail("remove existing")(source)),
    }
    let mode = Mode::from_raw_mode(node.mode);
    match mknodat(
        &dir,
        name,
        node.file_type,
        mode,
        makedev(node.major, node.minor),
    ) {
        Ok(()) => {
            // mknod applies the umask; chmod makes the mode exactly what was asked.
            chmodat(&dir, name, mode, AtFlags::empty()).map_err(fail("chmod"))?;
            let (uid, gid) = (Uid::from_raw(node.uid), Gid::from_raw(node.gid));
            chownat(&dir, name, Some(uid), Some(gid), AtFlags::SYMLINK_NOFOLLOW)
                .map_err(fail("chown"))
        }
        // Without CAP_MKNOD (or on a nodev filesystem) the host's node is bind-mounted instead.
        Err(Errno::PERM) | Err(Errno::ACCESS) => bind_host_node(root, node),
        Err(source) => Err(fail("mknod")(source)),
    }
}

fn bind_host_node(root: BorrowedFd<'_>, node: &Node<'_>) -> Result<(), DeviceError> {
    let fail = |step: &'static str| {
        move |source| DeviceError::Create {
            path: node.path.to_path_buf(),
            step,
            source,
        }
    };
    let target = ensure_file_in_root(root, node.path).map_err(fail("bind mount point"))?;
    let tree = clone_tree(CWD, node.path, false).map_err(fail("open host node"))?;
    attach(tree.as_fd(), target.as_fd()).map_err(fail("bind host node"))
}
