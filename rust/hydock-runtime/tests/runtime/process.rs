//! The command's own attributes: user, environment, cwd, rlimits, stdio, exit status.

use serde_json::json;

use crate::support::{cap_field, docker_spec, run_sh, try_start, Bundle};

#[test]
fn user_gid_and_groups_come_from_the_spec_and_capabilities_do_not_survive_exec() {
    let out = run_sh("id; grep -E 'Cap(Eff|Prm|Bnd)' /proc/self/status", |spec| {
        spec["process"]["user"] = json!({"uid": 65534, "gid": 65534, "additionalGids": [5, 1000]});
    });
    assert_eq!(out.code, 0, "{}", out.stderr);
    let id = out.stdout.lines().next().unwrap();
    assert!(
        id.starts_with("uid=65534(nobody) gid=65534(nogroup)"),
        "{id}"
    );
    assert!(id.contains("5(tty)") && id.contains("1000"), "{id}");
    assert!(
        !id.contains("groups=0") && !id.contains(",0("),
        "root group kept: {id}"
    );
    assert_eq!(cap_field(&out.stdout, "CapEff:"), 0);
    assert_eq!(cap_field(&out.stdout, "CapPrm:"), 0);
    assert_eq!(
        cap_field(&out.stdout, "CapBnd:"),
        crate::support::DOCKER_DEFAULT_CAPS
    );
}

#[test]
fn ambient_capabilities_are_kept_for_a_non_root_user() {
    let out = run_sh("grep -E 'Cap(Eff|Amb)' /proc/self/status", |spec| {
        spec["process"]["user"] = json!({"uid": 1000, "gid": 1000});
        let caps = json!(["CAP_NET_BIND_SERVICE"]);
        for set in ["inheritable", "ambient"] {
            spec["process"]["capabilities"][set] = caps.clone();
        }
    });
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(cap_field(&out.stdout, "CapAmb:"), 1 << 10);
    assert_eq!(cap_field(&out.stdout, "CapEff:"), 1 << 10);
}

#[test]
fn env_cwd_and_umask_are_honoured() {
    let out = run_sh("echo $GREETING; pwd; umask", |spec| {
        spec["process"]["env"]
            .as_array_mut()
            .unwrap()
            .push(json!("GREETING=hello world"));
        spec["process"]["cwd"] = json!("/home/app");
        spec["process"]["user"]["umask"] = json!(0o027);
    });
    assert_eq!(
        out.stdout, "hello world\n/home/app\n0027\n",
        "{}",
        out.stderr
    );
}

#[test]
fn rlimits_and_no_new_privileges_are_applied() {
    let out = run_sh(
        "ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status",
        |spec| {
            spec["process"]["rlimits"] =
                json!([{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 2048}]);
            spec["process"]["noNewPrivileges"] = json!(true);
        },
    );
    assert_eq!(out.stdout, "1024\n2048\nNoNewPrivs:\t1\n", "{}", out.stderr);
}

#[test]
fn exit_code_stdin_and_stderr_reach_the_caller() {
    let bundle = Bundle::new();
    let spec = docker_spec(&["sh", "-c", "cat; echo oops >&2; exit 5"]);
    let out = try_start(&bundle, &spec, false, Some("from stdin\n"))
        .expect("spawn")
        .wait();
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (5, "from stdin\n", "oops\n")
    );
}

#[test]
fn only_stdio_descriptors_are_inherited() {
    let out = run_sh("ls /proc/self/fd", |_| {});
    // 0-2 are stdio, 3 is the directory ls itself has open.
    assert_eq!(out.stdout, "0\n1\n2\n3\n", "{}", out.stderr);
}

#[test]
fn stdin_is_dev_null_when_not_given() {
    // A pipe left open would block `cat` until the test's time limit.
    let out = run_sh("cat; stat -L -c %t,%T /proc/self/fd/0", |_| {});
    assert_eq!(out.stdout, "1,3\n", "{}", out.stderr);
}

#[test]
fn oom_score_adj_is_set() {
    let out = run_sh("cat /proc/self/oom_score_adj", |spec| {
        spec["process"]["oomScoreAdj"] = json!(500)
    });
    assert_eq!(out.stdout, "500\n", "{}", out.stderr);
}

#[test]
fn namespaced_sysctls_are_written_before_proc_sys_turns_read_only() {
    let out = run_sh(
        "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni",
        |spec| {
            spec["linux"]["sysctl"] =
                json!({"net.ipv4.ip_unprivileged_port_start": "0", "kernel.shmmni": "1234"});
        },
    );
    assert_eq!(out.stdout, "0\n1234\n", "{}", out.stderr);
    let host = std::fs::read_to_string("/proc/sys/kernel/shmmni").unwrap();
    assert_ne!(
        host.trim(),
        "1234",
        "the ipc namespace's sysctl leaked to the host"
    );
}
