//! apply_layer on real files: entry types, metadata, compression formats, digests, replacement.

mod common;

use common::*;
use hydock_layer::{apply_layer, digest_layer, Compression, LayerError};
use std::path::Path;
use tar::EntryType;

/// A layer with one entry of every type and every kind of metadata a layer carries.
fn every_entry_type() -> Vec<u8> {
    let mut tar = LayerTar::new();
    tar.dir("usr/", meta(0o755, 0, 0, MTIME + 1))
        .dir("usr/bin/", meta(0o755, 0, 0, MTIME + 2))
        .xattrs(&[("security.capability", &net_bind_capability())])
        .file(
            "usr/bin/ping",
            b"#!/bin/ping\n",
            meta(0o4755, 0, 0, MTIME + 3),
        )
        .file("usr/bin/wall", b"wall", meta(0o2755, 0, 5, MTIME + 4))
        .dir("tmp/", meta(0o1777, 0, 0, MTIME + 5))
        .dir("home/user/", meta(0o700, 1000, 1000, MTIME + 6))
        .xattrs(&[("user.note", b"hello"), ("trusted.tag", b"t")])
        .file(
            "home/user/notes.txt",
            b"notes",
            meta(0o640, 1000, 1001, MTIME + 7),
        )
        .symlink(
            "home/user/link",
            "/etc/passwd",
            meta(0o777, 1000, 1000, MTIME + 8),
        )
        .hardlink("usr/bin/ping6", "usr/bin/ping")
        .device(
            "dev/null",
            EntryType::Char,
            1,
            3,
            meta(0o666, 0, 0, MTIME + 9),
        )
        .device(
            "dev/loop7",
            EntryType::Block,
            7,
            7,
            meta(0o660, 0, 6, MTIME + 10),
        )
        .device(
            "run/fifo",
            EntryType::Fifo,
            0,
            0,
            meta(0o620, 2, 3, MTIME + 11),
        )
        .file(
            &format!("deep/{}/file", "d".repeat(150)),
            b"long",
            Meta::default(),
        )
        .symlink(
            "deep/long-link",
            &format!("/target/{}", "t".repeat(120)),
            Meta::default(),
        );
    tar.finish()
}

#[test]
fn every_entry_type_is_created_with_its_metadata() {
    let target = tempfile::tempdir().unwrap();
    apply_layer(&every_entry_type()[..], target.path(), None).unwrap();
    let tree = snapshot(target.path());
    let node = |path: &str| {
        tree.get(path)
            .unwrap_or_else(|| panic!("{path} missing: {:?}", tree.keys()))
    };

    let ping = node("usr/bin/ping");
    assert_eq!(
        (ping.kind, ping.mode, ping.uid, ping.gid),
        ("file", 0o4755, 0, 0)
    );
    assert_eq!(ping.content.as_deref(), Some(&b"#!/bin/ping\n"[..]));
    assert_eq!(ping.mtime, (MTIME as i64 + 3, 0));
    assert_eq!(
        xattr(&target.path().join("usr/bin/ping"), "security.capability"),
        Some(net_bind_capability())
    );
    assert_eq!(
        node("usr/bin/ping6").ino,
        ping.ino,
        "hardlink shares the inode"
    );

    let wall = node("usr/bin/wall");
    assert_eq!((wall.mode, wall.gid), (0o2755, 5));
    assert_eq!(node("tmp").mode, 0o1777);

    let home = node("home/user");
    assert_eq!(
        (home.kind, home.mode, home.uid, home.gid),
        ("dir", 0o700, 1000, 1000)
    );
    assert_eq!(
        home.mtime,
        (MTIME as i64 + 6, 0),
        "set after its children were created"
    );
    assert_eq!(node("usr/bin").mtime, (MTIME as i64 + 2, 0));

    let notes = node("home/user/notes.txt");
    assert_eq!((notes.mode, notes.uid, notes.gid), (0o640, 1000, 1001));
    assert_eq!(
        notes.xattrs,
        vec![
            (b"trusted.tag".to_vec(), b"t".to_vec()),
            (b"user.note".to_vec(), b"hello".to_vec())
        ]
    );

    let link = node("home/user/link");
    assert_eq!((link.kind, link.uid, link.gid), ("symlink", 1000, 1000));
    assert_eq!(link.link.as_deref(), Some(&b"/etc/passwd"[..]));
    assert_eq!(link.mtime, (MTIME as i64 + 8, 0));

    let null = node("dev/null");
    assert_eq!((null.kind, null.rdev, null.mode), ("char", (1, 3), 0o666));
    let loop7 = node("dev/loop7");
    assert_eq!((loop7.kind, loop7.rdev, loop7.gid), ("block", (7, 7), 6));
    let fifo = node("run/fifo");
    assert_eq!(
        (fifo.kind, fifo.mode, fifo.uid, fifo.gid),
        ("fifo", 0o620, 2, 3)
    );
    assert_eq!(fifo.mtime, (MTIME as i64 + 11, 0));

    // Parents that have no entry of their own are created 0755.
    assert_eq!(node("dev").mode, 0o755);
    assert_eq!(
        node(&format!("deep/{}/file", "d".repeat(150)))
            .content
            .as_deref(),
        Some(&b"long"[..])
    );
    assert_eq!(
        node("deep/long-link").link.as_deref(),
        Some(format!("/target/{}", "t".repeat(120)).as_bytes())
    );
}

