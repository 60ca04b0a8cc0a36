//! Network namespaces that outlive their processes, as `ip netns add` makes them: created on a
//! thread of their own and bind-mounted on a file, so the engine can wire one up before the
//! container starts in it (the spec then joins it by path) and tear it down after it exits.
//!
//! Each operation runs on a short-lived thread, because entering or creating a network namespace
//! changes the calling thread for good.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::socket::{socket, AddressFamily, SockFlag, SockProtocol, SockType};

#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    #[error("network namespace {}: {step}: {source}", path.display())]
    Sys {
        path: PathBuf,
        step: &'static str,
        source: Errno,
    },
    #[error("network namespace {}: {step}: {source}", path.display())]
    Io {
        path: PathBuf,
        step: &'static str,
        source: std::io::Error,
    },
    #[error("network namespace {}: its thread panicked", path.display())]
    Thread { path: PathBuf },
}

impl NetnsError {
    pub fn step(&self) -> &'static str {
        match self {
            NetnsError::Sys { step, .. } | NetnsError::Io { step, .. } => step,
            NetnsError::Thread { .. } => "thread",
        }
    }
}

fn on_own_thread<T: Send>(
    path: &Path,
    work: impl FnOnce() -> Result<T, NetnsError> + Send,
) -> Result<T, NetnsError> {
    std::thread::scope(|scope| scope.spawn(work).join()).map_err(|_| NetnsError::Thread {
        path: path.to_path_buf(),
    })?
}

/// A netlink (NETLINK_ROUTE) socket of the calling thread's network namespace; datagram, as
/// asyncio-based netlink clients expect.
fn route_socket(path: &Path) -> Result<OwnedFd, NetnsError> {
    socket(
        AddressFamily::Netlink,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkRoute,
    )
    .map_err(|source| NetnsError::Sys {
        path: path.to_path_buf(),
        step: "netlink socket",
        source,
    })
}

/// Creates a network namespace pinned at `path` (a new file) and returns a netlink socket inside
/// it, through which its interfaces, addresses and routes are configured.
pub fn create(path: &Path) -> Result<OwnedFd, NetnsError> {
    let sys = |step| {
        move |source| NetnsError::Sys {
            path: path.to_path_buf(),
            step,
            source,
        }
    };
    on_own_thread(path, || {
        // A thread of the caller may have a mount namespace of its own (see `view`): the pin must
        // be made in the process's, where everyone else looks for it. setns(CLONE_NEWNS) needs a
        // filesystem context not shared with other threads.
        unshare(CloneFlags::CLONE_FS).map_err(sys("unshare fs"))?;
        let process_mounts = File::open("/proc/self/ns/mnt").map_err(|source| NetnsError::Io {
            path: path.to_path_buf(),
            step: "open mount namespace",
            source,
        })?;
        setns(&process_mounts, CloneFlags::CLONE_NEWNS).map_err(sys("enter mount namespace"))?;
        unshare(CloneFlags::CLONE_NEWNET).map_err(sys("unshare"))?;
        File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|source| NetnsError::Io {
                path: path.to_path_buf(),
                step: "create pin file",
                source,
            })?;
        mount(
            Some("/proc/thread-self/ns/net"),
            path,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|source| {
            let _ = std::fs::remove_file(path);
            NetnsError::Sys {
                path: path.to_path_buf(),
                step: "bind mount",
                source,
            }
        })?;
        route_socket(path)
    })
}

/// A netlink socket inside the network namespace at `path` (a pin, or /proc/PID/ns/net).
pub fn route_socket_in(path: &Path) -> Result<OwnedFd, NetnsError> {
    on_own_thread(path, || {
        let target = File::open(path).map_err(|source| NetnsError::Io {
            path: path.to_path_buf(),
            step: "open",
            source,
        })?;
        setns(&target, CloneFlags::CLONE_NEWNET).map_err(|source| NetnsError::Sys {
            path: path.to_path_buf(),
            step: "setns",
            source,
        })?;
        route_socket(path)
    })
}

/// Unpins the namespace at `path` and deletes the pin; the namespace itself goes once no process
/// is left in it. A pin already gone is not an error.
pub fn remove(path: &Path) -> Result<(), NetnsError> {
    on_own_thread(path, || {
        // Unmounted in the process's mount namespace, where `create` made it.
        unshare(CloneFlags::CLONE_FS).map_err(|source| NetnsError::Sys {
            path: path.to_path_buf(),
            step: "unshare fs",
            source,
        })?;
        if let Ok(process_mounts) = File::open("/proc/self/ns/mnt") {
            let _ = setns(&process_mounts, CloneFlags::CLONE_NEWNS);
        }
        match umount2(path, MntFlags::MNT_DETACH) {
            Ok(()) | Err(Errno::EINVAL) | Err(Errno::ENOENT) => {}
            Err(source) => {
                return Err(NetnsError::Sys {
                    path: path.to_path_buf(),
                    step: "unmount",
                    source,
                })
            }
        }
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(NetnsError::Io {
                path: path.to_path_buf(),
                step: "remove pin file",
                source,
            }),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    use super::*;

    fn is_root() -> bool {
        nix::unistd::geteuid().is_root()
    }

    #[test]
    fn create_pins_a_new_namespace_and_remove_unpins_it() {
        if !is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let pin = dir.path().join("ns");
        let socket = create(&pin).unwrap();
        assert!(socket.as_raw_fd() >= 0);
        let ours = std::fs::metadata("/proc/self/ns/net").unwrap();
        let pinned = std::fs::metadata(&pin).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_ne!(ours.ino(), pinned.ino());
        route_socket_in(&pin).unwrap();
        remove(&pin).unwrap();
        assert!(!pin.exists());
        remove(&pin).unwrap();
    }
}
