//! Extracts the entries of a tar stream onto the target directory, never writing outside it.

use crate::chunks::ChunkReader;
use crate::create;
use crate::dir_cache::DirCache;
use crate::error::{display_path, ActionContext, EntryFailure, Failed, LayerError};
use crate::fsmeta::Metadata;
use crate::header::{device_numbers, entry_metadata};
use crate::resolve::{self, RelPath};
use crate::whiteout::{self, Marker};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, FileType, Timestamps};
use rustix::io::Errno;
use std::io::{self, Read};
use std::rc::Rc;
use tar::EntryType;

/// Large writes keep the syscall count per byte low for big files.
const COPY_BUFFER_SIZE: usize = 1 << 20;

/// Applies every entry read from `stream` under `root`, then consumes the rest of the stream;
/// returns what `ChunkReader::finish` does.
pub(crate) fn extract_stream(
    root: BorrowedFd<'_>,
    stream: ChunkReader,
) -> Result<Option<(String, u64)>, LayerError> {
    let mut archive = tar::Archive::new(stream);
    let mut extractor = Extractor {
        root,
        dirs: DirCache::default(),
        dir_times: Vec::new(),
        buffer: vec![0; COPY_BUFFER_SIZE],
    };
    let mut name = Vec::new();
    let header_error = |previous: &[u8], source| LayerError::Tar {
        at: if previous.is_empty() {
            "the first header".to_owned()
        } else {
            format!("the header after entry {:?}", display_path(previous))
        },
        source,
    };
    for entry in archive
        .entries()
        .map_err(|source| header_error(&name, source))?
    {
        let mut entry = entry.map_err(|source| header_error(&name, source))?;
        name.clear();
        name.extend_from_slice(&entry.path_bytes());
        extractor
            .extract(&mut entry, &name)
            .map_err(|failure| failure.for_entry(display_path(&name)))?;
    }
    extractor.set_dir_times()?;
    let stream = archive.into_inner();
    if stream.reached_end() {
        return Err(LayerError::Tar {
            at: "end of stream".to_owned(),
            source: io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "no end-of-archive marker, the stream is truncated",
            ),
        });
    }
    Ok(stream.finish())
}

struct Extractor<'r> {
    root: BorrowedFd<'r>,
    dirs: DirCache,
    /// Directory times are set after every entry is in, since adding children changes them.
    dir_times: Vec<(RelPath, Timestamps)>,
    buffer: Vec<u8>,
}

