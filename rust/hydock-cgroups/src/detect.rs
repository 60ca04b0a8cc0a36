//! Finds the cgroup hierarchies this process sees, from /proc/self/mountinfo.

use std::path::{Path, PathBuf};

use nix::sys::statfs::{statfs, CGROUP2_SUPER_MAGIC};

const MOUNTINFO: &str = "/proc/self/mountinfo";

/// The v1 hierarchies a container cgroup is created in. `name=systemd` carries no controller; it is
/// joined so that tools reading /proc/<pid>/cgroup see the container there too, as with runc.
const V1_SUBSYSTEMS: &[&str] = &[
    "cpu",
    "cpuacct",
    "cpuset",
    "memory",
    "pids",
    "freezer",
    "devices",
    "blkio",
    "name=systemd",
];

/// Which cgroup interface the container cgroups use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// One hierarchy per controller (possibly co-mounted), plus the controller-less unified
    /// hierarchy on hybrid hosts.
    V1,
    /// The single unified hierarchy.
    V2,
}

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("cannot read {path}: {source}")]
    ReadMountinfo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("malformed mount entry in {path}: {line:?}")]
    Malformed { path: PathBuf, line: String },
    #[error("no cgroup hierarchy is mounted (according to {path})")]
    NoHierarchy { path: PathBuf },
    #[error("cannot statfs {path}: {source}")]
    Statfs { path: PathBuf, source: nix::Error },
    #[error("{path} is not a cgroup2 mount")]
    NotCgroup2 { path: PathBuf },
}

/// A mounted v1 hierarchy and the subsystems (of those we use) attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct V1Hierarchy {
    pub mount_point: PathBuf,
    pub subsystems: Vec<String>,
}

impl V1Hierarchy {
    pub fn has(&self, subsystem: &str) -> bool {
        self.subsystems.iter().any(|s| s == subsystem)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LayoutKind {
    V1 {
        hierarchies: Vec<V1Hierarchy>,
        /// The cgroup2 mount of a hybrid host, joined so the process is tracked there too.
        unified: Option<PathBuf>,
    },
    V2 {
        mount_point: PathBuf,
    },
}

/// Where the cgroup hierarchies are mounted: detected from mountinfo, or a given cgroup2 mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    kind: LayoutKind,
}

impl Layout {
    /// The hierarchies mounted in this mount namespace. Any v1 controller hierarchy makes it v1
    /// (hybrid hosts included); otherwise the first cgroup2 mount makes it v2.
    pub fn detect() -> Result<Layout, DetectError> {
        let text =
            std::fs::read_to_string(MOUNTINFO).map_err(|source| DetectError::ReadMountinfo {
                path: MOUNTINFO.into(),
                source,
            })?;
        let mounts = parse_mountinfo(&text, Path::new(MOUNTINFO))?;
        layout_from_mounts(&mounts).ok_or_else(|| DetectError::NoHierarchy {
            path: MOUNTINFO.into(),
        })
    }

    /// A v2 layout rooted at `mount_point`, which must be a cgroup2 mount: lets callers (and
    /// tests) use the unified hierarchy of a hybrid host, or a cgroup2 mounted elsewhere.
    pub fn unified(mount_point: impl Into<PathBuf>) -> Result<Layout, DetectError> {
        let mount_point = mount_point.into();
        let fs = statfs(&mount_point).map_err(|source| DetectError::Statfs {
            path: mount_point.clone(),
            source,
        })?;
        if fs.filesystem_type() != CGROUP2_SUPER_MAGIC {
            return Err(DetectError::NotCgroup2 { path: mount_point });
        }
        Ok(Layout {
            kind: LayoutKind::V2 { mount_point },
        })
    }

    pub fn version(&self) -> Version {
        match self.kind {
            LayoutKind::V1 { .. } => Version::V1,
            LayoutKind::V2 { .. } => Version::V2,
        }
    }

    pub(crate) fn kind(&self) -> &LayoutKind {
        &self.kind
    }
}

/// The cgroup version container cgroups get on this host.
pub fn detect() -> Result<Version, crate::CgroupError> {
    Ok(Layout::detect()?.version())
}

#[derive(Debug, PartialEq, Eq)]
struct CgroupMount {
    is_v2: bool,
    mount_point: PathBuf,
    super_options: Vec<String>,
}

/// Keeps only cgroup and cgroup2 mounts. A line is `id parent dev root mount-point options
/// [optional fields...] - fstype source super-options`.
fn parse_mountinfo(text: &str, path: &Path) -> Result<Vec<CgroupMount>, DetectError> {
    let mut mounts = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let malformed = || DetectError::Malformed {
            path: path.to_path_buf(),
            line: line.to_string(),
        };
        let fields: Vec<&str> = line.split(' ').collect();
        let separator = fields
            .iter()
            .position(|f| *f == "-")
            .ok_or_else(malformed)?;
        if separator < 6 || fields.len() < separator + 4 {
            return Err(malformed());
        }
        let is_v2 = match fields[separator + 1] {
            "cgroup" => false,
            "cgroup2" => true,
            _ => continue,
        };
        mounts.push(CgroupMount {
            is_v2,
            mount_point: PathBuf::from(unescape_octal(fields[4])),
            super_options: fields[separator + 3]
                .split(',')
                .map(str::to_string)
                .collect(),
        });
    }
    Ok(mounts)
}

