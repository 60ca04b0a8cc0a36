//! `diff_layer`: turns an overlayfs upper directory into a layer tar, converting overlay
//! whiteouts and opaque directories into their OCI forms.

use crate::compression::{Compression, Encoder};
use crate::digest::DigestingWriter;
use crate::error::{display_path, LayerError};
use crate::resolve::openat2_retrying;
use crate::tar_writer::{AppendError, EntrySpec, TarWriter};
use crate::walk::{self, Node};
use crate::whiteout;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{self, FileType, Mode, OFlags, ResolveFlags};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use tar::EntryType;

const OUTPUT_BUFFER_SIZE: usize = 1 << 20;

/// How `diff_layer` encodes the layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffOptions {
    pub compression: Compression,
    /// Clamp every entry's mtime to at most this many seconds since the epoch, so that the same
    /// upper directory always gives the same bytes (like BuildKit's SOURCE_DATE_EPOCH rewrite).
    pub mtime: Option<i64>,
}

/// What `diff_layer` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffStats {
    /// `sha256:<hex>` of the bytes written to the output: the blob digest.
    pub digest: String,
    /// `sha256:<hex>` of the uncompressed tar: the layer's diff id.
    pub diff_id: String,
    /// Bytes written to the output.
    pub compressed_size: u64,
    /// Bytes of the uncompressed tar.
    pub size: u64,
}

/// Writes the layer tar of overlayfs upper directory `upper` to `out`: entries sorted by path,
/// numeric owners, xattrs as PAX records, overlay whiteouts as `.wh.NAME` files, opaque
/// directories followed by `.wh..wh..opq`, repeated inodes as hardlinks.
pub fn diff_layer(
    upper: &Path,
    out: impl Write,
    opts: &DiffOptions,
) -> Result<DiffStats, LayerError> {
    let root = fs::open(
        upper,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|err| LayerError::Target {
        path: upper.to_path_buf(),
        source: err.into(),
    })?;
    let mut nodes: Vec<(Vec<u8>, Node)> = walk::collect(root.as_fd())?
        .into_iter()
        .map(|node| (archive_path(&node), node))
        .collect();
    nodes.sort_by(|(a, _), (b, _)| a.cmp(b));

    let written = DigestingWriter::new(BufWriter::with_capacity(OUTPUT_BUFFER_SIZE, out));
    let encoder = Encoder::new(opts.compression, written).map_err(write_error)?;
    let mut archive = Archive {
        root: root.as_fd(),
        tar: TarWriter::new(DigestingWriter::new(encoder)),
        first_paths: HashMap::new(),
        mtime_limit: opts.mtime,
    };
    for (path, node) in &nodes {
        archive.append(path, node)?;
    }
    let (encoder, diff_id, size) = archive.tar.finish().map_err(write_error)?.into_parts();
    let (mut buffered, digest, compressed_size) =
        encoder.finish().map_err(write_error)?.into_parts();
    buffered.flush().map_err(write_error)?;
    Ok(DiffStats {
        digest,
        diff_id,
        compressed_size,
        size,
    })
}

/// The name a node gets in the layer: whiteouts become `.wh.NAME`.
fn archive_path(node: &Node) -> Vec<u8> {
    if !whiteout::is_overlay_whiteout(&node.stat) {
        return node.path.clone();
    }
    let (dir, name) = match node.path.iter().rposition(|byte| *byte == b'/') {
        Some(slash) => (&node.path[..=slash], &node.path[slash + 1..]),
        None => (&b""[..], &node.path[..]),
    };
    [dir, &whiteout::whiteout_name(name)].concat()
}

fn write_error(source: io::Error) -> LayerError {
    LayerError::Write { source }
}

struct Archive<'r, W: Write> {
    root: BorrowedFd<'r>,
    tar: TarWriter<W>,
    /// The archive path of the first node seen for each (device, inode) with several links.
    first_paths: HashMap<(u64, u64), Vec<u8>>,
    mtime_limit: Option<i64>,
}

