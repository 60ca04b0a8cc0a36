//! Shared test helpers: building layer tars with the `tar` crate, compressing them, and
//! snapshotting directory trees with all the metadata a layer carries.
#![allow(dead_code)] // each test binary uses its own subset of these helpers

use rustix::fs::{self as rfs, AtFlags, FileType};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use tar::{EntryType, Header};

pub const MTIME: u64 = 1_600_000_000;

/// Metadata for an entry written by `LayerTar`.
#[derive(Clone, Copy)]
pub struct Meta {
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: u64,
}

impl Default for Meta {
    fn default() -> Self {
        Meta {
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: MTIME,
        }
    }
}

pub fn meta(mode: u32, uid: u64, gid: u64, mtime: u64) -> Meta {
    Meta {
        mode,
        uid,
        gid,
        mtime,
    }
}

/// Builds layer tars entry by entry.
pub struct LayerTar {
    builder: tar::Builder<Vec<u8>>,
}

impl Default for LayerTar {
    fn default() -> Self {
        Self::new()
    }
}

impl LayerTar {
    pub fn new() -> Self {
        LayerTar {
            builder: tar::Builder::new(Vec::new()),
        }
    }

    fn header(kind: EntryType, meta: Meta) -> Header {
        let mut header = Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(meta.mode);
        header.set_uid(meta.uid);
        header.set_gid(meta.gid);
        header.set_mtime(meta.mtime);
        header.set_size(0);
        header
    }

    /// Adds PAX `SCHILY.xattr.*` records that apply to the next entry.
    pub fn xattrs(&mut self, xattrs: &[(&str, &[u8])]) -> &mut Self {
        let records: Vec<(String, &[u8])> = xattrs
            .iter()
            .map(|(name, value)| (format!("SCHILY.xattr.{name}"), *value))
            .collect();
        self.builder
            .append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), *v)))
            .unwrap();
        self
    }

    pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        self.builder
            .append_pax_extensions(records.iter().copied())
            .unwrap();
        self
    }

    pub fn file(&mut self, path: &str, data: &[u8], meta: Meta) -> &mut Self {
        let mut header = Self::header(EntryType::Regular, meta);
        header.set_size(data.len() as u64);
        self.builder.append_data(&mut header, path, data).unwrap();
        self
    }

    pub fn dir(&mut self, path: &str, meta: Meta) -> &mut Self {
        let mut header = Self::header(EntryType::Directory, meta);
        self.builder
            .append_data(&mut header, path, std::io::empty())
            .unwrap();
        self
    }

    pub fn symlink(&mut self, path: &str, target: &str, meta: Meta) -> &mut Self {
        let mut header = Self::header(EntryType::Symlink, meta);
        self.builder.append_link(&mut header, path, target).unwrap();
        self
    }

    pub fn hardlink(&mut self, path: &str, target: &str) -> &mut Self {
        let mut header = Self::header(EntryType::Link, Meta::default());
        self.builder.append_link(&mut header, path, target).unwrap();
        self
    }

    pub fn device(
        &mut self,
        path: &str,
        kind: EntryType,
        major: u32,
        minor: u32,
        meta: Meta,
    ) -> &mut Self {
        let mut header = Self::header(kind, meta);
        header.set_device_major(major).unwrap();
        header.set_device_minor(minor).unwrap();
        self.builder
            .append_data(&mut header, path, std::io::empty())
            .unwrap();
        self
    }

    /// An entry whose name and link name are written as given, bypassing the `tar` crate's
    /// refusal of absolute and `..` names: what a hostile archive contains.
    pub fn raw(&mut self, name: &[u8], kind: EntryType, link: &[u8], data: &[u8]) -> &mut Self {
        let mut header = Self::header(kind, Meta::default());
        header.set_size(data.len() as u64);
        let old = header.as_old_mut();
        old.name = [0; 100];
        old.name[..name.len()].copy_from_slice(name);
        old.linkname = [0; 100];
        old.linkname[..link.len()].copy_from_slice(link);
        header.set_cksum();
        self.builder.append(&header, data).unwrap();
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.builder.into_inner().unwrap()
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

pub fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(data), &mut out).unwrap();
    out
}

pub fn sha256(data: &[u8]) -> String {
    let hash = Sha256::digest(data);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Everything a layer records about one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub kind: &'static str,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: (i64, i64),
    pub content: Option<Vec<u8>>,
    pub link: Option<Vec<u8>>,
    pub rdev: (u32, u32),
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    pub ino: u64,
}

