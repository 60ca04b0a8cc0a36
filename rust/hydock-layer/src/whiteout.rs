//! OCI whiteouts (`.wh.NAME` files, `.wh..wh..opq` markers) and their overlayfs forms (a 0/0
//! character device, the `trusted.overlay.opaque=y` xattr), in both directions.

use rustix::fd::BorrowedFd;
use rustix::fs::{self, FileType, Mode, Stat, XattrFlags};
use std::io;

const WHITEOUT_PREFIX: &[u8] = b".wh.";
pub(crate) const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";
const OPAQUE_XATTR: &str = "trusted.overlay.opaque";
const OVERLAY_XATTR_PREFIX: &[u8] = b"trusted.overlay.";

/// What a whiteout-prefixed file name in a layer tar means.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Marker<'a> {
    /// `.wh..wh..opq`: the directory hides everything the layers below have in it.
    Opaque,
    /// `.wh.NAME`: NAME is deleted.
    Whiteout(&'a [u8]),
    /// Any other `.wh..wh.*` name: AUFS bookkeeping, meaningless to overlayfs.
    Ignored,
}

/// Classifies the final name of a tar entry; `None` for an ordinary name.
pub(crate) fn classify(name: &[u8]) -> Option<Marker<'_>> {
    let hidden = name.strip_prefix(WHITEOUT_PREFIX)?;
    Some(if name == OPAQUE_MARKER {
        Marker::Opaque
    } else if hidden.starts_with(WHITEOUT_PREFIX) {
        Marker::Ignored
    } else {
        Marker::Whiteout(hidden)
    })
}

/// The tar name that deletes `name`.
pub(crate) fn whiteout_name(name: &[u8]) -> Vec<u8> {
    [WHITEOUT_PREFIX, name].concat()
}

/// Creates the overlayfs whiteout for `name` in `parent`.
pub(crate) fn create_overlay_whiteout(parent: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    Ok(fs::mknodat(
        parent,
        name,
        FileType::CharacterDevice,
        Mode::empty(),
        fs::makedev(0, 0),
    )?)
}

/// Makes the directory open at `dir` opaque to overlayfs.
pub(crate) fn mark_opaque(dir: BorrowedFd<'_>) -> io::Result<()> {
    Ok(fs::fsetxattr(dir, OPAQUE_XATTR, b"y", XattrFlags::empty())?)
}

/// Whether a node of an upper directory is an overlayfs whiteout.
pub(crate) fn is_overlay_whiteout(stat: &Stat) -> bool {
    FileType::from_raw_mode(stat.st_mode) == FileType::CharacterDevice && stat.st_rdev == 0
}

/// Whether a directory's xattrs make it opaque; only the value `y` does (`x` marks a directory
/// that merely contains xattr whiteouts).
pub(crate) fn is_opaque(xattrs: &[(Vec<u8>, Vec<u8>)]) -> bool {
    xattrs
        .iter()
        .any(|(name, value)| name == OPAQUE_XATTR.as_bytes() && value == b"y")
}

/// Overlayfs keeps its own state in `trusted.overlay.*`; it never travels in a layer, and a
/// layer must not be able to plant it (a forged redirect could expose other directories).
pub(crate) fn is_overlay_xattr(name: &[u8]) -> bool {
    name.starts_with(OVERLAY_XATTR_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_classified() {
        assert_eq!(classify(b"passwd"), None);
        assert_eq!(classify(b".wh.passwd"), Some(Marker::Whiteout(b"passwd")));
        assert_eq!(classify(b".wh..wh..opq"), Some(Marker::Opaque));
        assert_eq!(classify(b".wh..wh.plnk"), Some(Marker::Ignored));
        assert_eq!(classify(b".whatever"), None);
        assert_eq!(whiteout_name(b"passwd"), b".wh.passwd");
    }
}
