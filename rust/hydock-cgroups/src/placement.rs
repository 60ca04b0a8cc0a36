//! Putting a new process into a cgroup as it is created. Moving another process takes the write
//! side of the kernel's global thread-group lock, whose RCU grace period costs about 10 ms per
//! container start; the two ways around it are a process moving its only thread itself on v1
//! (`tasks` gets "0"), and clone3's CLONE_INTO_CGROUP on the unified hierarchy.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use crate::cgroupfs::{self, FsError};
use crate::tasks::{PROCS, TASKS};

/// Descriptors opened by the parent before it forks, used by the child (v1) or by the kernel
/// at clone time (v2).
#[derive(Debug)]
pub struct Placement {
    thread_files: Vec<(PathBuf, File)>,
    clone_dir: Option<(PathBuf, File)>,
}

impl Placement {
    pub(crate) fn open(v1_dirs: &[&Path], unified: Option<&Path>) -> Result<Placement, FsError> {
        let thread_files = v1_dirs
            .iter()
            .map(|dir| {
                let path = dir.join(TASKS);
                let file = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|source| FsError::Write {
                        path: path.clone(),
                        value: "0".to_string(),
                        source,
                    })?;
                Ok((path, file))
            })
            .collect::<Result<_, FsError>>()?;
        let clone_dir = unified
            .map(|dir| {
                File::open(dir)
                    .map(|file| (dir.to_path_buf(), file))
                    .map_err(|source| FsError::Read {
                        path: dir.to_path_buf(),
                        source,
                    })
            })
            .transpose()?;
        Ok(Placement {
            thread_files,
            clone_dir,
        })
    }

    /// The unified-hierarchy directory to create the process in (clone3's `cgroup`).
    pub fn clone_into(&self) -> Option<BorrowedFd<'_>> {
        self.clone_dir.as_ref().map(|(_, dir)| dir.as_fd())
    }

    /// Run by the new process itself while it has a single thread: joins the v1 hierarchies.
    pub fn join_current_thread(&self) -> Result<(), FsError> {
        for (path, file) in &self.thread_files {
            let mut file: &File = file;
            file.write_all(b"0").map_err(|source| FsError::Write {
                path: path.clone(),
                value: "0".to_string(),
                source,
            })?;
        }
        Ok(())
    }

    /// For a process that could not be created in `clone_into` (a kernel or seccomp filter
    /// without clone3): moves it there the slow way.
    pub fn add_to_clone_dir(&self, pid: i32) -> Result<(), FsError> {
        match &self.clone_dir {
            Some((dir, _)) => cgroupfs::write(&dir.join(PROCS), &pid.to_string()),
            None => Ok(()),
        }
    }
}
