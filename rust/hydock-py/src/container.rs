//! Starting a container, or an extra process in a running one: launch a shim, wait for its
//! start report, hand back the pids and the status pipe on which the shim will later report
//! the exit.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use pyo3::prelude::*;
use serde::Deserialize;

use crate::errors::start_error;
use crate::shim_binary;
use crate::spawn::{reap, spawn, Argv};

const CONTAINER_SHIM_LOG: &str = "shim.log";
const EXEC_SHIM_LOG: &str = "exec-shim.log";

#[derive(Deserialize)]
#[serde(untagged)]
enum StartReport {
    Started {
        pid: i32,
        shim_pid: i32,
    },
    Failed {
        error: String,
        step: String,
        kind: String,
    },
}

#[pyclass(frozen, get_all, module = "hydock._core")]
pub struct Started {
    pid: i32,
    shim_pid: i32,
    /// Read end of the status pipe; the caller owns it and reads the exit line from it.
    status_fd: i32,
}

#[pyfunction]
#[pyo3(signature = (shim_dir, bundle, id, cgroup, log, exit_file, rootfs_mount, init=false, auto_remove=false, stdout_fd=None, stderr_fd=None, log_max_size=None, log_max_files=1, control=None, open_stdin=false))]
#[allow(clippy::too_many_arguments)]
fn start_container(
    py: Python<'_>,
    shim_dir: PathBuf,
    bundle: PathBuf,
    id: &str,
    cgroup: &str,
    log: Option<PathBuf>,
    exit_file: PathBuf,
    rootfs_mount: PathBuf,
    init: bool,
    auto_remove: bool,
    stdout_fd: Option<RawFd>,
    stderr_fd: Option<RawFd>,
    log_max_size: Option<u64>,
    log_max_files: u64,
    control: Option<PathBuf>,
    open_stdin: bool,
) -> PyResult<Started> {
    let shim_log = File::create(bundle.join(CONTAINER_SHIM_LOG)).map_err(|e| {
        let path = bundle.join(CONTAINER_SHIM_LOG);
        start_error(&format!("{}: {e}", path.display()), "shim", 125)
    })?;
    let shim_log = ShimLog {
        file: shim_log,
        name: CONTAINER_SHIM_LOG,
    };
    launch_shim(py, &shim_dir, shim_log, stdout_fd, stderr_fd, |command| {
        command
            .arg("--bundle")
            .arg(&bundle)
            .args(["--id", id, "--cgroup", cgroup])
            .arg("--exit-file")
            .arg(&exit_file)
            .arg("--rootfs-mount")
            .arg(&rootfs_mount);
        if let Some(log) = &log {
            command.arg("--log").arg(log);
        }
        if let Some(max_size) = log_max_size {
            command
                .args(["--log-max-size", &max_size.to_string()])
                .args(["--log-max-files", &log_max_files.to_string()]);
        }
        if init {
            command.arg("--init");
        }
        if auto_remove {
            command.arg("--auto-remove");
        }
        add_interactive(command, control.as_deref(), open_stdin);
    })
}

/// `--control` makes the shim listen there (stdin and window size); `--stdin` opens a stdin.
fn add_interactive(command: &mut Argv, control: Option<&Path>, open_stdin: bool) {
    if let Some(control) = control {
        command.arg("--control").arg(control);
    }
    if open_stdin {
        command.arg("--stdin");
    }
}

/// Starts `process_json` (an OCI process object) inside the running container whose pid 1 is
/// `target_pid`, under a shim in exec mode that joins it to `cgroup`.
#[pyfunction]
#[pyo3(signature = (shim_dir, bundle, target_pid, cgroup, process_json, exit_file, stdout_fd=None, stderr_fd=None, control=None, open_stdin=false))]
#[allow(clippy::too_many_arguments)]
fn start_exec(
    py: Python<'_>,
    shim_dir: PathBuf,
    bundle: PathBuf,
    target_pid: i32,
    cgroup: &str,
    process_json: PathBuf,
    exit_file: PathBuf,
    stdout_fd: Option<RawFd>,
    stderr_fd: Option<RawFd>,
    control: Option<PathBuf>,
    open_stdin: bool,
) -> PyResult<Started> {
    // Several execs may run at once: each appends to the one log rather than truncating it.
    let path = bundle.join(EXEC_SHIM_LOG);
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| start_error(&format!("{}: {e}", path.display()), "shim", 125))?;
    let shim_log = ShimLog {
        file,
        name: EXEC_SHIM_LOG,
    };
    launch_shim(py, &shim_dir, shim_log, stdout_fd, stderr_fd, |command| {
        command
            .arg("--exec")
            .arg("--target-pid")
            .arg(target_pid.to_string())
            .args(["--cgroup", cgroup])
            .arg("--process")
            .arg(&process_json)
            .arg("--exit-file")
            .arg(&exit_file);
        add_interactive(command, control.as_deref(), open_stdin);
    })
}

