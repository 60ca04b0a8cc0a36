//! The `options` of an OCI mount entry, sorted into what the kernel wants for each kind of mount.

use rustix::mount::MountAttrFlags as Attr;

use crate::mount_api::MountAttrs;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum MountOptionError {
    #[error("option {option:?} is not supported on bind mounts")]
    UnsupportedOnBind { option: String },
}

/// A filesystem parameter passed to fsconfig: `key=value`, or a bare flag such as `newinstance`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FsParam {
    pub key: String,
    pub value: Option<String>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct MountOptions {
    pub bind: bool,
    pub recursive_bind: bool,
    pub attrs: MountAttrs,
    /// `rro`, `rnosuid`...: apply `attrs` to every mount below the target too.
    pub recursive_attrs: bool,
    /// MS_* propagation type and whether it applies recursively, in the order given.
    pub propagation: Vec<(u64, bool)>,
    /// Filesystem parameters: superblock flags (`sync`, `dirsync`...) and data (`size=`, `mode=`...).
    pub params: Vec<FsParam>,
}

impl MountOptions {
    pub(crate) fn parse(options: &[String]) -> MountOptions {
        let mut parsed = MountOptions::default();
        for option in options {
            parsed.add(option);
        }
        parsed
    }

    /// Bind mounts take no filesystem parameters: an unknown option there is an error, not data.
    pub(crate) fn check_bind(&self) -> Result<(), MountOptionError> {
        match self.params.first() {
            Some(param) => Err(MountOptionError::UnsupportedOnBind {
                option: match &param.value {
                    Some(value) => format!("{}={value}", param.key),
                    None => param.key.clone(),
                },
            }),
            None => Ok(()),
        }
    }

    fn add(&mut self, option: &str) {
        match option {
            "bind" => self.bind = true,
            "rbind" => {
                self.bind = true;
                self.recursive_bind = true;
            }
            "defaults" | "async" | "nomand" | "nolazytime" => {}
            "sync" | "dirsync" | "mand" | "lazytime" => self.params.push(FsParam {
                key: option.to_string(),
                value: None,
            }),
            _ => {
                if let Some(flag) = propagation_flag(option) {
                    self.propagation.push(flag);
                } else if self.add_attr(option) {
                } else if option.starts_with('r') && self.add_attr(&option[1..]) {
                    self.recursive_attrs = true;
                } else {
                    let (key, value) = match option.split_once('=') {
                        Some((key, value)) => (key.to_string(), Some(value.to_string())),
                        None => (option.to_string(), None),
                    };
                    self.params.push(FsParam { key, value });
                }
            }
        }
    }

    /// Records a per-mount attribute option; false when `option` is not one.
    fn add_attr(&mut self, option: &str) -> bool {
        let (set, clear) = match option {
            "ro" => (Attr::MOUNT_ATTR_RDONLY, Attr::empty()),
            "rw" => (Attr::empty(), Attr::MOUNT_ATTR_RDONLY),
            "nosuid" => (Attr::MOUNT_ATTR_NOSUID, Attr::empty()),
            "suid" => (Attr::empty(), Attr::MOUNT_ATTR_NOSUID),
            "nodev" => (Attr::MOUNT_ATTR_NODEV, Attr::empty()),
            "dev" => (Attr::empty(), Attr::MOUNT_ATTR_NODEV),
            "noexec" => (Attr::MOUNT_ATTR_NOEXEC, Attr::empty()),
            "exec" => (Attr::empty(), Attr::MOUNT_ATTR_NOEXEC),
            "nodiratime" => (Attr::MOUNT_ATTR_NODIRATIME, Attr::empty()),
            "diratime" => (Attr::empty(), Attr::MOUNT_ATTR_NODIRATIME),
            "nosymfollow" => (Attr::MOUNT_ATTR_NOSYMFOLLOW, Attr::empty()),
            "symfollow" => (Attr::empty(), Attr::MOUNT_ATTR_NOSYMFOLLOW),
            // The atime mode is one field: setting any mode clears the others.
            "noatime" => (Attr::MOUNT_ATTR_NOATIME, Attr::MOUNT_ATTR__ATIME),
            "relatime" | "atime" | "norelatime" | "nostrictatime" => {
                (Attr::MOUNT_ATTR_RELATIME, Attr::MOUNT_ATTR__ATIME)
            }
            "strictatime" => (Attr::MOUNT_ATTR_STRICTATIME, Attr::MOUNT_ATTR__ATIME),
            _ => return false,
        };
        self.attrs.set = (self.attrs.set - clear) | set;
        self.attrs.clear = (self.attrs.clear - set) | clear;
        true
    }
}

fn propagation_flag(option: &str) -> Option<(u64, bool)> {
    let flag = match option.strip_prefix('r').unwrap_or(option) {
        "private" => libc::MS_PRIVATE,
        "shared" => libc::MS_SHARED,
        "slave" => libc::MS_SLAVE,
        "unbindable" => libc::MS_UNBINDABLE,
        _ => return None,
    };
    Some((flag, option.starts_with('r')))
}

/// The MS_* propagation type named by `spec.linux.rootfsPropagation`.
pub(crate) fn rootfs_propagation(name: &str) -> Option<(u64, bool)> {
    propagation_flag(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(options: &[&str]) -> MountOptions {
        MountOptions::parse(&options.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn docker_dev_tmpfs_options_split_into_attrs_and_params() {
        let opts = parse(&["nosuid", "strictatime", "mode=755", "size=65536k"]);
        assert!(!opts.bind);
        assert_eq!(
            opts.attrs.set,
            Attr::MOUNT_ATTR_NOSUID | Attr::MOUNT_ATTR_STRICTATIME
        );
        assert_eq!(
            opts.params,
            vec![
                FsParam {
                    key: "mode".into(),
                    value: Some("755".into())
                },
                FsParam {
                    key: "size".into(),
                    value: Some("65536k".into())
                },
            ]
        );
    }

    #[test]
    fn bind_options_with_propagation_and_recursive_readonly() {
        let opts = parse(&["rbind", "rprivate", "rro", "nosuid"]);
        assert!(opts.bind && opts.recursive_bind && opts.recursive_attrs);
        assert_eq!(opts.propagation, vec![(libc::MS_PRIVATE, true)]);
        assert_eq!(
            opts.attrs.set,
            Attr::MOUNT_ATTR_RDONLY | Attr::MOUNT_ATTR_NOSUID
        );
        assert_eq!(opts.check_bind(), Ok(()));
    }

    #[test]
    fn later_options_override_earlier_ones() {
        let opts = parse(&["ro", "rw", "noatime", "relatime"]);
        assert!(!opts.attrs.set.contains(Attr::MOUNT_ATTR_RDONLY));
        assert!(opts.attrs.clear.contains(Attr::MOUNT_ATTR_RDONLY));
        assert_eq!(opts.attrs.set, Attr::MOUNT_ATTR_RELATIME);
    }

    #[test]
    fn unknown_options_are_params_and_rejected_on_binds() {
        let opts = parse(&["newinstance", "ptmxmode=0666"]);
        assert_eq!(
            opts.params[0],
            FsParam {
                key: "newinstance".into(),
                value: None
            }
        );
        let bind = parse(&["bind", "size=1m"]);
        assert_eq!(
            bind.check_bind(),
            Err(MountOptionError::UnsupportedOnBind {
                option: "size=1m".into()
            })
        );
    }
}
