//! Entering the namespaces of `spec.linux.namespaces`: created, or joined when a path is given.
//!
//! The pid namespace is special: only children are placed in it, so the parent switches its
//! `pid_for_children` around the fork and the forked child is pid 1 there. Every other namespace
//! is entered by the child itself.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sched::{setns, unshare, CloneFlags};
use oci_spec::runtime::{LinuxNamespace, LinuxNamespaceType};

#[derive(Debug, thiserror::Error)]
pub(crate) enum NamespaceError {
    #[error("{kind} namespaces are not supported")]
    Unsupported { kind: &'static str },
    #[error("open {kind} namespace {}: {source}", path.display())]
    Open {
        kind: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("join {kind} namespace {}: {source}", path.display())]
    Join {
        kind: &'static str,
        path: PathBuf,
        source: Errno,
    },
    #[error("create namespaces ({kinds}): {source}")]
    Create { kinds: String, source: Errno },
    #[error("restore the caller's pid namespace for children: {source}")]
    Restore { source: Errno },
    #[error("bring up loopback: {step}: {source}")]
    Loopback { step: &'static str, source: Errno },
}

fn kind_name(kind: LinuxNamespaceType) -> &'static str {
    match kind {
        LinuxNamespaceType::Mount => "mount",
        LinuxNamespaceType::Cgroup => "cgroup",
        LinuxNamespaceType::Uts => "uts",
        LinuxNamespaceType::Ipc => "ipc",
        LinuxNamespaceType::User => "user",
        LinuxNamespaceType::Pid => "pid",
        LinuxNamespaceType::Network => "network",
        LinuxNamespaceType::Time => "time",
    }
}

fn clone_flag(kind: LinuxNamespaceType) -> Result<CloneFlags, NamespaceError> {
    Ok(match kind {
        LinuxNamespaceType::Mount => CloneFlags::CLONE_NEWNS,
        LinuxNamespaceType::Cgroup => CloneFlags::CLONE_NEWCGROUP,
        LinuxNamespaceType::Uts => CloneFlags::CLONE_NEWUTS,
        LinuxNamespaceType::Ipc => CloneFlags::CLONE_NEWIPC,
        LinuxNamespaceType::Pid => CloneFlags::CLONE_NEWPID,
        LinuxNamespaceType::Network => CloneFlags::CLONE_NEWNET,
        LinuxNamespaceType::User | LinuxNamespaceType::Time => {
            return Err(NamespaceError::Unsupported {
                kind: kind_name(kind),
            })
        }
    })
}

fn open_namespace(kind: LinuxNamespaceType, path: &Path) -> Result<OwnedFd, NamespaceError> {
    std::fs::File::open(path)
        .map(OwnedFd::from)
        .map_err(|source| NamespaceError::Open {
            kind: kind_name(kind),
            path: path.to_path_buf(),
            source,
        })
}

/// Rejects namespace kinds this runtime cannot enter before anything is forked.
pub(crate) fn check_supported(namespaces: &[LinuxNamespace]) -> Result<(), NamespaceError> {
    namespaces
        .iter()
        .try_for_each(|ns| clone_flag(ns.typ()).map(drop))
}

/// Parent side: while alive, children forked by this thread start in the container's pid namespace.
pub(crate) struct PidNamespaceSwitch {
    previous: Option<OwnedFd>,
}

impl PidNamespaceSwitch {
    pub(crate) fn enter(namespaces: &[LinuxNamespace]) -> Result<Self, NamespaceError> {
        let Some(pid_ns) = namespaces
            .iter()
            .find(|ns| ns.typ() == LinuxNamespaceType::Pid)
        else {
            return Ok(PidNamespaceSwitch { previous: None });
        };
        let own = Path::new("/proc/thread-self/ns/pid_for_children");
        let previous = open_namespace(LinuxNamespaceType::Pid, own)?;
        match pid_ns.path() {
            Some(path) => {
                let target = open_namespace(LinuxNamespaceType::Pid, path)?;
                setns(&target, CloneFlags::CLONE_NEWPID).map_err(|source| {
                    NamespaceError::Join {
                        kind: "pid",
                        path: path.clone(),
                        source,
                    }
                })?;
            }
            None => unshare(CloneFlags::CLONE_NEWPID).map_err(|source| NamespaceError::Create {
                kinds: "pid".into(),
                source,
            })?,
        }
        Ok(PidNamespaceSwitch {
            previous: Some(previous),
        })
    }

    /// Puts the caller's own pid namespace back for its later children.
    pub(crate) fn restore(self) -> Result<(), NamespaceError> {
        match self.previous {
            Some(previous) => setns(&previous, CloneFlags::CLONE_NEWPID)
                .map_err(|source| NamespaceError::Restore { source }),
            None => Ok(()),
        }
    }
}

/// Which namespaces the child ended up with, for the steps that depend on them.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct EnteredNamespaces {
    pub uts: bool,
    pub new_network: bool,
}

/// Child side: joins every namespace given by path, then creates the rest, pid excepted.
pub(crate) fn enter(namespaces: &[LinuxNamespace]) -> Result<EnteredNamespaces, NamespaceError> {
    let mut entered = EnteredNamespaces::default();
    // Paths are opened before joining any, since joining a mount namespace changes what they mean.
    let mut to_join = Vec::new();
    let mut to_create = CloneFlags::empty();
    let mut created_kinds = Vec::new();
    for ns in namespaces
        .iter()
        .filter(|ns| ns.typ() != LinuxNamespaceType::Pid)
    {
        let flag = clone_flag(ns.typ())?;
        entered.uts |= ns.typ() == LinuxNamespaceType::Uts;
        match ns.path() {
            Some(path) => to_join.push((ns.typ(), path, open_namespace(ns.typ(), path)?)),
            None => {
                to_create |= flag;
                created_kinds.push(kind_name(ns.typ()));
                entered.new_network |= ns.typ() == LinuxNamespaceType::Network;
            }
        }
    }
    for (kind, path, fd) in to_join {
        setns(&fd, clone_flag(kind)?).map_err(|source| NamespaceError::Join {
            kind: kind_name(kind),
            path: path.clone(),
            source,
        })?;
    }
    if !to_create.is_empty() {
        unshare(to_create).map_err(|source| NamespaceError::Create {
            kinds: created_kinds.join(", "),
            source,
        })?;
    }
    if entered.new_network {
        bring_up_loopback()?;
    }
    Ok(entered)
}

/// A new network namespace starts with `lo` down; Docker's containers all have it up.
fn bring_up_loopback() -> Result<(), NamespaceError> {
    let fail = |step| move |source| NamespaceError::Loopback { step, source };
    let socket = nix::sys::socket::socket(
        nix::sys::socket::AddressFamily::Inet,
        nix::sys::socket::SockType::Datagram,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(fail("socket"))?;
    // SAFETY: ifreq is a plain C struct for which all-zero bytes are a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in request.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: `request` is a valid ifreq naming "lo"; SIOCGIFFLAGS writes only ifru_flags.
    Errno::result(unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) })
        .map_err(fail("get flags"))?;
    // SAFETY: SIOCGIFFLAGS just filled ifru_flags, the union member read and written here.
    unsafe { request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    // SAFETY: `request` is a valid ifreq naming "lo" with the flags to set.
    Errno::result(unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &request) })
        .map_err(fail("set flags"))?;
    Ok(())
}
