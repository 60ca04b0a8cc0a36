//! Overlay mounts on the host: merged views, long lower lists, read-only stacks, unmount.

use std::path::{Path, PathBuf};

use hydock_runtime::overlay::{mount_overlay, unmount};

use crate::support::host_mount_points;

/// Unmounts on drop, so a failing assertion leaves no mount behind.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        if host_mount_points().contains(&format!(" {} ", self.0.display())) {
            unmount(&self.0).expect("unmount overlay in cleanup");
        }
    }
}

fn is_mounted(target: &Path) -> bool {
    host_mount_points().contains(&format!(" {} ", target.display()))
}

fn dirs(base: &Path, names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|name| {
            let dir = base.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            dir
        })
        .collect()
}

#[test]
fn two_lowers_and_an_upper_merge_with_the_top_layer_winning() {
    let tmp = tempfile::tempdir().unwrap();
    let [top, bottom, upper, work, merged] =
        dirs(tmp.path(), &["top", "bottom", "upper", "work", "merged"])
            .try_into()
            .unwrap();
    std::fs::write(bottom.join("shared"), "bottom").unwrap();
    std::fs::write(bottom.join("only-bottom"), "b").unwrap();
    std::fs::write(top.join("shared"), "top").unwrap();

    mount_overlay(&[top.clone(), bottom.clone()], &upper, &work, &merged).expect("mount overlay");
    let guard = Mounted(merged.clone());
    assert_eq!(
        std::fs::read_to_string(merged.join("shared")).unwrap(),
        "top"
    );
    assert_eq!(
        std::fs::read_to_string(merged.join("only-bottom")).unwrap(),
        "b"
    );
    std::fs::write(merged.join("new"), "written").unwrap();
    assert_eq!(
        std::fs::read_to_string(upper.join("new")).unwrap(),
        "written"
    );
    assert!(!top.join("new").exists() && !bottom.join("new").exists());

    unmount(&merged).expect("unmount");
    assert!(!is_mounted(&merged));
    drop(guard);
}

#[test]
fn lower_lists_longer_than_a_page_still_mount() {
    let tmp = tempfile::tempdir().unwrap();
    let layers: Vec<PathBuf> = (0..150)
        .map(|i| {
            let dir = tmp
                .path()
                .join(format!(
                    "layers/sha256-{i:03}-{}",
                    "0123456789abcdef".repeat(3)
                ))
                .join("diff");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("layer-{i:03}")), i.to_string()).unwrap();
            dir
        })
        .collect();
    let total: usize = layers.iter().map(|l| l.as_os_str().len() + 1).sum();
    assert!(total > 4096, "lower list is only {total} bytes");
    let [upper, work, merged] = dirs(tmp.path(), &["upper", "work", "merged"])
        .try_into()
        .unwrap();
    // Top-most first: the last layer is the lowest.
    std::fs::write(layers[149].join("layer-000"), "shadowed").unwrap();

    mount_overlay(&layers, &upper, &work, &merged).expect("mount 150 lowers");
    let _guard = Mounted(merged.clone());
    assert_eq!(
        std::fs::read_to_string(merged.join("layer-149")).unwrap(),
        "149"
    );
    assert_eq!(
        std::fs::read_to_string(merged.join("layer-000")).unwrap(),
        "0"
    );
    assert_eq!(std::fs::read_dir(&merged).unwrap().count(), 150);
}

#[test]
fn a_single_lower_without_upper_is_read_only() {
    let tmp = tempfile::tempdir().unwrap();
    let [lower, merged] = dirs(tmp.path(), &["lower", "merged"]).try_into().unwrap();
    std::fs::write(lower.join("file"), "content").unwrap();

    mount_overlay(&[lower], Path::new(""), Path::new(""), &merged).expect("read-only overlay");
    let _guard = Mounted(merged.clone());
    assert_eq!(
        std::fs::read_to_string(merged.join("file")).unwrap(),
        "content"
    );
    let err = std::fs::write(merged.join("other"), "x").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EROFS));
}

#[test]
fn errors_name_the_target_and_the_step() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing-lower");
    let target = tmp.path().join("target");
    let err = mount_overlay(
        &[missing.clone(), missing],
        Path::new(""),
        Path::new(""),
        &target,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("overlay on {}: mount: ", target.display())),
        "{text}"
    );
    let err = unmount(&target).unwrap_err().to_string();
    assert!(err.contains(&target.display().to_string()), "{err}");
}

#[test]
fn a_busy_overlay_is_detached_after_retries() {
    let tmp = tempfile::tempdir().unwrap();
    let [a, b, merged] = dirs(tmp.path(), &["a", "b", "merged"]).try_into().unwrap();
    std::fs::write(a.join("file"), "held open").unwrap();
    mount_overlay(&[a, b], Path::new(""), Path::new(""), &merged).expect("mount overlay");
    let _guard = Mounted(merged.clone());
    let held = std::fs::File::open(merged.join("file")).unwrap();
    unmount(&merged).expect("busy unmount falls back to a lazy detach");
    assert!(!is_mounted(&merged));
    drop(held);
}
