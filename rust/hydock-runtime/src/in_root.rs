//! Paths resolved inside a root directory: symlinks and ".." can never lead out of it.
//!
//! Everything goes through openat2(RESOLVE_IN_ROOT), so an image's `/var/run -> /run` link is
//! followed inside the rootfs while a hostile `/etc -> /../../host/etc` stays clamped to it.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{mkdirat, openat2, readlinkat, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

fn resolve_flags() -> ResolveFlags {
    ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS
}

/// The normal components of `path`, read as relative to the root whether or not it starts with '/'.
fn components(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::RootDir | Component::CurDir))
        .collect()
}

/// An O_PATH handle on `path` inside `root`, following symlinks within it.
pub(crate) fn open_in_root(root: BorrowedFd<'_>, path: &Path) -> Result<OwnedFd, Errno> {
    let relative = components(path);
    let relative = if relative.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &relative
    };
    openat2_retrying(
        root,
        relative,
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        resolve_flags(),
    )
}

/// openat2, retried while the kernel reports EAGAIN: with RESOLVE_BENEATH/IN_ROOT it asks the
/// caller to retry when a mount or rename anywhere raced the lookup (other containers starting).
fn openat2_retrying(
    dir: BorrowedFd<'_>,
    path: &Path,
    flags: OFlags,
    mode: Mode,
    resolve: ResolveFlags,
) -> Result<OwnedFd, Errno> {
    loop {
        match openat2(dir, path, flags, mode, resolve) {
            Err(Errno::AGAIN) => continue,
            result => return result,
        }
    }
}

/// The kernel's limit on symlinks followed in one lookup.
const MAX_SYMLINKS: usize = 40;

/// Creates `path` and its missing parents inside `root` as directories; returns an O_PATH handle.
/// A dangling symlink on the way is followed (inside `root`) and its target created.
pub(crate) fn mkdir_all_in_root(
    root: BorrowedFd<'_>,
    path: &Path,
    mode: Mode,
) -> Result<OwnedFd, Errno> {
    let mut wanted = components(path);
    for _ in 0..MAX_SYMLINKS {
        match mkdir_components(root, &wanted, mode)? {
            Walk::Created(fd) => return Ok(fd),
            Walk::DanglingLink {
                parent,
                target,
                rest,
            } => {
                // An absolute target replaces the parent (join's rule); ".." is clamped by openat2.
                wanted = components(&parent.join(target).join(rest));
            }
        }
    }
    Err(Errno::LOOP)
}

/// The target of `dir/name` when it is a symlink.
fn link_target(dir: &OwnedFd, name: &OsStr) -> Option<PathBuf> {
    let target = readlinkat(dir, name, Vec::new()).ok()?;
    Some(PathBuf::from(OsString::from_vec(target.into_bytes())))
}

enum Walk {
    Created(OwnedFd),
    /// `parent/<link>` is a symlink to the missing `target`; `rest` follows the link.
    DanglingLink {
        parent: PathBuf,
        target: PathBuf,
        rest: PathBuf,
    },
}

fn mkdir_components(root: BorrowedFd<'_>, relative: &Path, mode: Mode) -> Result<Walk, Errno> {
    let mut dir = open_in_root(root, Path::new("."))?;
    let mut prefix = PathBuf::new();
    let names: Vec<_> = relative.iter().collect();
    for (index, name) in names.iter().enumerate() {
        let parent = prefix.clone();
        prefix.push(name);
        let next = match open_in_root(root, &prefix) {
            Err(Errno::NOENT) => {
                match mkdirat(&dir, *name, mode) {
                    Ok(()) => {}
                    Err(Errno::EXIST) => {
                        if let Some(target) = link_target(&dir, name) {
                            let rest = names[index + 1..].iter().collect();
                            return Ok(Walk::DanglingLink {
                                parent,
                                target,
                                rest,
                            });
                        }
                    }
                    Err(err) => return Err(err),
                }
                open_in_root(root, &prefix)?
            }
            other => other?,
        };
        dir = next;
    }
    Ok(Walk::Created(dir))
}

