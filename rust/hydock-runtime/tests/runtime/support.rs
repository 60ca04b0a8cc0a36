//! Test fixtures: a busybox rootfs, a Docker-like spec, and containers that are always reaped.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{RwLock, RwLockReadGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use hydock_runtime::{spawn, SpawnError, SpawnOptions, Spawned};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use serde_json::{json, Value};
use tempfile::TempDir;

/// CapEff of a root process under Docker's default capability set.
pub const DOCKER_DEFAULT_CAPS: u64 = 0xa804_25fb;
const WAIT_LIMIT: Duration = Duration::from_secs(30);

const DOCKER_CAP_NAMES: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];
const APPLETS: [&str; 24] = [
    "sh", "echo", "cat", "hostname", "id", "ls", "mount", "sleep", "true", "false", "ps", "grep",
    "wc", "touch", "kill", "pwd", "env", "stat", "readlink", "mkdir", "test", "cut", "tail",
    "mknod",
];

/// Tests run in parallel threads: a fork made while another thread has a rootfs binary open for
/// writing hands the child that descriptor, and exec of the binary then fails with ETXTBSY.
/// Files are written under the write lock, forks happen under the read lock.
static FORK_LOCK: RwLock<()> = RwLock::new(());

/// Held around every `spawn` call of the tests.
pub fn fork_guard() -> RwLockReadGuard<'static, ()> {
    FORK_LOCK.read().unwrap_or_else(|e| e.into_inner())
}

/// Writes a rootfs file while no container is being forked.
pub fn write_file(path: &Path, content: &str, mode: u32) {
    let _no_fork = FORK_LOCK.write().unwrap_or_else(|e| e.into_inner());
    std::fs::write(path, content).expect("write rootfs file");
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode))
        .expect("chmod");
}

/// A bundle directory whose `rootfs/` holds busybox and a minimal /etc.
pub struct Bundle {
    dir: TempDir,
}

impl Bundle {
    pub fn new() -> Bundle {
        let dir = tempfile::tempdir().expect("bundle temp dir");
        let rootfs = dir.path().join("rootfs");
        for sub in ["bin", "etc", "tmp", "proc", "sys", "dev", "mnt", "home/app"] {
            std::fs::create_dir_all(rootfs.join(sub)).expect("rootfs dir");
        }
        {
            let _no_fork = FORK_LOCK.write().unwrap_or_else(|e| e.into_inner());
            std::fs::copy("/bin/busybox", rootfs.join("bin/busybox")).expect("copy busybox");
        }
        for applet in APPLETS {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet))
                .expect("applet link");
        }
        std::fs::write(
            rootfs.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        )
        .expect("passwd");
        std::fs::write(
            rootfs.join("etc/group"),
            "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n",
        )
        .expect("group");
        Bundle { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn rootfs(&self) -> PathBuf {
        self.dir.path().join("rootfs")
    }
}

fn device(path: &str, major: u32, minor: u32) -> Value {
    json!({"path": path, "type": "c", "major": major, "minor": minor, "fileMode": 0o666, "uid": 0, "gid": 0})
}

/// The spec Docker would write for `docker run busybox <args>`, as JSON to tweak per test.
pub fn docker_spec(args: &[&str]) -> Value {
    json!({
        "ociVersion": "1.0.2",
        "process": {
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=hydock-test"],
            "cwd": "/",
            "capabilities": {
                "bounding": DOCKER_CAP_NAMES,
                "effective": DOCKER_CAP_NAMES,
                "permitted": DOCKER_CAP_NAMES,
            },
            "oomScoreAdj": 0,
        },
        "root": {"path": "rootfs", "readonly": false},
        "hostname": "hydock-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["ro", "nosuid", "noexec", "nodev"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"]},
        ],
        "linux": {
            "namespaces": [{"type": "mount"}, {"type": "network"}, {"type": "uts"}, {"type": "pid"}, {"type": "ipc"}],
            "devices": [
                device("/dev/null", 1, 3), device("/dev/zero", 1, 5), device("/dev/full", 1, 7),
                device("/dev/random", 1, 8), device("/dev/urandom", 1, 9), device("/dev/tty", 5, 0),
            ],
            "maskedPaths": [
                "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                "/sys/devices/virtual/powercap",
            ],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    })
}