/// Every node below `root`, keyed by relative path. Inode numbers are recorded but callers
/// comparing two trees should compare `without_inodes()`.
pub fn snapshot(root: &Path) -> BTreeMap<String, NodeInfo> {
    let mut nodes = BTreeMap::new();
    walk(root, root, &mut nodes);
    nodes
}

pub fn without_inodes(mut tree: BTreeMap<String, NodeInfo>) -> BTreeMap<String, NodeInfo> {
    for node in tree.values_mut() {
        node.ino = 0;
    }
    tree
}

fn walk(root: &Path, dir: &Path, nodes: &mut BTreeMap<String, NodeInfo>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let info = node_info(&path);
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let is_dir = info.kind == "dir";
        nodes.insert(rel, info);
        if is_dir {
            walk(root, &path, nodes);
        }
    }
}

pub fn node_info(path: &Path) -> NodeInfo {
    let stat = rfs::statat(rfs::CWD, path, AtFlags::SYMLINK_NOFOLLOW).unwrap();
    let kind = match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => "file",
        FileType::Directory => "dir",
        FileType::Symlink => "symlink",
        FileType::CharacterDevice => "char",
        FileType::BlockDevice => "block",
        FileType::Fifo => "fifo",
        _ => "other",
    };
    NodeInfo {
        kind,
        mode: stat.st_mode & 0o7777,
        uid: stat.st_uid,
        gid: stat.st_gid,
        mtime: (stat.st_mtime, stat.st_mtime_nsec as i64),
        content: (kind == "file").then(|| std::fs::read(path).unwrap()),
        link: (kind == "symlink").then(|| {
            std::fs::read_link(path)
                .unwrap()
                .as_os_str()
                .as_bytes()
                .to_vec()
        }),
        rdev: (rfs::major(stat.st_rdev), rfs::minor(stat.st_rdev)),
        xattrs: xattrs(path),
        ino: std::fs::symlink_metadata(path).unwrap().ino(),
    }
}

pub fn xattrs(path: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut names = vec![0u8; 65536];
    let len = rfs::llistxattr(path, &mut names[..]).unwrap();
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = names[..len]
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(|name| {
            let mut value = vec![0u8; 65536];
            let len = rfs::lgetxattr(path, name, &mut value[..]).unwrap();
            (name.to_vec(), value[..len].to_vec())
        })
        .collect();
    out.sort();
    out
}

pub fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    xattrs(path)
        .into_iter()
        .find(|(n, _)| n == name.as_bytes())
        .map(|(_, v)| v)
}

/// A `security.capability` value (VFS_CAP_REVISION_2, effective) granting cap_net_bind_service.
pub fn net_bind_capability() -> Vec<u8> {
    let mut value = Vec::new();
    for word in [0x0200_0001u32, 1 << 10, 0, 0, 0] {
        value.extend_from_slice(&word.to_le_bytes());
    }
    value
}

/// The entries of an uncompressed tar as (name, type, header) in archive order.
pub fn list_tar(data: &[u8]) -> Vec<TarEntry> {
    let mut archive = tar::Archive::new(data);
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut xattrs = Vec::new();
        if let Some(records) = entry.pax_extensions().unwrap() {
            for record in records {
                let record = record.unwrap();
                if let Some(name) = record.key().unwrap().strip_prefix("SCHILY.xattr.") {
                    xattrs.push((name.to_owned(), record.value_bytes().to_vec()));
                }
            }
        }
        let header = entry.header().clone();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        out.push(TarEntry {
            name: String::from_utf8(entry.path_bytes().into_owned()).unwrap(),
            kind: header.entry_type(),
            link: entry
                .link_name_bytes()
                .map(|l| String::from_utf8(l.into_owned()).unwrap()),
            header,
            xattrs,
            data,
        });
    }
    out
}

pub struct TarEntry {
    pub name: String,
    pub kind: EntryType,
    pub link: Option<String>,
    pub header: Header,
    pub xattrs: Vec<(String, Vec<u8>)>,
    pub data: Vec<u8>,
}

impl TarEntry {
    pub fn named<'a>(entries: &'a [TarEntry], name: &str) -> &'a TarEntry {
        entries.iter().find(|e| e.name == name).unwrap_or_else(|| {
            panic!(
                "no entry {name:?} in {:?}",
                entries.iter().map(|e| &e.name).collect::<Vec<_>>()
            )
        })
    }
}
