//! What the container can see and do: pid, uts, network and cgroup namespaces, masked and
//! read-only paths, capabilities.

use serde_json::json;

use crate::support::{cap_field, docker_spec, run_sh, try_start, Bundle, DOCKER_DEFAULT_CAPS};

#[test]
fn command_is_pid_1_and_sees_only_container_processes() {
    let out = run_sh("echo $$; ps -o pid | grep -v PID", |_| {});
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("1"));
    let pids: Vec<u32> = lines.map(|l| l.trim().parse().expect("pid")).collect();
    assert!(pids.contains(&1), "{pids:?}");
    assert!(
        pids.iter().all(|&pid| pid < 10),
        "host processes visible: {pids:?}"
    );
}

#[test]
fn hostname_and_domainname_come_from_the_spec_and_cannot_be_changed() {
    let script =
        "hostname; cat /proc/sys/kernel/domainname; hostname evil && echo RENAMED; hostname";
    let out = run_sh(script, |spec| spec["domainname"] = json!("example.test"));
    assert_eq!(
        out.stdout, "hydock-test\nexample.test\nhydock-test\n",
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("RENAMED"));
}

#[test]
fn network_namespace_has_only_loopback_and_it_is_up() {
    let out = run_sh(
        "tail -n +3 /proc/net/dev | cut -d: -f1; cat /sys/class/net/lo/flags",
        |spec| {
            spec["mounts"]
                .as_array_mut()
                .unwrap()
                .retain(|m| m["destination"] != "/sys/fs/cgroup");
        },
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next().map(str::trim), Some("lo"));
    let flags =
        u32::from_str_radix(lines.next().expect("lo flags").trim_start_matches("0x"), 16).unwrap();
    assert_eq!(
        flags & libc::IFF_UP as u32,
        libc::IFF_UP as u32,
        "lo is down"
    );
    assert_eq!(lines.next(), None, "more than lo: {}", out.stdout);
}

#[test]
fn masked_paths_are_empty_and_readonly_paths_refuse_writes() {
    // This kernel has no /proc/kcore; /proc/timer_list is a masked file that exists.
    let script = "wc -c < /proc/timer_list; stat -c %t,%T /proc/timer_list; stat -f -c %T /proc/acpi; \
                  ls -A /sys/firmware | wc -l; echo evil > /proc/sys/kernel/hostname && echo WROTE; hostname";
    let out = run_sh(script, |_| {});
    assert_eq!(
        out.stdout, "0\n1,3\ntmpfs\n0\nhydock-test\n",
        "stderr: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Read-only file system"),
        "{}",
        out.stderr
    );
}

#[test]
fn root_gets_exactly_dockers_default_capabilities() {
    let out = run_sh("grep Cap /proc/self/status", |_| {});
    assert_eq!(out.code, 0, "{}", out.stderr);
    for field in ["CapEff:", "CapPrm:", "CapBnd:"] {
        assert_eq!(
            cap_field(&out.stdout, field),
            DOCKER_DEFAULT_CAPS,
            "{field}\n{}",
            out.stdout
        );
    }
    assert_eq!(cap_field(&out.stdout, "CapAmb:"), 0);
}

#[test]
fn privileged_operations_fail_inside() {
    let out = run_sh(
        "mount -t tmpfs x /mnt && echo MOUNTED; mknod /tmp/sda b 8 0 && echo MKNOD; echo done",
        |_| {},
    );
    assert!(!out.stdout.contains("MOUNTED"), "{}", out.stdout);
    assert!(
        out.stdout.contains("MKNOD"),
        "CAP_MKNOD is in Docker's default set: {}",
        out.stderr
    );
    assert!(out.stderr.contains("mount"), "{}", out.stderr);
}

#[test]
fn cgroup_mount_shows_own_cgroups_read_only() {
    let out = run_sh("ls /sys/fs/cgroup; touch /sys/fs/cgroup/x && echo WROTE; cat /sys/fs/cgroup/memory/cgroup.procs", |_| {});
    assert!(
        out.stdout.contains("memory\n") && out.stdout.contains("unified\n"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(!out.stdout.contains("WROTE"));
    // The container's own memory cgroup: it lists the container's processes, by container pid.
    assert!(out.stdout.lines().any(|l| l == "1"), "{}", out.stdout);
}

#[test]
fn cgroup_namespace_roots_the_container_at_its_cgroup() {
    let out = run_sh("cat /proc/self/cgroup", |spec| {
        spec["linux"]["namespaces"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "cgroup"}));
    });
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.lines().all(|l| l.ends_with(":/")),
        "{}",
        out.stdout
    );
}

#[test]
fn namespaces_given_by_path_are_joined() {
    let bundle = Bundle::new();
    let mut first_spec = docker_spec(&["sh", "-c", "echo ready; exec sleep 30"]);
    first_spec["hostname"] = json!("first");
    let first = try_start(&bundle, &first_spec, false, None).expect("start the first container");
    assert_eq!(first.next_line(), "ready");

    let mut second = docker_spec(&[
        "sh",
        "-c",
        "hostname; ps -o pid,comm | grep -c sleep; echo $$",
    ]);
    second.as_object_mut().unwrap().remove("hostname");
    second["linux"]["namespaces"] = json!([
        {"type": "mount"},
        {"type": "ipc"},
        {"type": "uts", "path": format!("/proc/{}/ns/uts", first.pid)},
        {"type": "pid", "path": format!("/proc/{}/ns/pid", first.pid)},
        {"type": "network", "path": format!("/proc/{}/ns/net", first.pid)},
    ]);
    let out = try_start(&bundle, &second, false, None)
        .expect("start the joining container")
        .wait();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[..2], ["first", "1"], "{}", out.stderr);
    assert_ne!(
        lines[2], "1",
        "the joining process cannot be pid 1 of an existing namespace"
    );
    drop(first);
}

#[test]
fn without_a_pid_namespace_the_host_pid_is_visible() {
    let bundle = Bundle::new();
    let mut spec = docker_spec(&["sh", "-c", "echo $$"]);
    spec["linux"]["namespaces"]
        .as_array_mut()
        .unwrap()
        .retain(|ns| ns["type"] != "pid");
    let running = try_start(&bundle, &spec, false, None).expect("spawn");
    let pid = running.pid.as_raw().to_string();
    let out = running.wait();
    assert_eq!(out.stdout.trim(), pid, "{}", out.stderr);
}
