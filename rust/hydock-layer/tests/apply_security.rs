//! apply_layer refuses entries that would land outside the target and rejects damaged input.

mod common;

use common::*;
use hydock_layer::{apply_layer, LayerError};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use tar::EntryType;

/// A scratch area with the target directory and, beside it, an `outside` directory holding a
/// sentinel file that no layer may touch.
struct Arena {
    base: tempfile::TempDir,
}

impl Arena {
    fn new() -> Self {
        let base = tempfile::tempdir().unwrap();
        std::fs::create_dir(base.path().join("target")).unwrap();
        std::fs::create_dir(base.path().join("outside")).unwrap();
        std::fs::write(base.path().join("outside/sentinel"), b"untouched").unwrap();
        Arena { base }
    }

    fn target(&self) -> PathBuf {
        self.base.path().join("target")
    }

    fn outside(&self) -> PathBuf {
        self.base.path().join("outside")
    }

    fn outside_str(&self) -> String {
        self.outside().to_str().unwrap().to_owned()
    }

    /// Applies `tar`, expects an escape error naming `entry`, and checks that nothing outside
    /// the target changed.
    fn assert_refused(&self, tar: Vec<u8>, entry: &str) {
        let before = snapshot(self.base.path());
        let outside_before = snapshot(&self.outside());
        let err = apply_layer(&tar[..], &self.target(), None).unwrap_err();
        assert_eq!(err.step(), "escape", "{err}");
        assert!(
            matches!(&err, LayerError::Escape { entry: e, .. } if e == entry),
            "{err:?}"
        );
        assert!(err.to_string().contains(entry), "{err}");
        assert_eq!(snapshot(&self.outside()), outside_before);
        let names: Vec<String> = before
            .keys()
            .filter(|k| !k.contains('/'))
            .cloned()
            .collect();
        assert_eq!(
            names,
            ["outside", "target"],
            "nothing new beside the target"
        );
        let now: Vec<String> = snapshot(self.base.path())
            .keys()
            .filter(|k| !k.contains('/'))
            .cloned()
            .collect();
        assert_eq!(now, names);
        assert_eq!(
            std::fs::read(self.outside().join("sentinel")).unwrap(),
            b"untouched"
        );
    }
}

#[test]
fn dot_dot_names_are_refused() {
    let arena = Arena::new();
    let mut tar = LayerTar::new();
    tar.raw(b"../x", EntryType::Regular, b"", b"evil");
    arena.assert_refused(tar.finish(), "../x");

    let mut tar = LayerTar::new();
    tar.raw(
        b"a/../../outside/sentinel",
        EntryType::Regular,
        b"",
        b"evil",
    );
    arena.assert_refused(tar.finish(), "a/../../outside/sentinel");
}

#[test]
fn absolute_names_are_refused() {
    let arena = Arena::new();
    let name = format!("{}/abs", arena.outside_str());
    let mut tar = LayerTar::new();
    tar.raw(name.as_bytes(), EntryType::Regular, b"", b"evil");
    arena.assert_refused(tar.finish(), &name);
    assert!(!arena.outside().join("abs").exists());
}

#[test]
fn paths_through_symlinks_leading_outside_are_refused() {
    let arena = Arena::new();
    let mut tar = LayerTar::new();
    tar.symlink("link", &arena.outside_str(), Meta::default())
        .file("link/file", b"evil", Meta::default());
    arena.assert_refused(tar.finish(), "link/file");
    assert!(!arena.outside().join("file").exists());

    let arena = Arena::new();
    let mut tar = LayerTar::new();
    tar.symlink("up", "../outside", Meta::default())
        .file("up/sentinel", b"evil", Meta::default());
    arena.assert_refused(tar.finish(), "up/sentinel");

    let arena = Arena::new();
    let mut tar = LayerTar::new();
    tar.symlink("link", &arena.outside_str(), Meta::default())
        .dir("link/newdir/", Meta::default());
    arena.assert_refused(tar.finish(), "link/newdir/");
}

#[test]
fn whiteouts_and_opaque_markers_through_symlinks_are_refused() {
    let arena = Arena::new();
    let mut tar = LayerTar::new();
    tar.symlink("link", &arena.outside_str(), Meta::default())
        .file("link/.wh.sentinel", b"", Meta::default());
    arena.assert_refused(tar.finish(), "link/.wh.sentinel");

    let arena = Arena::new();
    let mut tar = LayerTar::new();
    tar.symlink("link", &arena.outside_str(), Meta::default())
        .file("link/.wh..wh..opq", b"", Meta::default());
    arena.assert_refused(tar.finish(), "link/.wh..wh..opq");
    assert_eq!(xattr(&arena.outside(), "trusted.overlay.opaque"), None);
}