#[test]
fn plain_gzip_and_zstd_give_the_same_tree_and_diff_id() {
    let tar = every_entry_type();
    let mut trees = Vec::new();
    for (blob, compression) in [
        (tar.clone(), Compression::None),
        (gzip(&tar), Compression::Gzip),
        (zstd(&tar), Compression::Zstd),
    ] {
        let target = tempfile::tempdir().unwrap();
        let stats = apply_layer(&blob[..], target.path(), None).unwrap();
        assert_eq!(stats.compression, compression);
        assert_eq!(stats.digest, sha256(&blob));
        assert_eq!(stats.compressed_size, blob.len() as u64);
        assert_eq!(stats.diff_id, sha256(&tar));
        assert_eq!(stats.size, tar.len() as u64);
        let mut tree = without_inodes(snapshot(target.path()));
        // Parents without an entry of their own carry the time they were created at.
        for implicit in [
            "deep",
            "dev",
            "home",
            "run",
            &format!("deep/{}", "d".repeat(150)),
        ] {
            tree.get_mut(implicit).unwrap().mtime = (0, 0);
        }
        trees.push(tree);
    }
    assert_eq!(trees[0], trees[1]);
    assert_eq!(trees[0], trees[2]);
}

#[test]
fn multi_member_gzip_and_trailing_bytes_are_read_and_hashed() {
    let tar = every_entry_type();
    let (head, tail) = tar.split_at(3000);
    let mut blob = gzip(head);
    blob.extend(gzip(tail));
    let target = tempfile::tempdir().unwrap();
    let mut copy = Vec::new();
    let stats = apply_layer(&blob[..], target.path(), Some(&mut copy)).unwrap();
    assert_eq!(stats.diff_id, sha256(&tar));
    assert_eq!(stats.digest, sha256(&blob));
    assert_eq!(copy, blob, "the tee sees every byte");
    assert!(target.path().join("usr/bin/ping").exists());

    // Zero padding after the end-of-archive marker is part of the uncompressed stream.
    let mut padded = tar.clone();
    padded.extend(vec![0u8; 10 * 512]);
    let target = tempfile::tempdir().unwrap();
    let mut copy = Vec::new();
    let stats = apply_layer(&padded[..], target.path(), Some(&mut copy)).unwrap();
    assert_eq!(stats.digest, sha256(&padded));
    assert_eq!(stats.diff_id, sha256(&padded));
    assert_eq!(stats.size, padded.len() as u64);
    assert_eq!(copy, padded);
}

#[test]
fn digest_layer_reports_what_apply_layer_does_without_writing() {
    let tar = every_entry_type();
    let mut padded = tar.clone();
    padded.extend(vec![0u8; 2 * 512]);
    for blob in [padded.clone(), gzip(&tar), zstd(&tar)] {
        let target = tempfile::tempdir().unwrap();
        let applied = apply_layer(&blob[..], target.path(), None).unwrap();
        assert_eq!(digest_layer(&blob[..]).unwrap(), applied);
    }
    let cut = gzip(&tar);
    assert_eq!(
        digest_layer(&cut[..cut.len() / 2]).unwrap_err().step(),
        "read"
    );
}

