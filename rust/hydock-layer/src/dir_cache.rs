//! Keeps the most recently used directory of an extraction open: consecutive entries mostly
//! share a parent, and reusing its fd saves a path lookup and a close per entry.
//!
//! The kept directory is the parent of the entry being applied (or the directory of a hardlink's
//! source), and an entry only replaces a name inside its parent, never the parent itself or an
//! ancestor of it, so the kept fd stays the directory its path names. That reasoning holds for
//! paths as text only when they cross no symlink, so only such directories are kept, and any
//! other lookup drops the kept one. A kept fd cannot lead outside the target in any case: it
//! was opened beneath it, and nothing is ever renamed.

use crate::resolve;
use rustix::fd::{BorrowedFd, OwnedFd};
use std::io;
use std::rc::Rc;

#[derive(Default)]
pub(crate) struct DirCache {
    kept: Option<(Vec<u8>, Rc<OwnedFd>)>,
}

impl DirCache {
    /// Opens directory `rel` beneath `root`, creating missing directories when asked.
    pub(crate) fn open(
        &mut self,
        root: BorrowedFd<'_>,
        rel: &[u8],
        create_missing: bool,
    ) -> io::Result<Rc<OwnedFd>> {
        if let Some((path, dir)) = &self.kept {
            if path == rel {
                return Ok(Rc::clone(dir));
            }
        }
        match resolve::open_dir_without_symlinks(root, rel) {
            Ok(Some(dir)) => {
                let dir = Rc::new(dir);
                self.kept = Some((rel.to_vec(), Rc::clone(&dir)));
                return Ok(dir);
            }
            Ok(None) => {}
            Err(err) if create_missing && err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        self.kept = None;
        let dir = if create_missing {
            resolve::open_or_create_dir(root, rel)?
        } else {
            resolve::open_dir(root, rel)?
        };
        Ok(Rc::new(dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::fd::AsFd;

    #[test]
    fn keeps_only_the_last_directory_reached_without_symlinks() {
        let root_dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root_dir.path().join("a/b")).unwrap();
        std::os::unix::fs::symlink("a", root_dir.path().join("link")).unwrap();
        let root = std::fs::File::open(root_dir.path()).unwrap();
        let mut cache = DirCache::default();

        let first = cache.open(root.as_fd(), b"a/b", false).unwrap();
        let second = cache.open(root.as_fd(), b"a/b", false).unwrap();
        assert!(Rc::ptr_eq(&first, &second));

        let other = cache.open(root.as_fd(), b"a", false).unwrap();
        assert!(!Rc::ptr_eq(&first, &other));
        assert!(Rc::ptr_eq(
            &other,
            &cache.open(root.as_fd(), b"a", false).unwrap()
        ));

        let through_link = cache.open(root.as_fd(), b"link/b", false).unwrap();
        let again = cache.open(root.as_fd(), b"link/b", false).unwrap();
        assert!(
            !Rc::ptr_eq(&through_link, &again),
            "paths through symlinks are not kept"
        );

        let created = cache.open(root.as_fd(), b"new/dir", true).unwrap();
        drop(created);
        assert!(root_dir.path().join("new/dir").is_dir());
    }
}
