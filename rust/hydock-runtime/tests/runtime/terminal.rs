//! `process.terminal`: a pty from the container's own devpts, its slave the process's stdio and
//! controlling terminal, its master returned to the caller to copy and resize.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::thread;

use hydock_runtime::{exec_in, spawn, SpawnOptions, Spawned};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use oci_spec::runtime::Process;
use rustix::termios::{tcsetwinsize, Winsize};
use serde_json::Value;

use crate::support::{docker_spec, fork_guard, try_start, Bundle};

const NO_STDIO: SpawnOptions = SpawnOptions {
    stdin: None,
    stdout: None,
    stderr: None,
    init: false,
};

/// Killed and reaped unless the test saw it exit.
struct Reaped(Pid);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = kill(self.0, Signal::SIGKILL);
        let _ = waitpid(self.0, None);
    }
}

/// Sets the window, types `input`, and returns everything the process wrote until its slave was
/// closed (a master reads EIO then), with its exit status.
fn converse(spawned: Spawned, input: &str) -> (String, i32) {
    let _reaped = Reaped(Pid::from_raw(spawned.pid));
    let master: OwnedFd = spawned
        .terminal
        .expect("a pty master for a terminal process");
    let size = Winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    tcsetwinsize(&master, size).expect("TIOCSWINSZ");
    let mut writer = std::fs::File::from(master.try_clone().expect("dup master"));
    let reader = thread::spawn(move || {
        let mut file = std::fs::File::from(master);
        let mut output = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = file.read(&mut buf) {
            output.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&output).into_owned()
    });
    writer
        .write_all(input.as_bytes())
        .expect("type into the pty");
    let status = waitpid(Pid::from_raw(spawned.pid), None).expect("waitpid");
    drop(writer);
    let code = match status {
        nix::sys::wait::WaitStatus::Exited(_, code) => code,
        other => panic!("unexpected status {other:?}"),
    };
    (reader.join().expect("reader"), code)
}

const SCRIPT: &str = "read line; busybox tty; busybox stty size; echo ctty > /dev/tty; \
    busybox stat -c '%n %u %g %t:%T' /dev/pts/0 /dev/console 2>&1; echo got:$line";

#[test]
fn a_terminal_process_gets_its_own_pty_as_stdio_and_controlling_terminal() {
    let bundle = Bundle::new();
    let mut spec = docker_spec(&["sh", "-c", SCRIPT]);
    spec["process"]["terminal"] = Value::Bool(true);
    spec["process"]["user"] = serde_json::json!({"uid": 65534, "gid": 65534});
    let spec = serde_json::from_value(spec).unwrap();
    let spawned = {
        let _forking = fork_guard();
        spawn(&spec, bundle.path(), &NO_STDIO, &mut |_| Ok(())).expect("spawn")
    };
    let (output, code) = converse(spawned, "hello\n");
    assert_eq!(code, 0, "{output}");
    // The line discipline echoes what is typed and turns "\n" into "\r\n".
    for expected in [
        "hello\r\n",
        "/dev/pts/0\r\n",
        "30 100\r\n",
        "ctty\r\n",
        "/dev/pts/0 65534 5 88:0\r\n",
        "/dev/console 65534 5 88:0\r\n",
        "got:hello\r\n",
    ] {
        assert!(output.contains(expected), "{expected:?} in {output:?}");
    }
}

#[test]
fn an_exec_with_a_terminal_gets_a_pty_of_the_containers_devpts() {
    let bundle = Bundle::new();
    let container = try_start(
        &bundle,
        &docker_spec(&["sh", "-c", "echo ready; exec sleep 30"]),
        false,
        None,
    )
    .expect("start the container");
    assert_eq!(container.next_line(), "ready");
    let mut process = docker_spec(&["sh", "-c", SCRIPT])["process"].take();
    process["terminal"] = Value::Bool(true);
    let process: Process = serde_json::from_value(process).unwrap();
    let spawned = {
        let _forking = fork_guard();
        exec_in(container.pid.as_raw(), &process, &NO_STDIO, &mut |_| Ok(())).expect("exec_in")
    };
    let (output, code) = converse(spawned, "again\n");
    assert_eq!(code, 0, "{output}");
    for expected in [
        "/dev/pts/0\r\n",
        "30 100\r\n",
        "ctty\r\n",
        "/dev/pts/0 0 5 88:0\r\n",
        // Only a container's first process gets the console.
        "can't stat '/dev/console'",
        "got:again\r\n",
    ] {
        assert!(output.contains(expected), "{expected:?} in {output:?}");
    }
}