#[test]
fn hardlinks_to_outside_are_refused() {
    let passwd_links = std::fs::metadata("/etc/passwd").unwrap().nlink();
    let arena = Arena::new();
    let mut tar = LayerTar::new();
    tar.hardlink("passwd", "../../etc/passwd");
    arena.assert_refused(tar.finish(), "passwd");
    assert_eq!(
        std::fs::metadata("/etc/passwd").unwrap().nlink(),
        passwd_links
    );

    let arena = Arena::new();
    let mut tar = LayerTar::new();
    tar.hardlink("passwd", "/etc/passwd");
    arena.assert_refused(tar.finish(), "passwd");

    let arena = Arena::new();
    let mut tar = LayerTar::new();
    tar.symlink("link", &arena.outside_str(), Meta::default())
        .hardlink("stolen", "link/sentinel");
    arena.assert_refused(tar.finish(), "stolen");
    assert_eq!(
        std::fs::metadata(arena.outside().join("sentinel"))
            .unwrap()
            .nlink(),
        1
    );
}

#[test]
fn symlinks_that_stay_inside_are_followed_for_parents() {
    let arena = Arena::new();
    let mut tar = LayerTar::new();
    tar.dir("usr/lib/", Meta::default())
        .symlink("lib", "usr/lib", Meta::default())
        .symlink("abs", "/usr/lib", Meta::default())
        .file("lib/libc.so", b"elf", Meta::default());
    apply_layer(&tar.finish()[..], &arena.target(), None).unwrap();
    assert_eq!(
        std::fs::read(arena.target().join("usr/lib/libc.so")).unwrap(),
        b"elf"
    );
    assert_eq!(
        std::fs::read_link(arena.target().join("abs")).unwrap(),
        Path::new("/usr/lib")
    );
}

/// A layer large enough that damage lands inside file data, not only in headers.
fn sample_tar() -> Vec<u8> {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 253) as u8).collect();
    let mut tar = LayerTar::new();
    tar.dir("data/", Meta::default())
        .file("data/one", &data, Meta::default())
        .file("data/two", &data[..5000], Meta::default());
    tar.finish()
}

fn apply_err(blob: &[u8]) -> LayerError {
    let target = tempfile::tempdir().unwrap();
    apply_layer(blob, target.path(), None).unwrap_err()
}

#[test]
fn truncated_or_corrupt_compressed_input_is_an_error() {
    let tar = sample_tar();
    let gz = gzip(&tar);
    assert_eq!(apply_err(&gz[..gz.len() / 2]).step(), "read");
    assert_eq!(
        apply_err(&gz[..gz.len() - 4]).step(),
        "read",
        "missing gzip footer"
    );
    let mut corrupt = gz.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0xff;
    corrupt[middle + 1] ^= 0x55;
    assert_eq!(apply_err(&corrupt).step(), "read");

    let zst = zstd(&tar);
    assert_eq!(apply_err(&zst[..zst.len() / 2]).step(), "read");
}

#[test]
fn truncated_tar_is_an_error() {
    let tar = sample_tar();
    let err = apply_err(&tar[..100_000]);
    assert_eq!(err.step(), "tar", "{err}");
    assert!(err.to_string().contains("data/one"), "{err}");

    // Cut exactly after the last entry: no end-of-archive marker.
    let without_marker = &tar[..tar.len() - 1024];
    let cut = without_marker.len() - without_marker.iter().rev().take_while(|b| **b == 0).count();
    let cut = cut.div_ceil(512) * 512;
    assert_eq!(apply_err(&tar[..cut]).step(), "tar");
    assert_eq!(apply_err(&gzip(&tar[..cut])).step(), "tar");
    assert_eq!(apply_err(b"").step(), "tar");

    let mut bad_header = tar.clone();
    bad_header[520] ^= 0x01;
    assert_eq!(apply_err(&bad_header).step(), "tar");
}

struct FailingWriter;

impl Write for FailingWriter {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("disk full"))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn tee_failure_is_reported_as_such() {
    let blob = gzip(&sample_tar());
    let target = tempfile::tempdir().unwrap();
    let err = apply_layer(&blob[..], target.path(), Some(&mut FailingWriter)).unwrap_err();
    assert_eq!(err.step(), "tee");
    assert!(err.to_string().contains("disk full"), "{err}");
}
