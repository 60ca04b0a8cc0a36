//! `SpawnOptions::init`: pid 1 is a minimal init that forwards signals, reaps, and passes on the
//! command's exit status.

use nix::sys::signal::{kill, Signal};

use crate::support::{docker_spec, try_start, Bundle, Running};

/// The bundle must outlive the container: its rootfs is what the container runs on.
fn start(script: &str) -> (Bundle, Running) {
    let bundle = Bundle::new();
    let running = try_start(&bundle, &docker_spec(&["sh", "-c", script]), true, None)
        .expect("spawn with init");
    (bundle, running)
}

#[test]
fn command_runs_under_an_init_and_its_exit_code_is_passed_on() {
    let (_bundle, running) = start("echo $$; grep PPid /proc/1/status; cat /proc/1/comm; exit 7");
    let out = running.wait();
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert_eq!(out.stdout, "2\nPPid:\t0\nhydock-init\n");
}

#[test]
fn signals_sent_to_the_init_reach_the_command() {
    let (_bundle, running) =
        start("trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done");
    assert_eq!(running.next_line(), "ready");
    kill(running.pid, Signal::SIGTERM).expect("signal the container's init");
    let out = running.wait();
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (3, "got TERM\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_command_killed_by_a_signal_exits_with_128_plus_signal() {
    let (_bundle, running) = start("echo ready; exec sleep 60");
    assert_eq!(running.next_line(), "ready");
    kill(running.pid, Signal::SIGINT).expect("signal the container's init");
    assert_eq!(running.wait().code, 128 + Signal::SIGINT as i32);
}

#[test]
fn orphans_are_reaped_by_the_init() {
    // The subshell exits at once, so its `sleep` is orphaned onto pid 1 and must not stay a zombie.
    let (_bundle, running) =
        start("(sleep 0.1 &); sleep 0.5; ps -o stat,comm | grep -c '^Z'; exit 0");
    let out = running.wait();
    assert_eq!(out.stdout, "0\n", "{}", out.stderr);
}

#[test]
fn without_init_the_command_is_pid_1_and_its_exit_code_is_the_process_status() {
    let bundle = Bundle::new();
    let out = try_start(
        &bundle,
        &docker_spec(&["sh", "-c", "echo $$; exit 9"]),
        false,
        None,
    )
    .expect("spawn")
    .wait();
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (9, "1\n"),
        "{}",
        out.stderr
    );
}
