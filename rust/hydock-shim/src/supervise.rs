//! The shim's life: detach from the caller, start the container, pump its output, reap it,
//! record how it ended, clean up.

use hydock_cgroups::{Cgroup, Resources};
use hydock_runtime::{spawn, SpawnError, SpawnErrorKind};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, setsid, ForkResult, Pid};
use oci_spec::runtime::Spec;

use crate::args::{Args, Interactive, STATUS_FD};
use crate::control::ControlSocket;
use crate::jsonlog::JsonLog;
use crate::logfile::LogFile;
use crate::report::{process_start_time, write_record, Exited, StartFailed, Started, StatusPipe};
use crate::stdio::{attached_fds, Pipes, ProcessIo};
use crate::timefmt::now_rfc3339_nano;

pub fn run(args: &Args) -> Result<(), String> {
    detach()?;
    let mut status = StatusPipe::inherit(STATUS_FD);
    let started = match start(args) {
        Ok(started) => started,
        Err(failure) => {
            failure.report(&mut status);
            return Ok(());
        }
    };
    let shim_pid = std::process::id() as i32;
    let record = Started {
        pid: started.pid.as_raw(),
        shim_pid,
        pid_start: process_start_time(started.pid.as_raw()),
        shim_start: process_start_time(shim_pid),
        started_at: now_rfc3339_nano(),
    };
    // On disk before the caller hears of it: a caller that dies now leaves the truth behind.
    if let Err(err) = write_record(&args.bundle.join("shim.json"), &record) {
        eprintln!("hydock-shim: writing shim.json: {err}");
    }
    status.send(&record);
    let exited = supervise(args, started);
    if args.auto_remove {
        remove_bundle(args);
    } else if let Err(err) = write_record(&args.exit_file, &exited) {
        eprintln!("hydock-shim: writing {}: {err}", args.exit_file.display());
    }
    status.send(&exited);
    Ok(())
}

/// Renames the bundle out of sight first, so nobody ever sees a half-deleted container.
fn remove_bundle(args: &Args) {
    let doomed = args.bundle.with_file_name(format!(".rm-{}", args.id));
    let result =
        std::fs::rename(&args.bundle, &doomed).and_then(|()| std::fs::remove_dir_all(&doomed));
    if let Err(err) = result {
        eprintln!("hydock-shim: removing {}: {err}", args.bundle.display());
    }
}

/// Forks so that the caller's child (our parent) exits at once and can be reaped, and starts a
/// new session so the terminal's signals meant for the caller never reach the container.
pub fn detach() -> Result<(), String> {
    // SAFETY: the shim is single threaded at this point, so the child may run any code.
    match unsafe { fork() }.map_err(|e| format!("fork: {e}"))? {
        ForkResult::Parent { .. } => std::process::exit(0),
        ForkResult::Child => {
            setsid().map_err(|e| format!("setsid: {e}"))?;
            Ok(())
        }
    }
}

pub struct StartFailure {
    step: String,
    message: String,
    kind: &'static str,
}

impl StartFailure {
    pub fn other(step: &str, message: impl ToString) -> StartFailure {
        StartFailure {
            step: step.to_string(),
            message: message.to_string(),
            kind: "other",
        }
    }

    pub fn report(&self, status: &mut StatusPipe) {
        status.send(&StartFailed {
            error: &self.message,
            step: &self.step,
            kind: self.kind,
        });
    }
}

impl From<SpawnError> for StartFailure {
    fn from(err: SpawnError) -> StartFailure {
        let kind = match err.kind {
            SpawnErrorKind::NotFound => "not_found",
            SpawnErrorKind::PermissionDenied => "permission_denied",
            SpawnErrorKind::Other => "other",
        };
        StartFailure {
            step: err.step,
            message: err.message,
            kind,
        }
    }
}

struct Running {
    pid: Pid,
    cgroup: Cgroup,
    io: ProcessIo,
    log: Option<JsonLog>,
}

