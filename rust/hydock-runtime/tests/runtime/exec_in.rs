//! `exec_in`: extra processes inside a container started by `spawn`, sharing its namespaces and
//! root, with their own user, cwd and environment.

use hydock_runtime::{exec_in, SpawnError, SpawnErrorKind};
use nix::sys::signal::kill;
use oci_spec::runtime::Process;
use serde_json::{json, Value};

use crate::support::{docker_spec, start_piped, try_start, write_file, Bundle, Running};

/// A container whose pid 1 is `sleep`, once it runs.
fn sleeping_container(bundle: &Bundle) -> Running {
    let container = try_start(
        bundle,
        &docker_spec(&["sh", "-c", "echo ready; exec sleep 30"]),
        false,
        None,
    )
    .expect("start the container");
    assert_eq!(container.next_line(), "ready");
    container
}

/// The `process` object of the default spec for `args`, after `tweak`.
fn process(args: &[&str], tweak: impl FnOnce(&mut Value)) -> Process {
    let mut process = docker_spec(args)["process"].take();
    tweak(&mut process);
    serde_json::from_value(process).expect("process parses as an OCI process")
}

fn exec_into(container: &Running, process: &Process) -> Result<Running, SpawnError> {
    start_piped(false, None, |opts| {
        exec_in(container.pid.as_raw(), process, opts, &mut |_| Ok(()))
    })
}

fn readlink(path: String) -> String {
    std::fs::read_link(&path)
        .unwrap_or_else(|e| panic!("readlink {path}: {e}"))
        .to_string_lossy()
        .into_owned()
}

#[test]
fn exec_shares_the_containers_pid_uts_mount_ipc_and_network_namespaces() {
    let bundle = Bundle::new();
    write_file(
        &bundle.rootfs().join("tmp/marker"),
        "in the rootfs\n",
        0o644,
    );
    let container = sleeping_container(&bundle);
    let script = "echo $$; hostname; cat /tmp/marker; ps -o pid,comm | grep -w sleep; \
                  for ns in mnt uts net ipc pid; do readlink /proc/self/ns/$ns; done; echo done; exec sleep 30";
    let exec = exec_into(&container, &process(&["sh", "-c", script], |_| {})).expect("exec_in");

    let inner_pid = exec.next_line();
    assert_ne!(
        inner_pid, "1",
        "an exec'd process is never the container's pid 1"
    );
    assert_eq!(exec.next_line(), "hydock-test");
    assert_eq!(exec.next_line(), "in the rootfs");
    let sleep_line = exec.next_line();
    assert_eq!(
        sleep_line.split_whitespace().collect::<Vec<_>>(),
        ["1", "sleep"],
        "the container's pid 1 is visible"
    );
    for name in ["mnt", "uts", "net", "ipc", "pid"] {
        let container_ns = readlink(format!("/proc/{}/ns/{name}", container.pid));
        assert_eq!(exec.next_line(), container_ns, "{name} namespace");
        assert_ne!(container_ns, readlink(format!("/proc/self/ns/{name}")));
    }
    assert_eq!(exec.next_line(), "done");
    // The returned pid is the host's view of the process that printed `inner_pid`.
    let status = std::fs::read_to_string(format!("/proc/{}/status", exec.pid)).expect("status");
    let nspid = status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .expect("NSpid line");
    assert_eq!(
        nspid.split_whitespace().collect::<Vec<_>>(),
        [exec.pid.to_string(), inner_pid]
    );
    drop(exec);
    assert!(
        kill(container.pid, None).is_ok(),
        "the container outlives its exec"
    );
}

#[test]
fn user_groups_cwd_env_rlimits_and_capabilities_come_from_the_process() {
    let bundle = Bundle::new();
    let container = sleeping_container(&bundle);
    let script =
        "id; pwd; echo $GREETING; ulimit -n; grep -E 'CapEff|NoNewPrivs' /proc/self/status; exit 3";
    let process = process(&["sh", "-c", script], |p| {
        p["user"] = json!({"uid": 65534, "gid": 65534, "additionalGids": [5]});
        p["cwd"] = json!("/home/app");
        p["env"] = json!(["PATH=/bin", "GREETING=hello from exec"]);
        p["rlimits"] = json!([{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 2048}]);
        p["noNewPrivileges"] = json!(true);
        p.as_object_mut().unwrap().remove("capabilities");
    });
    let out = exec_into(&container, &process).expect("exec_in").wait();
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "uid=65534(nobody) gid=65534(nogroup) groups=5(tty)\n/home/app\nhello from exec\n1024\n\
         CapEff:\t0000000000000000\nNoNewPrivs:\t1\n",
        "{}",
        out.stderr
    );
}

#[test]
fn before_start_gets_the_pid_that_is_returned() {
    let bundle = Bundle::new();
    let container = sleeping_container(&bundle);
    let process = process(&["true"], |_| {});
    let mut placed = None;
    let running = start_piped(false, None, |opts| {
        exec_in(container.pid.as_raw(), &process, opts, &mut |pid: i32| {
            placed = Some(pid);
            Ok(())
        })
    })
    .expect("exec_in");
    assert_eq!(placed, Some(running.pid.as_raw()));
    assert_eq!(running.wait().code, 0);

    let mut refused = None;
    let err = start_piped(false, None, |opts| {
        exec_in(container.pid.as_raw(), &process, opts, &mut |pid: i32| {
            refused = Some(pid);
            Err("no cgroup for you".into())
        })
    })
    .map(|running| running.pid)
    .expect_err("before_start failed");
    assert_eq!(err.step, "before_start");
    let refused = nix::unistd::Pid::from_raw(refused.expect("before_start ran"));
    assert!(
        kill(refused, None).is_err(),
        "the refused child was killed and reaped"
    );
}

#[test]
fn failures_name_their_step_and_leave_the_container_running() {
    let bundle = Bundle::new();
    let container = sleeping_container(&bundle);
    let error = |process: &Process| match exec_into(&container, process) {
        Ok(running) => panic!("exec {} started, expected a failure", running.pid),
        Err(err) => err,
    };

    let err = error(&process(&["no-such-tool"], |_| {}));
    assert_eq!(
        (err.step.as_str(), err.kind),
        ("exec", SpawnErrorKind::NotFound)
    );
    assert_eq!(
        err.message,
        "exec: \"no-such-tool\": executable file not found in $PATH"
    );

    let err = error(&process(&["/etc/passwd"], |_| {}));
    assert_eq!(
        (err.step.as_str(), err.kind),
        ("exec", SpawnErrorKind::PermissionDenied)
    );

    let err = error(&process(&["true"], |p| p["cwd"] = json!("/no/such/dir")));
    assert_eq!(err.step, "cwd", "{err}");
    assert!(err.message.contains("/no/such/dir"), "{err}");

    assert!(
        kill(container.pid, None).is_ok(),
        "the container still runs"
    );
}

#[test]
fn a_target_that_is_gone_is_reported_before_forking() {
    let bundle = Bundle::new();
    let container = try_start(&bundle, &docker_spec(&["true"]), false, None).expect("spawn");
    let gone = container.pid.as_raw();
    assert_eq!(container.wait().code, 0);
    let err = start_piped(false, None, |opts| {
        exec_in(gone, &process(&["true"], |_| {}), opts, &mut |_| {
            panic!("no child may be forked for a missing target")
        })
    })
    .map(|running| running.pid)
    .expect_err("the target is gone");
    assert_eq!(err.step, "namespaces");
    assert_eq!(
        err.message,
        format!("container process {gone} is not running")
    );
}
