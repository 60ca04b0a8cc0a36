//! Cgroup directories: creating a new cgroup's levels, undoing a half-done create, removing a tree.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::name::CgroupName;
use crate::POLL_INTERVAL;

#[derive(Debug, thiserror::Error)]
pub enum DirError {
    #[error("cannot create cgroup directory {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cgroup directory {path} already exists")]
    AlreadyExists { path: PathBuf },
    #[error("cannot list cgroup directory {path}: {source}")]
    List {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot remove cgroup directory {path}: {source}")]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Leaf directories made by a create that has not finished. Dropped without `keep`, it removes
/// them, so a create failing halfway (a hierarchy refusing, a limit rejected) leaves nothing.
/// Intermediate levels such as `hydock/` are shared between containers and stay.
#[derive(Debug, Default)]
pub(crate) struct CreatedDirs(Vec<PathBuf>);

impl CreatedDirs {
    pub fn keep(mut self) {
        self.0.clear();
    }
}

impl Drop for CreatedDirs {
    fn drop(&mut self) {
        for dir in self.0.iter().rev() {
            // Best effort: the error that aborted the create is the one reported.
            std::fs::remove_dir(dir).ok();
        }
    }
}

/// Makes every level of `name` below `root`; the last level must be new. Returns the levels,
/// outermost first.
pub(crate) fn create_levels(
    root: &Path,
    name: &CgroupName,
    created: &mut CreatedDirs,
) -> Result<Vec<PathBuf>, DirError> {
    let levels = name.levels_in(root);
    for (index, level) in levels.iter().enumerate() {
        let is_leaf = index + 1 == levels.len();
        match std::fs::create_dir(level) {
            Ok(()) if is_leaf => created.0.push(level.clone()),
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists && !is_leaf => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                return Err(DirError::AlreadyExists {
                    path: level.clone(),
                });
            }
            Err(source) => {
                return Err(DirError::Create {
                    path: level.clone(),
                    source,
                })
            }
        }
    }
    Ok(levels)
}

/// `dir` and every cgroup below it (a container may make its own), parents before children.
/// Empty when `dir` is gone.
pub(crate) fn subtree(dir: &Path) -> Result<Vec<PathBuf>, DirError> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let list_failed = |source| DirError::List {
            path: current.clone(),
            source,
        };
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(source) => return Err(list_failed(source)),
        };
        for entry in entries {
            let entry = entry.map_err(list_failed)?;
            if entry.file_type().map_err(list_failed)?.is_dir() {
                pending.push(entry.path());
            }
        }
        found.push(current);
    }
    Ok(found)
}

/// Removes `dir` and the cgroups below it, innermost first. Gone already is fine.
pub(crate) fn remove_tree(dir: &Path, deadline: Instant) -> Result<(), DirError> {
    for level in subtree(dir)?.iter().rev() {
        loop {
            match std::fs::remove_dir(level) {
                Ok(()) => break,
                Err(e) if e.kind() == ErrorKind::NotFound => break,
                // A task killed a moment ago can keep its cgroup busy until it has fully exited.
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline => {
                    std::thread::sleep(POLL_INTERVAL);
                }
                Err(source) => {
                    return Err(DirError::Remove {
                        path: level.clone(),
                        source,
                    })
                }
            }
        }
    }
    Ok(())
}