fn start(args: &Args) -> Result<Running, StartFailure> {
    let spec =
        Spec::load(args.bundle.join("config.json")).map_err(|e| StartFailure::other("spec", e))?;
    let resources = spec
        .linux()
        .as_ref()
        .and_then(|linux| linux.resources().as_ref())
        .map(resources_from_spec)
        .unwrap_or_default();
    let cgroup =
        Cgroup::create(&args.cgroup, &resources).map_err(|e| StartFailure::other("cgroup", e))?;
    let log = match &args.log {
        Some(path) => Some(JsonLog::new(
            LogFile::open(path, args.log_rotation)
                .map_err(|e| StartFailure::other("log", format!("{}: {e}", path.display())))?,
        )),
        None => None,
    };
    let terminal = spec
        .process()
        .as_ref()
        .and_then(|process| process.terminal())
        .unwrap_or(false);
    let (pipes, control) = prepare_stdio(terminal, &args.interactive)?;
    let options = pipes.spawn_options(args.init);
    let started = cgroup
        .placement()
        .map_err(|e| StartFailure::other("cgroup", e))
        .and_then(|mut placement| Ok(spawn(&spec, &args.bundle, &options, &mut placement)?));
    let spawned = match started {
        Ok(spawned) => spawned,
        Err(err) => {
            let _ = cgroup.destroy();
            return Err(err);
        }
    };
    let io = pipes
        .started(spawned.terminal, args.interactive.open_stdin, control)
        .map_err(|e| StartFailure::other("stdio", e))?;
    Ok(Running {
        pid: Pid::from_raw(spawned.pid),
        cgroup,
        io,
        log,
    })
}

/// The pipes for the process, and its control socket if it is interactive: listening before the
/// process starts, so whoever hears of the start can connect at once.
pub fn prepare_stdio(
    terminal: bool,
    interactive: &Interactive,
) -> Result<(Pipes, Option<ControlSocket>), StartFailure> {
    let pipes = Pipes::new(terminal, interactive.open_stdin)
        .map_err(|e| StartFailure::other("stdio", e))?;
    let control = match &interactive.control {
        Some(path) => Some(ControlSocket::listen(path).map_err(|e| {
            StartFailure::other("stdio", format!("control socket {}: {e}", path.display()))
        })?),
        None => None,
    };
    Ok((pipes, control))
}

fn resources_from_spec(res: &oci_spec::runtime::LinuxResources) -> Resources {
    let memory = res.memory().as_ref();
    let cpu = res.cpu().as_ref();
    Resources {
        memory_limit: memory.and_then(|m| m.limit()),
        memory_reservation: memory.and_then(|m| m.reservation()),
        memory_swap: memory.and_then(|m| m.swap()),
        cpu_shares: cpu.and_then(|c| c.shares()),
        cpu_quota: cpu.and_then(|c| c.quota()),
        cpu_period: cpu.and_then(|c| c.period()),
        cpuset_cpus: cpu.and_then(|c| c.cpus().clone()),
        cpuset_mems: cpu.and_then(|c| c.mems().clone()),
        pids_limit: res.pids().as_ref().map(|p| p.limit()),
    }
}

/// Copies output to the log (and the attached fds) until every stream closes, then reaps.
fn supervise(args: &Args, mut running: Running) -> Exited {
    let attached = attached_fds(args.attach, running.io.has_terminal());
    running.io.pump(running.log.as_mut(), attached);
    let exit_code = reap(running.pid);
    let oom_killed = running.cgroup.oom_kills().map(|n| n > 0).unwrap_or(false);
    if let Err(err) = running.cgroup.destroy() {
        eprintln!("hydock-shim: removing cgroup: {err}");
    }
    if let Some(mount) = &args.rootfs_mount {
        if let Err(err) = hydock_runtime::overlay::unmount(mount) {
            eprintln!("hydock-shim: {err}");
        }
    }
    Exited {
        exit_code,
        oom_killed,
        finished_at: now_rfc3339_nano(),
    }
}

/// The exit code as Docker reports it: the status, or 128 + the killing signal.
pub fn reap(pid: Pid) -> i32 {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return code,
            Ok(WaitStatus::Signaled(_, signal, _)) => return 128 + signal as i32,
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(err) => {
                eprintln!("hydock-shim: waitpid: {err}");
                return 255;
            }
        }
    }
}