/// Opens `path` inside `root`, creating it as an empty regular file (and its parents) if missing.
/// A dangling symlink in its place (say `/etc/resolv.conf -> ../run/resolv.conf`) is followed
/// inside `root` and the file created at its target.
pub(crate) fn ensure_file_in_root(root: BorrowedFd<'_>, path: &Path) -> Result<OwnedFd, Errno> {
    let mut wanted = components(path);
    for _ in 0..MAX_SYMLINKS {
        match open_in_root(root, &wanted) {
            Err(Errno::NOENT) => {}
            other => return other,
        }
        let parent = wanted.parent().unwrap_or(Path::new("")).to_path_buf();
        let name = wanted.file_name().ok_or(Errno::INVAL)?.to_os_string();
        let parent_dir = mkdir_all_in_root(root, &parent, Mode::from_raw_mode(0o755))?;
        let created = openat2_retrying(
            parent_dir.as_fd(),
            Path::new(&name),
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::from_raw_mode(0o644),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
        );
        match created {
            Ok(_) => return open_in_root(root, &wanted),
            Err(Errno::EXIST) => match link_target(&parent_dir, &name) {
                Some(target) => wanted = components(&parent.join(target)),
                // Created by someone else meanwhile: open what is there now.
                None => return open_in_root(root, &wanted),
            },
            Err(err) => return Err(err),
        }
    }
    Err(Errno::LOOP)
}

/// The parent directory of `path` inside `root` (created if missing) and the final name.
pub(crate) fn parent_in_root<'p>(
    root: BorrowedFd<'_>,
    path: &'p Path,
) -> Result<(OwnedFd, &'p OsStr), Errno> {
    let name = path.file_name().ok_or(Errno::INVAL)?;
    let parent = path.parent().unwrap_or(Path::new("/"));
    Ok((
        mkdir_all_in_root(root, parent, Mode::from_raw_mode(0o755))?,
        name,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn root_fd(dir: &Path) -> OwnedFd {
        rustix::fs::open(
            dir,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap()
    }

    fn real_path(fd: &OwnedFd) -> PathBuf {
        fs::read_link(format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(fd)
        ))
        .unwrap()
    }

    #[test]
    fn absolute_symlinks_stay_inside_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        fs::create_dir_all(root.join("run")).unwrap();
        symlink("/run", root.join("var-run")).unwrap();
        symlink("/../../../etc", root.join("escape")).unwrap();
        let fd = root_fd(&root);

        let made = mkdir_all_in_root(
            fd.as_fd(),
            Path::new("/var-run/lock/sub"),
            Mode::from_raw_mode(0o755),
        )
        .unwrap();
        assert_eq!(real_path(&made), root.join("run/lock/sub"));

        let escaped = mkdir_all_in_root(
            fd.as_fd(),
            Path::new("/escape/x"),
            Mode::from_raw_mode(0o755),
        )
        .unwrap();
        assert_eq!(
            real_path(&escaped),
            root.join("etc/x"),
            "dangling link target created inside"
        );
        assert!(!Path::new("/etc/x").exists());
    }

    #[test]
    fn ensure_file_creates_parents_keeps_files_and_follows_dangling_links() {
        let tmp = tempfile::tempdir().unwrap();
        let fd = root_fd(tmp.path());
        let made = ensure_file_in_root(fd.as_fd(), Path::new("/etc/resolv.conf")).unwrap();
        assert_eq!(real_path(&made), tmp.path().join("etc/resolv.conf"));
        fs::write(tmp.path().join("etc/resolv.conf"), "nameserver 1.1.1.1\n").unwrap();
        ensure_file_in_root(fd.as_fd(), Path::new("etc/resolv.conf")).unwrap();
        assert_eq!(
            fs::read_to_string(tmp.path().join("etc/resolv.conf")).unwrap(),
            "nameserver 1.1.1.1\n"
        );

        symlink("../run/systemd/stub.conf", tmp.path().join("etc/hosts")).unwrap();
        let made = ensure_file_in_root(fd.as_fd(), Path::new("/etc/hosts")).unwrap();
        assert_eq!(real_path(&made), tmp.path().join("run/systemd/stub.conf"));
    }
}