impl Extractor<'_> {
    fn extract<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        name: &[u8],
    ) -> Result<(), EntryFailure> {
        let kind = entry.header().entry_type();
        if kind == EntryType::XGlobalHeader {
            return Ok(());
        }
        let path = RelPath::parse(name).map_err(EntryFailure::Escape)?;
        let meta = entry_metadata(entry).map_err(EntryFailure::Malformed)?;
        let Some((dir, file_name)) = path.split() else {
            return self.update_root(kind, &meta);
        };
        match whiteout::classify(file_name) {
            Some(Marker::Ignored) => Ok(()),
            Some(Marker::Opaque) => {
                let dir = self.open_dir(dir, true)?;
                Ok(whiteout::mark_opaque(dir.as_fd()).during("marking directory opaque")?)
            }
            Some(Marker::Whiteout(b"" | b"." | b"..")) => Err(EntryFailure::Invalid(
                "whiteout of an empty, '.' or '..' name",
            )),
            Some(Marker::Whiteout(hidden)) => {
                let parent = self.open_dir(dir, true)?;
                Ok(create::make_whiteout(parent.as_fd(), hidden, &meta)?)
            }
            None => {
                let parent = self.open_dir(dir, true)?;
                self.create(entry, kind, parent.as_fd(), &path, &meta)
            }
        }
    }

    fn create<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        kind: EntryType,
        parent: BorrowedFd<'_>,
        path: &RelPath,
        meta: &Metadata,
    ) -> Result<(), EntryFailure> {
        let name = path.file_name();
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let size = entry.size();
                create::write_file(parent, name, entry, size, meta, &mut self.buffer)
            }
            EntryType::Directory => {
                create::make_dir(parent, name, meta)?;
                self.dir_times.push((path.clone(), meta.times()));
                Ok(())
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or(EntryFailure::Invalid("symlink without a target"))?;
                Ok(create::make_symlink(parent, name, &target, meta)?)
            }
            EntryType::Link => self.hardlink(entry, parent, name),
            EntryType::Fifo => Ok(create::make_special(parent, name, FileType::Fifo, 0, meta)?),
            EntryType::Char | EntryType::Block => {
                let (major, minor) =
                    device_numbers(entry.header()).map_err(EntryFailure::Malformed)?;
                let file_type = if kind == EntryType::Char {
                    FileType::CharacterDevice
                } else {
                    FileType::BlockDevice
                };
                let device = fs::makedev(major, minor);
                Ok(create::make_special(parent, name, file_type, device, meta)?)
            }
            _ => Err(EntryFailure::Invalid("unsupported entry type")),
        }
    }

    /// Hardlink sources are names in the layer, resolved like entry names: never outside.
    fn hardlink<R: Read>(
        &mut self,
        entry: &tar::Entry<'_, R>,
        parent: BorrowedFd<'_>,
        name: &[u8],
    ) -> Result<(), EntryFailure> {
        let source_name = entry
            .link_name_bytes()
            .ok_or(EntryFailure::Invalid("hardlink without a target"))?;
        let source = RelPath::parse(&source_name)
            .map_err(|_| EntryFailure::Escape("hardlink target is outside the target directory"))?;
        let (source_dir, source_file) = source.split().ok_or(EntryFailure::Invalid(
            "hardlink to the target directory itself",
        ))?;
        let source_parent = self.open_dir(source_dir, false)?;
        Ok(create::make_hardlink(
            source_parent.as_fd(),
            source_file,
            parent,
            name,
        )?)
    }

    /// An entry naming the target itself (`./`) may only update the target's metadata.
    fn update_root(&mut self, kind: EntryType, meta: &Metadata) -> Result<(), EntryFailure> {
        if kind != EntryType::Directory {
            return Err(EntryFailure::Invalid(
                "names the target directory but is not a directory",
            ));
        }
        let root = self.open_dir(b"", false)?;
        meta.apply_to_fd(root.as_fd())?;
        self.dir_times.push((RelPath::root(), meta.times()));
        Ok(())
    }

    fn open_dir(&mut self, rel: &[u8], create_missing: bool) -> Result<Rc<OwnedFd>, EntryFailure> {
        self.dirs
            .open(self.root, rel, create_missing)
            .map_err(|source| {
                if resolve::is_escape(&source) {
                    EntryFailure::Escape("its path leads outside through a symlink")
                } else {
                    EntryFailure::Io(Failed {
                        action: "opening parent directory",
                        source,
                    })
                }
            })
    }

    fn set_dir_times(&self) -> Result<(), LayerError> {
        for (path, times) in &self.dir_times {
            let opened = match path.split() {
                None => resolve::open_dir(self.root, b""),
                Some((parent, name)) => resolve::open_dir(self.root, parent)
                    .and_then(|parent| resolve::open_child_dir(parent.as_fd(), name)),
            };
            let failed = |action, source| LayerError::Entry {
                entry: display_path(path.as_bytes()),
                action,
                source,
            };
            let dir = match opened {
                Ok(dir) => dir,
                // A later entry replaced the directory; its times went with it.
                Err(err) if is_gone(&err) => continue,
                Err(err) => return Err(failed("reopening directory to set its times", err)),
            };
            fs::futimens(&dir, times)
                .map_err(|err| failed("setting directory times", err.into()))?;
        }
        Ok(())
    }
}

fn is_gone(err: &io::Error) -> bool {
    [Errno::NOENT, Errno::NOTDIR, Errno::LOOP, Errno::XDEV]
        .iter()
        .any(|errno| err.raw_os_error() == Some(errno.raw_os_error()))
}