/// mountinfo escapes space, tab, newline and backslash in paths as `\ooo`.
fn unescape_octal(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match escaped {
            Some(digits) => {
                out.push(
                    digits
                        .iter()
                        .fold(0u8, |acc, d| acc.wrapping_mul(8).wrapping_add(d - b'0')),
                );
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn layout_from_mounts(mounts: &[CgroupMount]) -> Option<Layout> {
    let mut hierarchies: Vec<V1Hierarchy> = Vec::new();
    for mount in mounts.iter().filter(|m| !m.is_v2) {
        let subsystems: Vec<String> = mount
            .super_options
            .iter()
            .filter(|o| V1_SUBSYSTEMS.contains(&o.as_str()))
            .cloned()
            .collect();
        // A hierarchy mounted twice (bind mounts) is used once, at its first mount point.
        let seen = subsystems
            .iter()
            .any(|s| hierarchies.iter().any(|h| h.has(s)));
        if !subsystems.is_empty() && !seen {
            hierarchies.push(V1Hierarchy {
                mount_point: mount.mount_point.clone(),
                subsystems,
            });
        }
    }
    let unified = mounts
        .iter()
        .find(|m| m.is_v2)
        .map(|m| m.mount_point.clone());
    let has_v1_controller = hierarchies
        .iter()
        .flat_map(|h| &h.subsystems)
        .any(|s| !s.starts_with("name="));
    let kind = match (has_v1_controller, unified) {
        (true, unified) => LayoutKind::V1 {
            hierarchies,
            unified,
        },
        (false, Some(mount_point)) => LayoutKind::V2 { mount_point },
        (false, None) => return None,
    };
    Some(Layout { kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/net_cls rw,relatime - cgroup cgroup rw,net_cls
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
90 35 0:32 / /mnt/mem\\040copy rw,relatime - cgroup cgroup rw,memory
";

    fn detect_from(text: &str) -> Option<Layout> {
        layout_from_mounts(&parse_mountinfo(text, Path::new("test")).unwrap())
    }

    #[test]
    fn hybrid_host_is_v1_with_unified_and_comounted_hierarchies() {
        let layout = detect_from(HYBRID).unwrap();
        let LayoutKind::V1 {
            hierarchies,
            unified,
        } = layout.kind()
        else {
            panic!("expected v1, got {layout:?}");
        };
        assert_eq!(
            unified.as_deref(),
            Some(Path::new("/sys/fs/cgroup/unified"))
        );
        let summary: Vec<(&Path, Vec<&str>)> = hierarchies
            .iter()
            .map(|h| {
                (
                    h.mount_point.as_path(),
                    h.subsystems.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    Path::new("/sys/fs/cgroup/cpu,cpuacct"),
                    vec!["cpu", "cpuacct"]
                ),
                (Path::new("/sys/fs/cgroup/cpuset"), vec!["cpuset"]),
                (Path::new("/sys/fs/cgroup/memory"), vec!["memory"]),
                (Path::new("/sys/fs/cgroup/systemd"), vec!["name=systemd"]),
            ]
        );
    }

    #[test]
    fn pure_v2_host_and_named_only_v1_are_v2() {
        let text = "\
29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate
40 29 0:37 / /run/systemd-compat rw - cgroup cgroup rw,name=systemd
";
        let layout = detect_from(text).unwrap();
        assert_eq!(layout.version(), Version::V2);
        assert_eq!(
            layout.kind(),
            &LayoutKind::V2 {
                mount_point: "/sys/fs/cgroup".into()
            }
        );
    }

    #[test]
    fn no_cgroup_mount_and_malformed_lines() {
        assert!(detect_from("22 1 0:5 / /proc rw - proc proc rw\n").is_none());
        assert!(matches!(
            parse_mountinfo("22 1 0:5 / /proc rw proc proc rw\n", Path::new("x")),
            Err(DetectError::Malformed { .. })
        ));
    }

    #[test]
    fn octal_escapes_in_mount_points() {
        assert_eq!(unescape_octal("/mnt/a\\040b\\134c"), "/mnt/a b\\c");
        assert_eq!(unescape_octal("/plain\\0"), "/plain\\0");
    }

    #[test]
    fn this_host_is_detected_and_unified_rejects_non_cgroup2() {
        let layout = Layout::detect().unwrap();
        assert_eq!(detect().unwrap(), layout.version());
        assert!(matches!(
            Layout::unified("/proc"),
            Err(DetectError::NotCgroup2 { .. })
        ));
    }
}
