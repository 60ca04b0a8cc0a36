//! A real overlayfs mount: changes made through it are captured by diff_layer from the upper
//! dir, and applying that diff gives whiteouts that hide the lower layer again.

mod common;

use common::*;
use hydock_layer::{apply_layer, diff_layer, Compression, DiffOptions};
use rustix::mount::{mount, unmount, MountFlags, UnmountFlags};
use std::path::{Path, PathBuf};
use tar::EntryType;

/// Unmounts on drop, so a failing test leaves no mount behind.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        // Lazy, so that a still-open file in a failing test cannot keep it mounted.
        let _ = unmount(&self.0, UnmountFlags::DETACH);
    }
}

fn mount_overlay(options: &str, merged: &Path) -> Mounted {
    std::fs::create_dir_all(merged).unwrap();
    let data = std::ffi::CString::new(options).unwrap();
    mount(
        "overlay",
        merged,
        "overlay",
        MountFlags::empty(),
        data.as_c_str(),
    )
    .unwrap();
    Mounted(merged.to_path_buf())
}

fn base_layer() -> Vec<u8> {
    let mut tar = LayerTar::new();
    tar.dir("etc/", Meta::default())
        .file(
            "etc/passwd",
            b"root:x:0:0::/root:/bin/sh\n",
            Meta::default(),
        )
        .file("etc/hosts", b"127.0.0.1 localhost\n", Meta::default())
        .file("etc/group", b"root:x:0:\n", Meta::default())
        .dir("data/", meta(0o750, 0, 0, MTIME))
        .file("data/a", b"a", Meta::default())
        .file("data/sub/b", b"b", Meta::default())
        .file("keep/x", b"x", Meta::default());
    gzip(&tar.finish())
}

#[test]
fn overlay_changes_diff_to_whiteouts_and_apply_back() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = |name: &str| scratch.path().join(name);
    for name in ["lower", "upper", "work", "layer2"] {
        std::fs::create_dir(dir(name)).unwrap();
    }
    apply_layer(&base_layer()[..], &dir("lower"), None).unwrap();

    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        dir("lower").display(),
        dir("upper").display(),
        dir("work").display()
    );
    let merged = dir("merged");
    let mounted = mount_overlay(&options, &merged);
    std::fs::remove_file(merged.join("etc/hosts")).unwrap();
    std::fs::remove_file(merged.join("etc/group")).unwrap();
    std::fs::remove_dir_all(merged.join("data")).unwrap();
    std::fs::create_dir(merged.join("data")).unwrap();
    std::fs::write(merged.join("data/new"), b"new").unwrap();
    std::fs::write(merged.join("etc/new.conf"), b"conf").unwrap();
    drop(mounted);

    let upper_hosts = node_info(&dir("upper").join("etc/hosts"));
    assert_eq!(
        (upper_hosts.kind, upper_hosts.rdev),
        ("char", (0, 0)),
        "overlayfs whiteout"
    );
    assert_eq!(
        xattr(&dir("upper").join("data"), "trusted.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );

    let mut blob = Vec::new();
    let options = DiffOptions {
        compression: Compression::Gzip,
        mtime: None,
    };
    let stats = diff_layer(&dir("upper"), &mut blob, &options).unwrap();
    let tar = gunzip(&blob);
    assert_eq!(stats.diff_id, sha256(&tar));
    let entries = list_tar(&tar);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "data/",
            "data/.wh..wh..opq",
            "data/new",
            "etc/",
            "etc/.wh.group",
            "etc/.wh.hosts",
            "etc/new.conf"
        ]
    );
    for marker in ["data/.wh..wh..opq", "etc/.wh.group", "etc/.wh.hosts"] {
        let entry = TarEntry::named(&entries, marker);
        assert_eq!(
            (entry.kind, entry.data.len()),
            (EntryType::Regular, 0),
            "{marker}"
        );
    }
    assert!(entries.iter().all(|e| e
        .xattrs
        .iter()
        .all(|(name, _)| !name.starts_with("trusted.overlay."))));

    apply_layer(&blob[..], &dir("layer2"), None).unwrap();
    let applied = snapshot(&dir("layer2"));
    for whiteout in ["etc/hosts", "etc/group"] {
        assert_eq!(
            (applied[whiteout].kind, applied[whiteout].rdev),
            ("char", (0, 0)),
            "{whiteout}"
        );
    }
    assert_eq!(
        xattr(&dir("layer2").join("data"), "trusted.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
    assert_eq!(applied["data/new"].content.as_deref(), Some(&b"new"[..]));

    // Stack the applied diff over the base layer: the whiteouts hide what was deleted.
    let stacked = dir("stacked");
    let options = format!(
        "lowerdir={}:{}",
        dir("layer2").display(),
        dir("lower").display()
    );
    let _mounted = mount_overlay(&options, &stacked);
    let view = snapshot(&stacked);
    let paths: Vec<&str> = view.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "data",
            "data/new",
            "etc",
            "etc/new.conf",
            "etc/passwd",
            "keep",
            "keep/x"
        ]
    );
}
