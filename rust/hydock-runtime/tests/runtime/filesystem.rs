//! The container's filesystem: rootfs, bind mounts, /dev, read-only root; nothing leaks to the host.

use std::path::Path;

use serde_json::json;

use crate::support::{docker_spec, host_mount_points, run_sh, try_start, Bundle};

#[test]
fn dev_has_the_spec_devices_and_standard_links() {
    let script = "stat -c '%A %t,%T' /dev/null /dev/tty; echo x > /dev/null && echo null-ok; \
                  for link in fd stdout ptmx; do readlink /dev/$link; done; test -d /dev/pts && test -d /dev/shm && echo dirs-ok";
    let out = run_sh(script, |_| {});
    assert_eq!(
        out.stdout,
        "crw-rw-rw- 1,3\ncrw-rw-rw- 5,0\nnull-ok\n/proc/self/fd\n/proc/self/fd/1\npts/ptmx\ndirs-ok\n",
        "{}",
        out.stderr
    );
}

#[test]
fn devices_left_out_of_the_spec_are_still_created() {
    let out = run_sh("stat -c %t,%T /dev/zero /dev/urandom", |spec| {
        spec["linux"]["devices"] = json!([])
    });
    assert_eq!(out.stdout, "1,5\n1,9\n", "{}", out.stderr);
}

#[test]
fn bind_mounts_of_dirs_and_files_honour_ro() {
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("data.txt"), "shared\n").unwrap();
    let file = host.path().join("single.conf");
    std::fs::write(&file, "conf\n").unwrap();
    let script = "cat /data/data.txt /etc/single.conf; touch /data/new && echo WROTE-RO; \
                  echo more >> /rw/data.txt && echo wrote-rw";
    let out = run_sh(script, |spec| {
        let mounts = spec["mounts"].as_array_mut().unwrap();
        let dir = host.path().display().to_string();
        mounts.push(json!({"destination": "/data", "type": "bind", "source": dir, "options": ["rbind", "ro", "rprivate"]}));
        mounts.push(json!({"destination": "/rw", "type": "bind", "source": dir, "options": ["rbind", "rprivate"]}));
        mounts.push(
            json!({"destination": "/etc/single.conf", "source": file, "options": ["bind", "ro"]}),
        );
    });
    assert_eq!(out.stdout, "shared\nconf\nwrote-rw\n", "{}", out.stderr);
    assert!(
        out.stderr.contains("Read-only file system"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(host.path().join("data.txt")).unwrap(),
        "shared\nmore\n"
    );
}

#[test]
fn mount_targets_follow_symlinks_only_inside_the_rootfs() {
    let bundle = Bundle::new();
    let outside = tempfile::tempdir().unwrap();
    let escape = format!("../../../../../../../..{}", outside.path().display());
    std::os::unix::fs::symlink(&escape, bundle.rootfs().join("escape")).unwrap();
    let mut spec = docker_spec(&["sh", "-c", "test -d /escape/sub && echo inside"]);
    spec["mounts"]
        .as_array_mut()
        .unwrap()
        .push(json!({"destination": "/escape/sub", "type": "tmpfs", "source": "tmpfs"}));
    let out = try_start(&bundle, &spec, false, None)
        .expect("spawn")
        .wait();
    assert_eq!(out.stdout, "inside\n", "{}", out.stderr);
    assert!(
        !outside.path().join("sub").exists(),
        "a mount point was created outside the rootfs"
    );
    assert!(bundle
        .rootfs()
        .join(outside.path().strip_prefix("/").unwrap())
        .join("sub")
        .is_dir());
}

#[test]
fn readonly_root_keeps_its_tmpfs_mounts_writable() {
    let out = run_sh(
        "touch /root-file && echo WROTE; touch /dev/shm/ok && echo shm-ok",
        |spec| {
            spec["root"]["readonly"] = json!(true);
        },
    );
    assert_eq!(out.stdout, "shm-ok\n", "{}", out.stderr);
    assert!(
        out.stderr.contains("Read-only file system"),
        "{}",
        out.stderr
    );
}

#[test]
fn container_mounts_never_appear_on_the_host() {
    let bundle = Bundle::new();
    let spec = docker_spec(&[
        "sh",
        "-c",
        "cut -d' ' -f5 /proc/self/mountinfo | grep -c '^/$'",
    ]);
    let running = try_start(&bundle, &spec, false, None).expect("spawn");
    let rootfs = bundle.rootfs().display().to_string();
    assert!(
        !host_mount_points().contains(&rootfs),
        "rootfs mounted on the host while running"
    );
    let out = running.wait();
    assert_eq!(
        out.stdout, "1\n",
        "exactly one root mount inside: {}",
        out.stderr
    );
    assert!(!host_mount_points().contains(&rootfs));
    assert!(
        Path::new(&rootfs)
            .join("proc")
            .read_dir()
            .unwrap()
            .next()
            .is_none(),
        "proc visible on the host"
    );
}
