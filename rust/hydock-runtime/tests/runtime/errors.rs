//! Failures before exec: each reported with its step and kind, and no process left behind.

use hydock_runtime::{spawn, SpawnErrorKind, SpawnOptions};
use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;
use serde_json::{json, Value};

use crate::support::{docker_spec, fork_guard, try_start, write_file, Bundle};

fn start_error(bundle: &Bundle, spec: &Value, init: bool) -> hydock_runtime::SpawnError {
    match try_start(bundle, spec, init, None) {
        Ok(running) => panic!("container {} started, expected a failure", running.pid),
        Err(err) => err,
    }
}

#[test]
fn missing_command_is_not_found_like_docker() {
    let bundle = Bundle::new();
    for init in [false, true] {
        let err = start_error(&bundle, &docker_spec(&["no-such-tool", "arg"]), init);
        assert_eq!(
            (err.step.as_str(), err.kind),
            ("exec", SpawnErrorKind::NotFound),
            "{err}"
        );
        assert_eq!(
            err.message,
            "exec: \"no-such-tool\": executable file not found in $PATH"
        );
    }
    let err = start_error(&bundle, &docker_spec(&["/bin/missing"]), false);
    assert_eq!(
        (err.step.as_str(), err.kind),
        ("exec", SpawnErrorKind::NotFound),
        "{err}"
    );
}

#[test]
fn non_executable_file_is_permission_denied() {
    let bundle = Bundle::new();
    write_file(
        &bundle.rootfs().join("bin/not-executable"),
        "#!/bin/sh\necho hi\n",
        0o644,
    );
    let err = start_error(&bundle, &docker_spec(&["/bin/not-executable"]), false);
    assert_eq!(
        (err.step.as_str(), err.kind),
        ("exec", SpawnErrorKind::PermissionDenied),
        "{err}"
    );
    // Found by PATH lookup only when executable: a non-executable match is skipped.
    let err = start_error(&bundle, &docker_spec(&["not-executable"]), false);
    assert_eq!(err.kind, SpawnErrorKind::NotFound, "{err}");
}

#[test]
fn missing_interpreter_is_reported_at_exec() {
    let bundle = Bundle::new();
    write_file(
        &bundle.rootfs().join("bin/needs-bash"),
        "#!/bin/bash\necho hi\n",
        0o755,
    );
    let err = start_error(&bundle, &docker_spec(&["needs-bash"]), true);
    assert_eq!(
        (err.step.as_str(), err.kind),
        ("exec", SpawnErrorKind::NotFound),
        "{err}"
    );
    assert_eq!(
        err.message,
        "exec: \"needs-bash\": no such file or directory"
    );
}

#[test]
fn missing_cwd_fails_at_step_cwd() {
    let bundle = Bundle::new();
    let mut spec = docker_spec(&["true"]);
    spec["process"]["cwd"] = json!("/does/not/exist");
    let err = start_error(&bundle, &spec, false);
    assert_eq!(err.step, "cwd", "{err}");
    assert!(err.message.contains("/does/not/exist"), "{err}");
}

#[test]
fn setup_failures_name_their_step() {
    let bundle = Bundle::new();
    type BreakSpec = fn(&mut Value);
    let cases: [(&str, BreakSpec); 4] = [
        ("spec", |spec| {
            drop(spec.as_object_mut().unwrap().remove("process"))
        }),
        ("mounts", |spec| {
            spec["mounts"][0]["type"] = json!("no-such-fs")
        }),
        ("devices", |spec| {
            spec["linux"]["devices"][0]["path"] = json!("/etc/null")
        }),
        ("hostname", |spec| spec["hostname"] = json!("x".repeat(100))),
    ];
    for (step, break_spec) in cases {
        let mut spec = docker_spec(&["true"]);
        break_spec(&mut spec);
        let err = start_error(&bundle, &spec, false);
        assert_eq!(
            (err.step.as_str(), err.kind),
            (step, SpawnErrorKind::Other),
            "{err}"
        );
    }
}

#[test]
fn unsupported_namespace_and_missing_rootfs_fail_before_forking() {
    let bundle = Bundle::new();
    let mut spec = docker_spec(&["true"]);
    spec["linux"]["namespaces"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "user"}));
    assert_eq!(start_error(&bundle, &spec, false).step, "namespaces");
    let mut spec = docker_spec(&["true"]);
    spec["root"]["path"] = json!("no-such-rootfs");
    assert_eq!(start_error(&bundle, &spec, false).step, "rootfs");
}

#[test]
fn before_start_runs_while_the_child_waits_and_its_failure_kills_the_child() {
    let bundle = Bundle::new();
    let spec = serde_json::from_value(docker_spec(&["true"])).unwrap();
    let devnull = std::fs::File::options()
        .write(true)
        .open("/dev/null")
        .unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&devnull);
    let opts = SpawnOptions {
        stdin: None,
        stdout: Some(fd),
        stderr: Some(fd),
        init: false,
    };
    let mut seen = None;
    let _forking = fork_guard();
    let err = spawn(&spec, bundle.path(), &opts, &mut |pid: i32| {
        // Still the forked copy of this test: it has not entered any namespace yet.
        let ns = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/mnt")).unwrap();
        assert_eq!(ns(&pid.to_string()), ns("self"));
        seen = Some(pid);
        Err("cgroup is full".into())
    })
    .unwrap_err();
    assert_eq!(
        (err.step.as_str(), err.message.as_str()),
        ("before_start", "cgroup is full")
    );
    let pid = Pid::from_raw(seen.expect("before_start ran"));
    assert_eq!(
        kill(pid, None),
        Err(Errno::ESRCH),
        "child {pid} left behind"
    );
}
