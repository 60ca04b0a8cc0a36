//! Where the filesystem puts the inodes of new layers.

use std::fs::File;
use std::io;
use std::path::Path;

use rustix::fs::{ioctl_getflags, ioctl_setflags, IFlags};
use rustix::io::Errno;

/// Marks `dir` as the top of unrelated trees (`FS_TOPDIR_FL`), so that ext4's Orlov allocator
/// spreads each new subdirectory (a layer) over the block groups rather than packing it beside
/// its siblings, where the inodes of just-removed layers lie free. On an ext4 without a journal
/// every inode allocation steps over the inodes freed in the last minutes one by one
/// (`recently_deleted`), so without this a pull after an rmi slowed down with each cycle.
/// Filesystems that have no inode flags are left as they are.
pub fn spread_subdirectories(dir: &Path) -> io::Result<()> {
    let file = File::open(dir)?;
    let flags = match ioctl_getflags(&file) {
        Ok(flags) => flags,
        Err(Errno::NOTTY | Errno::OPNOTSUPP | Errno::INVAL | Errno::NOSYS) => return Ok(()),
        Err(err) => return Err(err.into()),
    };
    if flags.contains(IFlags::TOPDIR) {
        return Ok(());
    }
    match ioctl_setflags(&file, flags | IFlags::TOPDIR) {
        Ok(()) | Err(Errno::NOTTY | Errno::OPNOTSUPP | Errno::INVAL | Errno::NOSYS) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_a_directory_once_and_keeps_its_other_flags() {
        let dir = tempfile::tempdir().unwrap();
        spread_subdirectories(dir.path()).unwrap();
        spread_subdirectories(dir.path()).unwrap();
        let file = File::open(dir.path()).unwrap();
        match ioctl_getflags(&file) {
            Ok(flags) => assert!(flags.contains(IFlags::TOPDIR), "{flags:?}"),
            // tmpfs and others have no inode flags: nothing to check there.
            Err(Errno::NOTTY | Errno::OPNOTSUPP | Errno::INVAL) => {}
            Err(err) => panic!("{err}"),
        }
    }
}