/// Where a shim's own stderr goes, in the container's directory.
struct ShimLog {
    file: File,
    name: &'static str,
}

/// Runs the shim with the arguments `add_args` gives it (plus `--attach` when an fd is given),
/// waits for its start report and maps a failure to ContainerStartError (127 not found, 126
/// cannot run, 125 otherwise). The shim gets its status pipe as fd 3 and the attached stdout
/// and stderr as fds 4 and 5 (see hydock-shim's args.rs).
fn launch_shim(
    py: Python<'_>,
    shim_dir: &Path,
    shim_log: ShimLog,
    stdout_fd: Option<RawFd>,
    stderr_fd: Option<RawFd>,
    add_args: impl FnOnce(&mut Argv),
) -> PyResult<Started> {
    let shim = shim_binary::install(shim_dir)
        .map_err(|e| start_error(&format!("installing shim: {e}"), "shim", 125))?;
    let (status_read, status_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)
        .map_err(|e| start_error(&format!("pipe: {e}"), "shim", 125))?;

    let mut argv = Argv::default();
    add_args(&mut argv);
    if stdout_fd.is_some() || stderr_fd.is_some() {
        argv.arg("--attach");
    }
    // Every fd the shim inherits is first lifted above 0..=5, where the spawn places them, so
    // that placing one never overwrites another (a caller may pass its own fd 1 or 2).
    let status_copy = duplicate_above_stdio(status_write.as_raw_fd())?;
    drop(status_write);
    let log_copy = duplicate_above_stdio(shim_log.file.as_raw_fd())?;
    let stdout_copy = stdout_fd.map(duplicate_above_stdio).transpose()?;
    let stderr_copy = stderr_fd.map(duplicate_above_stdio).transpose()?;
    let extra = [
        Some(status_copy.as_raw_fd()),
        stdout_copy.as_ref().map(AsRawFd::as_raw_fd),
        stderr_copy.as_ref().map(AsRawFd::as_raw_fd),
    ];
    let result = py.detach(|| -> Result<StartReport, String> {
        let pid = spawn(&shim, argv, log_copy.as_raw_fd(), extra)?;
        // Our copies of its fds go, so the status pipe reads EOF once the shim's own copies do.
        drop((status_copy, log_copy, stdout_copy, stderr_copy));
        // The shim forks at once and its first process exits; reaping it keeps us free of zombies.
        reap(pid)?;
        let line = read_line(&status_read).map_err(|e| format!("reading shim status: {e}"))?;
        if line.is_empty() {
            return Err(format!(
                "the shim exited without reporting (see {} in the container directory)",
                shim_log.name
            ));
        }
        serde_json::from_str(&line).map_err(|e| format!("bad shim status {line:?}: {e}"))
    });
    match result {
        Ok(StartReport::Started { pid, shim_pid }) => Ok(Started {
            pid,
            shim_pid,
            status_fd: status_read.into_raw_fd(),
        }),
        Ok(StartReport::Failed { error, step, kind }) => {
            let exit_code = match kind.as_str() {
                "not_found" => 127,
                "permission_denied" => 126,
                _ => 125,
            };
            Err(start_error(&error, &step, exit_code))
        }
        Err(message) => Err(start_error(&message, "shim", 125)),
    }
}

fn duplicate_above_stdio(fd: RawFd) -> PyResult<OwnedFd> {
    // SAFETY: the caller guarantees `fd` is open for the duration of this call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    nix::fcntl::fcntl(borrowed, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(10))
        .map(|raw| {
            // SAFETY: F_DUPFD_CLOEXEC just returned this new descriptor, owned by nobody else.
            unsafe { std::os::fd::FromRawFd::from_raw_fd(raw) }
        })
        .map_err(|e| start_error(&format!("duplicating fd {fd}: {e}"), "shim", 125))
}

/// Reads one line byte by byte: the exit line may follow at once and must stay in the pipe.
fn read_line(fd: &OwnedFd) -> nix::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(fd, &mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Started>()?;
    m.add_function(wrap_pyfunction!(start_container, m)?)?;
    m.add_function(wrap_pyfunction!(start_exec, m)?)?;
    Ok(())
}
