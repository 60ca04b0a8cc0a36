//! The spec's cgroup mount: the container sees only its own cgroups, read-only.
//!
//! Rather than mounting cgroupfs (whose view depends on a cgroup namespace), each hierarchy's
//! directory of the container's own cgroup is bind-mounted read-only: on a cgroup v2 host straight
//! onto the destination, on a v1 or hybrid host into a read-only tmpfs, one directory per
//! hierarchy (`memory`, `cpu`, `unified`...), as Docker lays it out.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{mkdirat, openat, symlinkat, Mode, OFlags, CWD};
use rustix::io::Errno;
use rustix::mount::{
    fsconfig_create, fsconfig_set_string, fsmount, fsopen, FsMountFlags, FsOpenFlags,
    MountAttrFlags,
};

use crate::in_root::mkdir_all_in_root;
use crate::mount_api::{attach, clone_tree, set_mount_attrs, MountAttrs};

#[derive(Debug, thiserror::Error)]
pub(crate) enum CgroupMountError {
    #[error("read {path}: {source}")]
    Read {
        path: &'static str,
        source: std::io::Error,
    },
    #[error("{step}: {source}")]
    Mount { step: String, source: Errno },
}

/// One hierarchy's directory for the calling process's cgroup, as seen on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HierarchyDir {
    /// The hierarchy's mount point name on the host, e.g. `memory`, `cpu,cpuacct`, `unified`.
    name: String,
    controllers: Vec<String>,
    host_dir: PathBuf,
}

/// The calling process's cgroup directories, read before it enters a cgroup namespace.
#[derive(Debug, Default)]
pub(crate) struct OwnCgroups {
    hierarchies: Vec<HierarchyDir>,
    unified_only: bool,
}

impl OwnCgroups {
    pub(crate) fn discover() -> Result<Self, CgroupMountError> {
        let read = |path: &'static str| {
            std::fs::read_to_string(path).map_err(|source| CgroupMountError::Read { path, source })
        };
        Ok(parse_own_cgroups(
            &read("/proc/self/cgroup")?,
            &read("/proc/self/mountinfo")?,
        ))
    }
}

fn parse_own_cgroups(proc_cgroup: &str, mountinfo: &str) -> OwnCgroups {
    let mounts: Vec<CgroupMount> = mountinfo.lines().filter_map(CgroupMount::parse).collect();
    let mut own = OwnCgroups::default();
    let mut v1_lines = 0;
    for line in proc_cgroup.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let controllers: Vec<String> = controllers
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        if !controllers.is_empty() {
            v1_lines += 1;
        }
        let Some(mount) = mounts.iter().find(|m| m.serves(&controllers)) else {
            continue;
        };
        let Ok(below_root) = Path::new(path).strip_prefix(&mount.root) else {
            continue;
        };
        own.hierarchies.push(HierarchyDir {
            name: mount
                .mount_point
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            controllers,
            host_dir: mount.mount_point.join(below_root),
        });
    }
    own.unified_only = v1_lines == 0 && own.hierarchies.len() == 1;
    own
}

struct CgroupMount {
    root: PathBuf,
    mount_point: PathBuf,
    v2: bool,
    super_options: Vec<String>,
}

impl CgroupMount {
    /// A cgroup line of /proc/self/mountinfo: `id parent dev root point opts [tags] - type src superopts`.
    fn parse(line: &str) -> Option<CgroupMount> {
        let (before, after) = line.split_once(" - ")?;
        let fields: Vec<&str> = before.split(' ').collect();
        let mut after = after.split(' ');
        let fstype = after.next()?;
        let super_options = after.nth(1)?.split(',').map(str::to_string).collect();
        let v2 = match fstype {
            "cgroup2" => true,
            "cgroup" => false,
            _ => return None,
        };
        Some(CgroupMount {
            root: PathBuf::from(unescape_mountinfo(fields.get(3)?)),
            mount_point: PathBuf::from(unescape_mountinfo(fields.get(4)?)),
            v2,
            super_options,
        })
    }

    fn serves(&self, controllers: &[String]) -> bool {
        if controllers.is_empty() {
            self.v2
        } else {
            !self.v2 && controllers.iter().all(|c| self.super_options.contains(c))
        }
    }
}

