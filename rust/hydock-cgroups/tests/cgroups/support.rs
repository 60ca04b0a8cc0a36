//! Guards that remove test cgroups and reap test processes even when an assertion fails.

use std::fs::File;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use hydock_cgroups::{Cgroup, CgroupError, Layout, Resources};

pub const SIGKILL: i32 = nix::sys::signal::Signal::SIGKILL as i32;

/// A test's cgroup name: a parent per test and process, so tests running in parallel (or
/// another run of the suite) never share a directory.
pub fn test_name(test: &str) -> String {
    format!("hydock-test-{}-{test}/c", std::process::id())
}

/// Destroys the cgroup (killing what is left in it) and removes the per-test parent in every
/// hierarchy on drop, whether or not the test destroyed it itself.
pub struct CgroupGuard {
    layout: Layout,
    name: String,
    paths: Vec<PathBuf>,
}

impl CgroupGuard {
    pub fn create(layout: &Layout, test: &str, resources: &Resources) -> (CgroupGuard, Cgroup) {
        let name = test_name(test);
        let cgroup = Cgroup::create_in(layout, &name, resources).expect("create test cgroup");
        let guard = CgroupGuard::expecting(layout, &name, &cgroup);
        (guard, cgroup)
    }

    /// Guards a cgroup the test creates itself (to inspect the create error).
    pub fn expecting(layout: &Layout, name: &str, cgroup: &Cgroup) -> CgroupGuard {
        CgroupGuard {
            layout: layout.clone(),
            name: name.to_string(),
            paths: cgroup.paths().iter().map(|p| p.to_path_buf()).collect(),
        }
    }

    /// Guards a name whose creation is expected to fail, so a wrong success is still cleaned up.
    pub fn for_name(layout: &Layout, name: &str, paths: Vec<PathBuf>) -> CgroupGuard {
        CgroupGuard {
            layout: layout.clone(),
            name: name.to_string(),
            paths,
        }
    }
}

impl Drop for CgroupGuard {
    fn drop(&mut self) {
        if let Ok(cgroup) = Cgroup::open_in(&self.layout, &self.name) {
            if let Err(e) = cgroup.destroy() {
                eprintln!("cleanup: destroying {}: {e}", self.name);
            }
        }
        for path in &self.paths {
            std::fs::remove_dir(path).ok();
            if let Some(parent) = path.parent() {
                std::fs::remove_dir(parent).ok();
            }
        }
    }
}

/// Kills the child on drop and reaps it, waiting a bounded time: a child in a frozen cgroup
/// dies only when the cgroup guard, dropped next, thaws it, and a failing test must not hang.
pub struct ChildGuard {
    child: Child,
    /// A file rather than a pipe: the child's own children would hold a pipe open.
    stderr: Option<PathBuf>,
}

impl ChildGuard {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_some()
    }

    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    pub fn expect_killed(&mut self) {
        let status = self
            .wait_timeout(Duration::from_secs(10))
            .expect("child should have died");
        assert_eq!(status.signal(), Some(SIGKILL), "child exit: {status:?}");
    }

    pub fn stderr(&self) -> String {
        let path = self.stderr.as_ref().expect("child stderr was captured");
        std::fs::read_to_string(path).expect("read child stderr")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.wait_timeout(Duration::from_secs(2));
        if let Some(path) = &self.stderr {
            std::fs::remove_file(path).ok();
        }
    }
}

/// Starts `script` under busybox sh inside `cgroup`: the shell waits for a line on stdin, sent
/// only once it has been moved in, so none of the workload runs outside the cgroup.
pub fn spawn_in(cgroup: &Cgroup, script: &str) -> ChildGuard {
    let stderr_path = std::env::temp_dir().join(format!(
        "hydock-cgroups-test-{}-{}.stderr",
        std::process::id(),
        cgroup.name().replace('/', "_")
    ));
    let stderr = File::create(&stderr_path).expect("create child stderr file");
    let child = Command::new("/bin/busybox")
        .args(["sh", "-c", &format!("read go && {script}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("spawn busybox sh");
    let mut child = ChildGuard {
        child,
        stderr: Some(stderr_path),
    };
    cgroup
        .add_process(child.pid())
        .expect("add child to cgroup");
    let mut stdin = child.child.stdin.take().expect("child stdin");
    stdin.write_all(b"go\n").expect("release child");
    child
}

/// A plain long sleeper, added after it started.
pub fn spawn_sleeper() -> ChildGuard {
    ChildGuard {
        child: Command::new("sleep")
            .arg("100")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sleep"),
        stderr: None,
    }
}

/// The cgroup path of `pid` in each hierarchy, as /proc/<pid>/cgroup lists them.
pub fn proc_cgroup_lines(pid: i32) -> Vec<String> {
    std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .expect("read /proc/pid/cgroup")
        .lines()
        .map(str::to_string)
        .collect()
}

pub fn v1_layout() -> Layout {
    let layout = Layout::detect().expect("detect layout");
    assert_eq!(
        layout.version(),
        hydock_cgroups::Version::V1,
        "this host is hybrid, expected v1"
    );
    layout
}

pub fn unified_layout() -> Layout {
    Layout::unified("/sys/fs/cgroup/unified").expect("unified mount")
}

pub fn assert_controller_error(err: &CgroupError, file: &str) {
    let message = err.to_string();
    assert!(
        message.contains(file),
        "error should name {file}: {message}"
    );
}
