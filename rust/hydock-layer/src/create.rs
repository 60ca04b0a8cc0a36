//! Creates one node of each kind in an already resolved parent directory, replacing whatever
//! was at that name, and gives it the entry's metadata.

use crate::error::{ActionContext, EntryFailure, Failed};
use crate::fsmeta::Metadata;
use crate::resolve;
use crate::whiteout;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{self, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::fs::File;
use std::io::{self, Read, Write};

/// Writes a regular file from `data`, which must hold exactly `size` bytes.
pub(crate) fn write_file(
    parent: BorrowedFd<'_>,
    name: &[u8],
    data: &mut impl Read,
    size: u64,
    meta: &Metadata,
    buffer: &mut [u8],
) -> Result<(), EntryFailure> {
    let fd = resolve::create_replacing(parent, name, || {
        Ok(fs::openat(
            parent,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?)
    })
    .during("creating file")?;
    let mut file = File::from(fd);
    let copied = copy_data(data, &mut file, buffer)?;
    if copied != size {
        return Err(EntryFailure::Malformed(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("file data ends after {copied} of {size} bytes"),
        )));
    }
    // Metadata after the data: writing may clear set-id bits and file capabilities.
    meta.apply_to_fd(file.as_fd())?;
    fs::futimens(&file, &meta.times()).during("setting times")?;
    Ok(())
}

/// Copies `data` to `file` in writes as large as `buffer`; returns the number of bytes copied.
fn copy_data(
    data: &mut impl Read,
    file: &mut File,
    buffer: &mut [u8],
) -> Result<u64, EntryFailure> {
    let mut copied = 0u64;
    loop {
        let mut filled = 0;
        while filled < buffer.len() {
            match data.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(EntryFailure::Malformed(err)),
            }
        }
        if filled == 0 {
            return Ok(copied);
        }
        file.write_all(&buffer[..filled]).during("writing file")?;
        copied += filled as u64;
        if filled < buffer.len() {
            return Ok(copied);
        }
    }
}

/// Creates directory `name`, or keeps the directory already there (a second entry for a
/// directory only updates its metadata), and sets owner, mode and xattrs; not its times.
pub(crate) fn make_dir(parent: BorrowedFd<'_>, name: &[u8], meta: &Metadata) -> Result<(), Failed> {
    let fresh_dir_mode = Mode::from_raw_mode(0o700);
    match fs::mkdirat(parent, name, fresh_dir_mode) {
        Ok(()) => {}
        Err(Errno::EXIST) => {
            let existing = fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)
                .during("inspecting existing path")?;
            if FileType::from_raw_mode(existing.st_mode) != FileType::Directory {
                resolve::remove_any(parent, name).during("removing existing path")?;
                fs::mkdirat(parent, name, fresh_dir_mode).during("creating directory")?;
            }
        }
        Err(err) => return Err(err).during("creating directory"),
    }
    let dir = resolve::open_child_dir(parent, name).during("opening directory")?;
    meta.apply_to_fd(dir.as_fd())
}

/// Creates a symlink; its target is stored as given and never followed.
pub(crate) fn make_symlink(
    parent: BorrowedFd<'_>,
    name: &[u8],
    target: &[u8],
    meta: &Metadata,
) -> Result<(), Failed> {
    resolve::create_replacing(parent, name, || Ok(fs::symlinkat(target, parent, name)?))
        .during("creating symlink")?;
    meta.apply_to_name(parent, name, true)
}

/// Creates a device node or fifo.
pub(crate) fn make_special(
    parent: BorrowedFd<'_>,
    name: &[u8],
    file_type: FileType,
    device: fs::Dev,
    meta: &Metadata,
) -> Result<(), Failed> {
    resolve::create_replacing(parent, name, || {
        Ok(fs::mknodat(parent, name, file_type, Mode::empty(), device)?)
    })
    .during("creating device node")?;
    meta.apply_to_name(parent, name, false)
}

/// Links `name` to the existing `source_name` in `source_parent` (a symlink there is linked
/// itself, not followed).
pub(crate) fn make_hardlink(
    source_parent: BorrowedFd<'_>,
    source_name: &[u8],
    parent: BorrowedFd<'_>,
    name: &[u8],
) -> Result<(), Failed> {
    resolve::create_replacing(parent, name, || {
        Ok(fs::linkat(
            source_parent,
            source_name,
            parent,
            name,
            AtFlags::empty(),
        )?)
    })
    .during("creating hardlink")
}

/// Creates the overlayfs whiteout hiding `name`.
pub(crate) fn make_whiteout(
    parent: BorrowedFd<'_>,
    name: &[u8],
    meta: &Metadata,
) -> Result<(), Failed> {
    resolve::create_replacing(parent, name, || {
        whiteout::create_overlay_whiteout(parent, name)
    })
    .during("creating whiteout")?;
    // Mode 0 and no xattrs, like the whiteouts overlayfs itself makes; owner and time travel
    // with the `.wh.` entry.
    let whiteout_meta = Metadata {
        mode: 0,
        xattrs: Vec::new(),
        ..meta.clone()
    };
    whiteout_meta.apply_to_name(parent, name, false)
}
