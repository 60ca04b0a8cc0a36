//! Overlay root filesystems: mount a stack of layer directories as one tree, and unmount it.

use std::ffi::CString;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::Duration;

use rustix::io::Errno;
use rustix::mount::{
    fsconfig_create, fsconfig_set_string, fsmount, fsopen, mount, move_mount, unmount as umount2,
    FsMountFlags, FsOpenFlags, MountAttrFlags, MountFlags, MoveMountFlags, UnmountFlags,
};

use crate::mount_api::{clone_tree, set_mount_attrs, MountAttrs};

/// The kernel copies legacy mount data into one page, NUL included.
const MOUNT_DATA_LIMIT: usize = 4095;
const UNMOUNT_BUSY_RETRIES: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum MountError {
    #[error("overlay on {}: no lower layer given", target.display())]
    NoLowers { target: PathBuf },
    #[error("overlay on {}: {step}: {source}", target.display())]
    Overlay {
        target: PathBuf,
        step: String,
        source: Errno,
    },
    #[error("unmount {}: {source}", target.display())]
    Unmount { target: PathBuf, source: Errno },
}

/// Mounts overlayfs on `target`. `lowers` are ordered top-most first, as in `lowerdir=`.
///
/// An empty `upper` path means no writable layer: the overlay is read-only and `work` is unused.
/// overlayfs needs two lowers for that, so a lone lower is bind-mounted read-only instead, which
/// shows the same tree. Lower lists too long for legacy mount data go through fsopen/fsconfig
/// ("lowerdir+", Linux 6.8+).
pub fn mount_overlay(
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    target: &Path,
) -> Result<(), MountError> {
    if lowers.is_empty() {
        return Err(MountError::NoLowers {
            target: target.to_path_buf(),
        });
    }
    let upper = (!upper.as_os_str().is_empty()).then_some((upper, work));
    if let ([lower], None) = (lowers, upper) {
        return bind_readonly(lower, target);
    }
    let data = legacy_mount_data(lowers, upper);
    if data.len() <= MOUNT_DATA_LIMIT {
        // Paths cannot hold NUL bytes, so neither can data built from them.
        let data =
            CString::new(data).map_err(|_| overlay_error(target, "mount data", Errno::INVAL))?;
        mount(
            "overlay",
            target,
            "overlay",
            MountFlags::empty(),
            Some(data.as_c_str()),
        )
        .map_err(|source| overlay_error(target, "mount", source))
    } else {
        mount_with_fs_context(lowers, upper, target)
    }
}

/// Unmounts `target`, retrying while it is busy and detaching it lazily as a last resort.
pub fn unmount(target: &Path) -> Result<(), MountError> {
    let mut attempt = 0;
    loop {
        match umount2(target, UnmountFlags::empty()) {
            Ok(()) => return Ok(()),
            Err(Errno::BUSY) if attempt < UNMOUNT_BUSY_RETRIES => {
                attempt += 1;
                sleep(Duration::from_millis(20 * u64::from(attempt)));
            }
            Err(Errno::BUSY) => {
                return umount2(target, UnmountFlags::DETACH).map_err(|source| {
                    MountError::Unmount {
                        target: target.to_path_buf(),
                        source,
                    }
                })
            }
            Err(source) => {
                return Err(MountError::Unmount {
                    target: target.to_path_buf(),
                    source,
                })
            }
        }
    }
}

fn bind_readonly(lower: &Path, target: &Path) -> Result<(), MountError> {
    let tree = clone_tree(rustix::fs::CWD, lower, false).map_err(|source| {
        overlay_error(target, format!("open_tree {}", lower.display()), source)
    })?;
    set_mount_attrs(tree.as_fd(), false, MountAttrs::readonly())
        .map_err(|source| overlay_error(target, "read-only bind", source))?;
    move_mount(
        &tree,
        "",
        rustix::fs::CWD,
        target,
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )
    .map_err(|source| overlay_error(target, "move_mount", source))
}

fn overlay_error(target: &Path, step: impl Into<String>, source: Errno) -> MountError {
    MountError::Overlay {
        target: target.to_path_buf(),
        step: step.into(),
        source,
    }
}

fn legacy_mount_data(lowers: &[PathBuf], upper: Option<(&Path, &Path)>) -> String {
    let lowerdir: Vec<String> = lowers.iter().map(|p| escape_option_path(p)).collect();
    let mut data = format!("lowerdir={}", lowerdir.join(":"));
    if let Some((upper, work)) = upper {
        data.push_str(&format!(
            ",upperdir={},workdir={}",
            escape_option_path(upper),
            escape_option_path(work)
        ));
    }
    data
}

/// overlayfs splits options on ',' and layers on ':' unless backslash-escaped.
fn escape_option_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '\\' | ':' | ',') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

fn mount_with_fs_context(
    lowers: &[PathBuf],
    upper: Option<(&Path, &Path)>,
    target: &Path,
) -> Result<(), MountError> {
    let fs = fsopen("overlay", FsOpenFlags::FSOPEN_CLOEXEC)
        .map_err(|source| overlay_error(target, "fsopen", source))?;
    for lower in lowers {
        fsconfig_set_string(&fs, "lowerdir+", lower).map_err(|source| {
            overlay_error(
                target,
                format!("fsconfig lowerdir+ {}", lower.display()),
                source,
            )
        })?;
    }
    if let Some((upper, work)) = upper {
        fsconfig_set_string(&fs, "upperdir", upper)
            .map_err(|source| overlay_error(target, "fsconfig upperdir", source))?;
        fsconfig_set_string(&fs, "workdir", work)
            .map_err(|source| overlay_error(target, "fsconfig workdir", source))?;
    }
    fsconfig_create(&fs).map_err(|source| overlay_error(target, "fsconfig create", source))?;
    let mnt = fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, MountAttrFlags::empty())
        .map_err(|source| overlay_error(target, "fsmount", source))?;
    move_mount(
        &mnt,
        "",
        rustix::fs::CWD,
        target,
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )
    .map_err(|source| overlay_error(target, "move_mount", source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_data_escapes_separators_and_keeps_layer_order() {
        let lowers = vec![PathBuf::from("/l/top"), PathBuf::from("/l/a:b,c")];
        let data = legacy_mount_data(&lowers, Some((Path::new("/u"), Path::new("/w"))));
        assert_eq!(data, r"lowerdir=/l/top:/l/a\:b\,c,upperdir=/u,workdir=/w");
        assert_eq!(legacy_mount_data(&lowers[..1], None), "lowerdir=/l/top");
    }
}
