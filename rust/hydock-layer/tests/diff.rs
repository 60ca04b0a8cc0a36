//! diff_layer on a directory laid out like an overlayfs upper dir: order, names, metadata,
//! whiteout conversion, hardlinks, compression, reproducibility, and the round trip through
//! apply_layer.

mod common;

use common::*;
use hydock_layer::{apply_layer, diff_layer, Compression, DiffOptions};
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, Timespec, Timestamps, XattrFlags};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use tar::EntryType;

const BIG_UID: u32 = 3_000_000;

fn long_name() -> String {
    format!("long/{}/{}", "p".repeat(90), "q".repeat(90))
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) {
    rfs::lsetxattr(path, name, value, XattrFlags::empty()).unwrap();
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Builds an upper directory with every kind of node, two whiteouts sharing one inode (as
/// overlayfs makes them), an opaque directory, hardlinks, xattrs and a socket.
fn make_upper(root: &Path) {
    let p = |rel: &str| root.join(rel);
    std::fs::create_dir_all(p("a")).unwrap();
    std::fs::write(p("a.txt"), b"a.txt").unwrap();
    std::fs::write(p("a/b"), b"bbb").unwrap();
    set_xattr(&p("a/b"), "user.x", b"x-value");
    std::fs::create_dir(p("z")).unwrap();
    symlink("../a.txt", p("z/link")).unwrap();
    std::fs::write(p("h1"), b"shared").unwrap();
    std::fs::hard_link(p("h1"), p("h2")).unwrap();
    std::fs::create_dir(p("dev")).unwrap();
    rfs::mknodat(
        rfs::CWD,
        p("dev/null"),
        FileType::CharacterDevice,
        Mode::from_raw_mode(0o666),
        rfs::makedev(1, 3),
    )
    .unwrap();
    rfs::mknodat(
        rfs::CWD,
        p("fifo"),
        FileType::Fifo,
        Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    rfs::mknodat(
        rfs::CWD,
        p("gone"),
        FileType::CharacterDevice,
        Mode::empty(),
        rfs::makedev(0, 0),
    )
    .unwrap();
    std::fs::hard_link(p("gone"), p("a/gone2")).unwrap();
    std::fs::create_dir(p("opq")).unwrap();
    std::fs::write(p("opq/inner"), b"inner").unwrap();
    set_xattr(&p("opq"), "trusted.overlay.opaque", b"y");
    set_xattr(&p("opq"), "trusted.overlay.origin", b"\x00\xfb junk");
    set_xattr(&p("opq"), "user.dir", b"d");
    std::fs::create_dir_all(p(&long_name()).parent().unwrap()).unwrap();
    std::fs::write(p(&long_name()), b"long").unwrap();
    std::fs::write(p("owned"), b"owned").unwrap();
    std::os::unix::fs::lchown(p("owned"), Some(BIG_UID), Some(1001)).unwrap();
    set_mode(&p("owned"), 0o4750);
    set_xattr(&p("owned"), "security.capability", &net_bind_capability());
    std::os::unix::net::UnixListener::bind(p("socket")).unwrap();
    set_whole_second_times(root);
}

/// Sets every node's times to whole seconds (tar headers carry seconds), distinct per node.
fn set_whole_second_times(root: &Path) {
    for (i, path) in snapshot(root).keys().enumerate() {
        let t = Timespec {
            tv_sec: 1_650_000_000 + i as i64,
            tv_nsec: 0,
        };
        let times = Timestamps {
            last_access: t,
            last_modification: t,
        };
        rfs::utimensat(rfs::CWD, root.join(path), &times, AtFlags::SYMLINK_NOFOLLOW).unwrap();
    }
}

fn diff(
    upper: &Path,
    compression: Compression,
    mtime: Option<i64>,
) -> (Vec<u8>, hydock_layer::DiffStats) {
    let mut out = Vec::new();
    let stats = diff_layer(upper, &mut out, &DiffOptions { compression, mtime }).unwrap();
    (out, stats)
}

#[test]
fn entries_are_sorted_converted_and_carry_metadata() {
    let upper = tempfile::tempdir().unwrap();
    make_upper(upper.path());
    let (tar, stats) = diff(upper.path(), Compression::None, None);
    assert_eq!(stats.digest, sha256(&tar));
    assert_eq!(stats.diff_id, stats.digest);
    assert_eq!(
        (stats.size, stats.compressed_size),
        (tar.len() as u64, tar.len() as u64)
    );

    let entries = list_tar(&tar);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let long = long_name();
    let expected = [
        ".wh.gone",
        "a/",
        "a.txt",
        "a/.wh.gone2",
        "a/b",
        "dev/",
        "dev/null",
        "fifo",
        "h1",
        "h2",
        "long/",
        &format!("long/{}/", "p".repeat(90)),
        &long,
        "opq/",
        "opq/.wh..wh..opq",
        "opq/inner",
        "owned",
        "z/",
        "z/link",
    ];
    assert_eq!(names, expected);

    for entry in &entries {
        assert!(
            entry.header.username_bytes().is_none_or(|u| u.is_empty()),
            "{}",
            entry.name
        );
        assert!(
            entry.header.groupname_bytes().is_none_or(|g| g.is_empty()),
            "{}",
            entry.name
        );
        let overlay_xattrs = entry
            .xattrs
            .iter()
            .filter(|(n, _)| n.starts_with("trusted.overlay."));
        assert_eq!(overlay_xattrs.count(), 0, "{}", entry.name);
    }
    for whiteout in [".wh.gone", "a/.wh.gone2", "opq/.wh..wh..opq"] {
        let entry = TarEntry::named(&entries, whiteout);
        assert_eq!(
            (entry.kind, entry.data.len()),
            (EntryType::Regular, 0),
            "{whiteout}"
        );
    }
    assert_eq!(
        TarEntry::named(&entries, ".wh.gone").header.mode().unwrap(),
        0o600
    );

    let h2 = TarEntry::named(&entries, "h2");
    assert_eq!((h2.kind, h2.link.as_deref()), (EntryType::Link, Some("h1")));
    assert_eq!(TarEntry::named(&entries, "h1").data, b"shared");

    let b = TarEntry::named(&entries, "a/b");
    assert_eq!(b.xattrs, vec![("user.x".to_owned(), b"x-value".to_vec())]);
    let opq = TarEntry::named(&entries, "opq/");
    assert_eq!(
        (opq.kind, opq.xattrs.clone()),
        (
            EntryType::Directory,
            vec![("user.dir".to_owned(), b"d".to_vec())]
        )
    );

    let null = TarEntry::named(&entries, "dev/null");
    assert_eq!(null.kind, EntryType::Char);
    assert_eq!(
        (
            null.header.device_major().unwrap(),
            null.header.device_minor().unwrap()
        ),
        (Some(1), Some(3))
    );
    assert_eq!(TarEntry::named(&entries, "fifo").kind, EntryType::Fifo);
    let link = TarEntry::named(&entries, "z/link");
    assert_eq!(
        (link.kind, link.link.as_deref()),
        (EntryType::Symlink, Some("../a.txt"))
    );
    assert_eq!(TarEntry::named(&entries, &long).data, b"long");

    let owned = TarEntry::named(&entries, "owned");
    assert_eq!(
        owned.header.uid().unwrap(),
        u64::from(BIG_UID),
        "carried by a PAX uid record"
    );
    assert_eq!(owned.header.gid().unwrap(), 1001);
    assert_eq!(owned.header.mode().unwrap(), 0o4750);
    assert_eq!(
        owned.xattrs,
        vec![("security.capability".to_owned(), net_bind_capability())]
    );
}

#[test]
fn compressed_diffs_hash_written_bytes_and_share_the_diff_id() {
    let upper = tempfile::tempdir().unwrap();
    make_upper(upper.path());
    let (plain, plain_stats) = diff(upper.path(), Compression::None, None);
    let (gz, gz_stats) = diff(upper.path(), Compression::Gzip, None);
    let (zst, zst_stats) = diff(upper.path(), Compression::Zstd, None);
    assert_eq!(gz_stats.digest, sha256(&gz));
    assert_eq!(gz_stats.compressed_size, gz.len() as u64);
    assert_eq!(gunzip(&gz), plain);
    assert_eq!(zst_stats.digest, sha256(&zst));
    assert_eq!(zstd::decode_all(&zst[..]).unwrap(), plain);
    for stats in [&gz_stats, &zst_stats] {
        assert_eq!(stats.diff_id, plain_stats.diff_id);
        assert_eq!(stats.size, plain.len() as u64);
    }
}

#[test]
fn clamped_diffs_are_byte_identical() {
    let upper = tempfile::tempdir().unwrap();
    make_upper(upper.path());
    let limit = 1_650_000_005;
    let (first, first_stats) = diff(upper.path(), Compression::Gzip, Some(limit));
    // Move every time that is past the limit further on, then diff again: the same bytes.
    for (path, node) in snapshot(upper.path()) {
        if node.mtime.0 <= limit {
            continue;
        }
        let now = Timestamps {
            last_access: Timespec {
                tv_sec: 1_700_000_000,
                tv_nsec: 123,
            },
            last_modification: Timespec {
                tv_sec: 1_700_000_000,
                tv_nsec: 456,
            },
        };
        rfs::utimensat(
            rfs::CWD,
            upper.path().join(&path),
            &now,
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .unwrap();
    }
    let (second, second_stats) = diff(upper.path(), Compression::Gzip, Some(limit));
    assert_eq!(first, second);
    assert_eq!(first_stats, second_stats);
    let entries = list_tar(&gunzip(&first));
    assert!(entries
        .iter()
        .all(|e| e.header.mtime().unwrap() <= limit as u64));
    assert!(
        entries
            .iter()
            .any(|e| e.header.mtime().unwrap() < limit as u64),
        "earlier times are kept"
    );
}

#[test]
fn diff_then_apply_reproduces_the_tree() {
    let upper = tempfile::tempdir().unwrap();
    make_upper(upper.path());
    let (blob, stats) = diff(upper.path(), Compression::Zstd, None);
    let applied = tempfile::tempdir().unwrap();
    let applied_stats = apply_layer(&blob[..], applied.path(), None).unwrap();
    assert_eq!(
        (applied_stats.digest, applied_stats.diff_id),
        (stats.digest, stats.diff_id)
    );

    let mut expected = snapshot(upper.path());
    expected.remove("socket");
    expected
        .get_mut("opq")
        .unwrap()
        .xattrs
        .retain(|(name, _)| name != b"trusted.overlay.origin");
    let actual = snapshot(applied.path());
    let comparable = without_inodes(actual.clone());
    for (path, node) in without_inodes(expected.clone()) {
        assert_eq!(comparable.get(&path), Some(&node), "{path}");
    }
    assert_eq!(comparable.len(), expected.len());
    assert_eq!(actual["h1"].ino, actual["h2"].ino, "hardlink restored");
    assert_eq!((actual["gone"].kind, actual["gone"].rdev), ("char", (0, 0)));
}