/// mountinfo writes space, tab, newline and backslash as octal escapes.
fn unescape_mountinfo(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .and_then(|d| std::str::from_utf8(d).ok());
        match (bytes[i], octal.and_then(|d| u8::from_str_radix(d, 8).ok())) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn mount_error(step: impl Into<String>) -> impl FnOnce(Errno) -> CgroupMountError {
    let step = step.into();
    move |source| CgroupMountError::Mount { step, source }
}

fn hardened_readonly() -> MountAttrs {
    MountAttrs {
        set: MountAttrFlags::MOUNT_ATTR_RDONLY
            | MountAttrFlags::MOUNT_ATTR_NOSUID
            | MountAttrFlags::MOUNT_ATTR_NODEV
            | MountAttrFlags::MOUNT_ATTR_NOEXEC,
        ..Default::default()
    }
}

/// Mounts the container's own cgroups read-only at `destination` inside the rootfs `root`.
pub(crate) fn mount_own_cgroups(
    root: BorrowedFd<'_>,
    destination: &Path,
    cgroups: &OwnCgroups,
) -> Result<(), CgroupMountError> {
    let target = mkdir_all_in_root(root, destination, Mode::from_raw_mode(0o755))
        .map_err(mount_error("create mount point"))?;
    if cgroups.unified_only {
        let dir = &cgroups.hierarchies[0].host_dir;
        return bind_readonly(dir, target.as_fd());
    }
    let fs = fsopen("tmpfs", FsOpenFlags::FSOPEN_CLOEXEC).map_err(mount_error("fsopen tmpfs"))?;
    fsconfig_set_string(&fs, "source", "cgroup").map_err(mount_error("tmpfs source"))?;
    fsconfig_set_string(&fs, "mode", "755").map_err(mount_error("tmpfs mode"))?;
    fsconfig_create(&fs).map_err(mount_error("tmpfs create"))?;
    let attrs = MountAttrFlags::MOUNT_ATTR_NOSUID
        | MountAttrFlags::MOUNT_ATTR_NODEV
        | MountAttrFlags::MOUNT_ATTR_NOEXEC;
    let tmpfs =
        fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, attrs).map_err(mount_error("fsmount tmpfs"))?;
    attach(tmpfs.as_fd(), target.as_fd()).map_err(mount_error("attach tmpfs"))?;
    for hierarchy in &cgroups.hierarchies {
        let name = hierarchy.name.as_str();
        mkdirat(&tmpfs, name, Mode::from_raw_mode(0o755))
            .map_err(mount_error(format!("mkdir {name}")))?;
        let point = openat(&tmpfs, name, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
            .map_err(mount_error(format!("open {name}")))?;
        bind_readonly(&hierarchy.host_dir, point.as_fd())?;
        if hierarchy.controllers.len() > 1 {
            for controller in &hierarchy.controllers {
                symlinkat(name, &tmpfs, controller.as_str())
                    .map_err(mount_error(format!("symlink {controller} -> {name}")))?;
            }
        }
    }
    set_mount_attrs(tmpfs.as_fd(), false, MountAttrs::readonly())
        .map_err(mount_error("read-only tmpfs"))
}

fn bind_readonly(host_dir: &Path, target: BorrowedFd<'_>) -> Result<(), CgroupMountError> {
    let what = host_dir.display();
    let tree =
        clone_tree(CWD, host_dir, false).map_err(mount_error(format!("open_tree {what}")))?;
    set_mount_attrs(tree.as_fd(), false, hardened_readonly())
        .map_err(mount_error(format!("read-only {what}")))?;
    attach(tree.as_fd(), target).map_err(mount_error(format!("attach {what}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID_MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn hybrid_host_maps_each_hierarchy_to_its_own_directory() {
        let proc_cgroup = "4:memory:/hydock/c1\n2:cpu,cpuacct:/hydock/c1\n1:name=systemd:/\n0::/\n";
        let own = parse_own_cgroups(proc_cgroup, HYBRID_MOUNTINFO);
        assert!(!own.unified_only);
        let dirs: Vec<(&str, &Path)> = own
            .hierarchies
            .iter()
            .map(|h| (h.name.as_str(), h.host_dir.as_path()))
            .collect();
        assert_eq!(
            dirs,
            vec![
                ("memory", Path::new("/sys/fs/cgroup/memory/hydock/c1")),
                (
                    "cpu,cpuacct",
                    Path::new("/sys/fs/cgroup/cpu,cpuacct/hydock/c1")
                ),
                ("systemd", Path::new("/sys/fs/cgroup/systemd/")),
                ("unified", Path::new("/sys/fs/cgroup/unified/")),
            ]
        );
    }

    #[test]
    fn pure_v2_host_is_one_bind_of_the_own_cgroup() {
        let mountinfo = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
        let own = parse_own_cgroups("0::/system.slice/hydock-c1.scope\n", mountinfo);
        assert!(own.unified_only);
        assert_eq!(
            own.hierarchies[0].host_dir,
            Path::new("/sys/fs/cgroup/system.slice/hydock-c1.scope")
        );
    }

    #[test]
    fn mountinfo_escapes_are_decoded() {
        assert_eq!(unescape_mountinfo(r"/a\040b\134c"), r"/a b\c");
    }
}
