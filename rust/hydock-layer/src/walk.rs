//! Collects every node of an overlayfs upper directory with its metadata, never following a
//! symlink.

use crate::error::{display_path, ActionContext, Failed, LayerError};
use crate::fsmeta::{proc_path, read_xattrs};
use crate::resolve::open_child_dir;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{self, AtFlags, FileType, Stat};

/// One file, directory, symlink, device or fifo below the walked root.
pub(crate) struct Node {
    /// Relative to the root, `/`-separated, without a leading `./`.
    pub(crate) path: Vec<u8>,
    pub(crate) stat: Stat,
    /// Sorted by name.
    pub(crate) xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// The target, for a symlink.
    pub(crate) symlink_target: Option<Vec<u8>>,
}

impl Node {
    pub(crate) fn file_type(&self) -> FileType {
        FileType::from_raw_mode(self.stat.st_mode)
    }
}

/// Every node below `root` (not `root` itself), in no particular order. Sockets are left out:
/// they cannot be archived and mean nothing without the process that bound them.
pub(crate) fn collect(root: BorrowedFd<'_>) -> Result<Vec<Node>, LayerError> {
    let mut nodes = Vec::new();
    walk_dir(root, b"", &mut nodes)?;
    Ok(nodes)
}

fn walk_dir(dir: BorrowedFd<'_>, prefix: &[u8], nodes: &mut Vec<Node>) -> Result<(), LayerError> {
    let failed_at = |path: &[u8]| {
        let path = if path.is_empty() {
            ".".to_owned()
        } else {
            display_path(path)
        };
        move |Failed { action, source }| LayerError::Diff {
            path,
            action,
            source,
        }
    };
    for name in read_names(dir).map_err(failed_at(prefix))? {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            [prefix, b"/", &name].concat()
        };
        let Some(node) = read_node(dir, &name, &path).map_err(failed_at(&path))? else {
            continue;
        };
        if node.file_type() == FileType::Directory {
            let child = open_child_dir(dir, &name)
                .during("opening directory")
                .map_err(failed_at(&node.path))?;
            let child_path = node.path.clone();
            nodes.push(node);
            walk_dir(child.as_fd(), &child_path, nodes)?;
        } else {
            nodes.push(node);
        }
    }
    Ok(())
}

fn read_names(dir: BorrowedFd<'_>) -> Result<Vec<Vec<u8>>, Failed> {
    let mut names = Vec::new();
    for entry in fs::Dir::read_from(dir).during("reading directory")? {
        let name = entry
            .during("reading directory")?
            .file_name()
            .to_bytes()
            .to_vec();
        if name != b"." && name != b".." {
            names.push(name);
        }
    }
    Ok(names)
}

fn read_node(dir: BorrowedFd<'_>, name: &[u8], path: &[u8]) -> Result<Option<Node>, Failed> {
    let stat = fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).during("inspecting")?;
    let file_type = FileType::from_raw_mode(stat.st_mode);
    if file_type == FileType::Socket {
        return Ok(None);
    }
    let xattrs = read_xattrs(&proc_path(dir, name)).during("reading xattrs")?;
    let symlink_target = if file_type == FileType::Symlink {
        Some(
            fs::readlinkat(dir, name, Vec::new())
                .during("reading symlink")?
                .into_bytes(),
        )
    } else {
        None
    };
    Ok(Some(Node {
        path: path.to_vec(),
        stat,
        xattrs,
        symlink_target,
    }))
}