/// A started container; killed and reaped on drop if the test did not wait for it.
pub struct Running {
    pub pid: Pid,
    stdout_lines: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
    reaped: bool,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Exit code as a shell reports it: the code, or 128 + signal.
fn exit_code(status: WaitStatus) -> Option<i32> {
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, signal, _) => Some(128 + signal as i32),
        _ => None,
    }
}

impl Running {
    /// Waits for the next stdout line, failing the test after a generous limit.
    pub fn next_line(&self) -> String {
        self.stdout_lines
            .recv_timeout(WAIT_LIMIT)
            .expect("a line on the container's stdout")
    }

    pub fn wait(mut self) -> Output {
        let deadline = Instant::now() + WAIT_LIMIT;
        let code = loop {
            let status = waitpid(self.pid, Some(WaitPidFlag::WNOHANG)).expect("waitpid");
            if let Some(code) = exit_code(status) {
                self.reaped = true;
                break code;
            }
            assert!(
                Instant::now() < deadline,
                "container {} did not exit in {WAIT_LIMIT:?}",
                self.pid
            );
            thread::sleep(Duration::from_millis(5));
        };
        let mut stdout = String::new();
        loop {
            match self.stdout_lines.recv_timeout(WAIT_LIMIT) {
                Ok(line) => stdout.push_str(&(line + "\n")),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!("container stdout still open after exit"),
            }
        }
        let stderr = self
            .stderr
            .take()
            .map(|h| h.join().expect("stderr reader"))
            .unwrap_or_default();
        Output {
            code,
            stdout,
            stderr,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = kill(self.pid, Signal::SIGKILL);
            let _ = waitpid(self.pid, None);
        }
    }
}

/// Starts `spec` from `bundle` with piped stdout/stderr (and `stdin` text when given).
pub fn try_start(
    bundle: &Bundle,
    spec: &Value,
    init: bool,
    stdin: Option<&str>,
) -> Result<Running, SpawnError> {
    let spec = serde_json::from_value(spec.clone()).expect("spec parses as an OCI runtime spec");
    start_piped(init, stdin, |opts| {
        spawn(&spec, bundle.path(), opts, &mut |_| Ok(()))
    })
}

/// Starts a process with `start` (spawn or exec_in) on pipes the test reads.
pub fn start_piped(
    init: bool,
    stdin: Option<&str>,
    start: impl FnOnce(&SpawnOptions) -> Result<Spawned, SpawnError>,
) -> Result<Running, SpawnError> {
    let (stdout_read, stdout_write) = std::io::pipe().expect("stdout pipe");
    let (stderr_read, stderr_write) = std::io::pipe().expect("stderr pipe");
    let (stdin_read, mut stdin_write) = std::io::pipe().expect("stdin pipe");
    let opts = SpawnOptions {
        stdin: stdin.map(|_| stdin_read.as_raw_fd()),
        stdout: Some(stdout_write.as_raw_fd()),
        stderr: Some(stderr_write.as_raw_fd()),
        init,
    };
    let pid = {
        let _forking = fork_guard();
        start(&opts)?.pid
    };
    drop((stdout_write, stderr_write, stdin_read));
    if let Some(text) = stdin {
        stdin_write
            .write_all(text.as_bytes())
            .expect("write container stdin");
    }
    drop(stdin_write);
    let (line_tx, stdout_lines) = channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout_read).lines() {
            let Ok(line) = line else { break };
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(stderr_read).read_to_string(&mut text);
        text
    });
    Ok(Running {
        pid: Pid::from_raw(pid),
        stdout_lines,
        stderr: Some(stderr),
        reaped: false,
    })
}

/// Runs `sh -c script` in a container built from the default spec after `tweak`.
pub fn run_sh(script: &str, tweak: impl FnOnce(&mut Value)) -> Output {
    let bundle = Bundle::new();
    let mut spec = docker_spec(&["sh", "-c", script]);
    tweak(&mut spec);
    try_start(&bundle, &spec, false, None)
        .unwrap_or_else(|e| panic!("spawn failed: {e}"))
        .wait()
}

/// The hex value of a `Cap*:` line of /proc/<pid>/status output.
pub fn cap_field(status: &str, field: &str) -> u64 {
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in {status}"));
    u64::from_str_radix(line[field.len()..].trim(), 16).expect("hex capability mask")
}

/// Mount points in this (the host's) mount namespace.
pub fn host_mount_points() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo")
}