#[test]
fn large_files_cross_buffer_boundaries_intact() {
    let big: Vec<u8> = (0..5_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut tar = LayerTar::new();
    tar.file("big.bin", &big, Meta::default())
        .file("after", b"after", Meta::default());
    let tar = tar.finish();
    let blob = zstd(&tar);
    let target = tempfile::tempdir().unwrap();
    let stats = apply_layer(&blob[..], target.path(), None).unwrap();
    assert_eq!(std::fs::read(target.path().join("big.bin")).unwrap(), big);
    assert_eq!(
        std::fs::read(target.path().join("after")).unwrap(),
        b"after"
    );
    assert_eq!(stats.diff_id, sha256(&tar));
}

#[test]
fn later_entries_replace_earlier_ones() {
    let mut tar = LayerTar::new();
    tar.file("a", b"first", Meta::default())
        .file("a", b"second", meta(0o600, 0, 0, MTIME))
        .dir("d/", meta(0o755, 0, 0, MTIME))
        .file("d/keep", b"keep", Meta::default())
        .dir("d/", meta(0o711, 7, 7, MTIME + 50))
        .dir("f/", Meta::default())
        .file("f/child", b"child", Meta::default())
        .file("f", b"now a file", Meta::default())
        .symlink("s", "a", Meta::default())
        .dir("s/", Meta::default())
        .file("x", b"x", Meta::default())
        .symlink("x", "/nowhere", Meta::default());
    let target = tempfile::tempdir().unwrap();
    apply_layer(&tar.finish()[..], target.path(), None).unwrap();
    let tree = snapshot(target.path());
    assert_eq!(tree["a"].content.as_deref(), Some(&b"second"[..]));
    assert_eq!(tree["a"].mode, 0o600);
    let d = &tree["d"];
    assert_eq!(
        (d.mode, d.uid, d.gid, d.mtime.0),
        (0o711, 7, 7, MTIME as i64 + 50)
    );
    assert!(
        tree.contains_key("d/keep"),
        "a dir entry over a dir keeps its children"
    );
    assert_eq!(tree["f"].kind, "file");
    assert!(!tree.contains_key("f/child"));
    assert_eq!(tree["s"].kind, "dir");
    assert_eq!(tree["x"].kind, "symlink");
}

#[test]
fn directories_replaced_mid_stream_receive_later_entries() {
    let mut tar = LayerTar::new();
    tar.file("d/a", b"a", Meta::default())
        .file("d", b"now a file", Meta::default())
        .dir("d/", Meta::default())
        .file("d/b", b"b", Meta::default())
        .file("w/x/f", b"f", Meta::default())
        .file("w/.wh.x", b"", Meta::default())
        .dir("w/x/", Meta::default())
        .file("w/x/g", b"g", Meta::default());
    let target = tempfile::tempdir().unwrap();
    apply_layer(&tar.finish()[..], target.path(), None).unwrap();
    let paths: Vec<String> = snapshot(target.path()).into_keys().collect();
    assert_eq!(paths, ["d", "d/b", "w", "w/x", "w/x/g"]);
}

#[test]
fn a_directory_replaced_through_a_symlink_is_not_written_into() {
    let mut tar = LayerTar::new();
    tar.symlink("lnk", "real", Meta::default())
        .file("real/x/a", b"a", Meta::default())
        .file("real/x/b", b"b", Meta::default())
        .file("lnk/x", b"x is a file now", Meta::default())
        .file("real/x/y", b"y", Meta::default());
    let target = tempfile::tempdir().unwrap();
    let err = apply_layer(&tar.finish()[..], target.path(), None).unwrap_err();
    assert!(
        matches!(&err, LayerError::Entry { entry, action: "opening parent directory", .. } if entry == "real/x/y"),
        "x is looked up afresh, not reused from before it was replaced: {err:?}"
    );
    assert_eq!(
        std::fs::read(target.path().join("real/x")).unwrap(),
        b"x is a file now"
    );
}

#[test]
fn root_entry_updates_the_target_itself() {
    let mut tar = LayerTar::new();
    tar.dir("./", meta(0o750, 3, 4, MTIME))
        .file("./etc/hostname", b"box\n", Meta::default());
    let target = tempfile::tempdir().unwrap();
    apply_layer(&tar.finish()[..], target.path(), None).unwrap();
    let root = node_info(target.path());
    assert_eq!(
        (root.mode, root.uid, root.gid, root.mtime.0),
        (0o750, 3, 4, MTIME as i64)
    );
    assert_eq!(
        std::fs::read(target.path().join("etc/hostname")).unwrap(),
        b"box\n"
    );
}

#[test]
fn pax_times_ids_and_names_are_honoured() {
    let long_name = format!("{}/{}", "p".repeat(120), "q".repeat(120));
    let mut tar = LayerTar::new();
    tar.pax(&[
        ("mtime", b"1700000000.25"),
        ("uid", b"3000000"),
        ("gid", b"3000001"),
        ("path", long_name.as_bytes()),
    ])
    .file("short-name", b"pax", Meta::default());
    let target = tempfile::tempdir().unwrap();
    apply_layer(&tar.finish()[..], target.path(), None).unwrap();
    let info = node_info(&target.path().join(&long_name));
    assert_eq!(info.content.as_deref(), Some(&b"pax"[..]));
    assert_eq!(info.mtime, (1_700_000_000, 250_000_000));
    assert_eq!((info.uid, info.gid), (3_000_000, 3_000_001));
    assert!(!target.path().join("short-name").exists());
}

#[test]
fn overlay_xattrs_in_a_layer_are_not_planted() {
    let mut tar = LayerTar::new();
    tar.xattrs(&[("trusted.overlay.redirect", b"/etc"), ("user.kept", b"1")])
        .dir("d/", Meta::default());
    let target = tempfile::tempdir().unwrap();
    apply_layer(&tar.finish()[..], target.path(), None).unwrap();
    assert_eq!(
        xattrs(&target.path().join("d")),
        vec![(b"user.kept".to_vec(), b"1".to_vec())]
    );
}

#[test]
fn missing_target_is_a_target_error() {
    let tar = LayerTar::new().finish();
    let err = apply_layer(
        &tar[..],
        Path::new("/nonexistent/hydock-layer-target"),
        None,
    )
    .unwrap_err();
    assert_eq!(err.step(), "target");
    assert!(
        err.to_string().contains("/nonexistent/hydock-layer-target"),
        "{err}"
    );
}
