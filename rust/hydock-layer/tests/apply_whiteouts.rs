//! apply_layer turns OCI whiteouts into overlayfs whiteouts.

mod common;

use common::*;
use hydock_layer::apply_layer;

#[test]
fn whiteouts_become_character_devices_and_opaque_markers_xattrs() {
    let mut tar = LayerTar::new();
    tar.dir("etc/", Meta::default())
        .file("etc/.wh.passwd", b"", meta(0o600, 0, 0, MTIME))
        .file(".wh.toplevel", b"", Meta::default())
        .file("data/x", b"x", Meta::default())
        .file("data/.wh.x", b"", Meta::default())
        .file("var/cache/.wh..wh..opq", b"", Meta::default())
        .file("opt/.wh..wh.plnk", b"", Meta::default())
        .dir("srv/", Meta::default())
        .file("srv/.wh..wh..opq", b"", Meta::default());
    let target = tempfile::tempdir().unwrap();
    apply_layer(&tar.finish()[..], target.path(), None).unwrap();
    let tree = snapshot(target.path());

    for whiteout in ["etc/passwd", "toplevel", "data/x"] {
        let node = &tree[whiteout];
        assert_eq!((node.kind, node.rdev), ("char", (0, 0)), "{whiteout}");
    }
    for opaque in ["var/cache", "srv"] {
        assert_eq!(tree[opaque].kind, "dir");
        assert_eq!(
            xattr(&target.path().join(opaque), "trusted.overlay.opaque").as_deref(),
            Some(&b"y"[..]),
            "{opaque}"
        );
    }
    assert!(
        tree.keys().all(|path| !path.contains(".wh.")),
        "no marker file is left: {:?}",
        tree.keys()
    );
}

#[test]
fn whiteout_of_dot_dot_is_rejected() {
    let mut tar = LayerTar::new();
    tar.file("etc/.wh...", b"", Meta::default());
    let target = tempfile::tempdir().unwrap();
    let err = apply_layer(&tar.finish()[..], target.path(), None).unwrap_err();
    assert_eq!(err.step(), "entry");
    assert!(err.to_string().contains("etc/.wh..."), "{err}");
}