impl<W: Write> Archive<'_, W> {
    fn append(&mut self, path: &[u8], node: &Node) -> Result<(), LayerError> {
        let stat = &node.stat;
        let mut spec = self.spec(path, node);
        if whiteout::is_overlay_whiteout(stat) {
            // Overlayfs may share one inode among its whiteouts; each is its own `.wh.` file.
            spec.mode = 0o600;
            spec.xattrs.clear();
            return self.write(&spec, node, &mut io::empty());
        }
        if let Some(first) = self.earlier_link(path, node) {
            spec.kind = EntryType::Link;
            spec.link_name = first;
            spec.xattrs.clear();
            return self.write(&spec, node, &mut io::empty());
        }
        match node.file_type() {
            FileType::RegularFile => {
                spec.size = u64::try_from(stat.st_size).unwrap_or(0);
                let mut file = self.open_file(node)?;
                self.write(&spec, node, &mut file)
            }
            FileType::Directory => self.append_dir(spec, path, node),
            FileType::Symlink => {
                spec.kind = EntryType::Symlink;
                spec.link_name = node.symlink_target.clone().unwrap_or_default();
                self.write(&spec, node, &mut io::empty())
            }
            file_type @ (FileType::CharacterDevice | FileType::BlockDevice) => {
                spec.kind = if file_type == FileType::CharacterDevice {
                    EntryType::Char
                } else {
                    EntryType::Block
                };
                spec.device = (fs::major(stat.st_rdev), fs::minor(stat.st_rdev));
                self.write(&spec, node, &mut io::empty())
            }
            FileType::Fifo => {
                spec.kind = EntryType::Fifo;
                self.write(&spec, node, &mut io::empty())
            }
            _ => Err(LayerError::Diff {
                path: display_path(&node.path),
                action: "archiving",
                source: io::Error::new(io::ErrorKind::Unsupported, "unsupported file type"),
            }),
        }
    }

    /// The header fields every kind of entry shares, as a regular file with no data.
    fn spec(&self, path: &[u8], node: &Node) -> EntrySpec {
        let stat = &node.stat;
        EntrySpec {
            name: path.to_vec(),
            kind: EntryType::Regular,
            mode: stat.st_mode & 0o7777,
            uid: u64::from(stat.st_uid),
            gid: u64::from(stat.st_gid),
            mtime: self
                .mtime_limit
                .map_or(stat.st_mtime, |limit| stat.st_mtime.min(limit)),
            size: 0,
            link_name: Vec::new(),
            device: (0, 0),
            xattrs: node
                .xattrs
                .iter()
                .filter(|(name, _)| !whiteout::is_overlay_xattr(name))
                .cloned()
                .collect(),
        }
    }

    /// For a non-directory with several links: the archive path of the first of them already
    /// written, or `None` (and `path` is remembered) if this is the first.
    fn earlier_link(&mut self, path: &[u8], node: &Node) -> Option<Vec<u8>> {
        if node.file_type() == FileType::Directory || node.stat.st_nlink < 2 {
            return None;
        }
        let key = (node.stat.st_dev, node.stat.st_ino);
        if let Some(first) = self.first_paths.get(&key) {
            return Some(first.clone());
        }
        self.first_paths.insert(key, path.to_vec());
        None
    }

    /// A directory entry (name ending in `/`), followed by `.wh..wh..opq` if it is opaque.
    fn append_dir(
        &mut self,
        mut spec: EntrySpec,
        path: &[u8],
        node: &Node,
    ) -> Result<(), LayerError> {
        spec.kind = EntryType::Directory;
        spec.name.push(b'/');
        self.write(&spec, node, &mut io::empty())?;
        if !whiteout::is_opaque(&node.xattrs) {
            return Ok(());
        }
        let marker = EntrySpec {
            name: [path, b"/", whiteout::OPAQUE_MARKER].concat(),
            kind: EntryType::Regular,
            mode: spec.mode & 0o777,
            xattrs: Vec::new(),
            ..spec
        };
        self.write(&marker, node, &mut io::empty())
    }

    fn open_file(&self, node: &Node) -> Result<File, LayerError> {
        openat2_retrying(
            self.root,
            &node.path[..],
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
        )
        .map(File::from)
        .map_err(|err| LayerError::Diff {
            path: display_path(&node.path),
            action: "opening file",
            source: err,
        })
    }

    fn write(
        &mut self,
        spec: &EntrySpec,
        node: &Node,
        data: &mut dyn io::Read,
    ) -> Result<(), LayerError> {
        self.tar.append(spec, data).map_err(|err| match err {
            AppendError::Write(source) => LayerError::Write { source },
            AppendError::Read(source) => LayerError::Diff {
                path: display_path(&node.path),
                action: "reading file",
                source,
            },
            AppendError::Header(source) => LayerError::Diff {
                path: display_path(&node.path),
                action: "encoding tar header",
                source,
            },
        })
    }
}
