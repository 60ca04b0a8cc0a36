//! `--exec`: an extra process inside a running container. Like a container's shim it detaches,
//! reports the start on the status pipe, copies output to the attached fds (serving its control
//! socket when interactive), reaps and records the exit; but it keeps no log and leaves the
//! container's cgroup and rootfs to its own shim.

use hydock_cgroups::Cgroup;
use hydock_runtime::exec_in;
use nix::unistd::Pid;
use oci_spec::runtime::Process;

use crate::args::{ExecArgs, STATUS_FD};
use crate::report::{process_start_time, write_record, Exited, Started, StatusPipe};
use crate::stdio::{attached_fds, ProcessIo};
use crate::supervise::{detach, prepare_stdio, reap, StartFailure};
use crate::timefmt::now_rfc3339_nano;

pub fn run(args: &ExecArgs) -> Result<(), String> {
    detach()?;
    let mut status = StatusPipe::inherit(STATUS_FD);
    let (pid, io) = match start(args) {
        Ok(started) => started,
        Err(failure) => {
            failure.report(&mut status);
            return Ok(());
        }
    };
    let shim_pid = std::process::id() as i32;
    status.send(&Started {
        pid: pid.as_raw(),
        shim_pid,
        pid_start: process_start_time(pid.as_raw()),
        shim_start: process_start_time(shim_pid),
        started_at: now_rfc3339_nano(),
    });
    let attached = attached_fds(args.attach, io.has_terminal());
    io.pump(None, attached);
    let exited = Exited {
        exit_code: reap(pid),
        // An OOM kill is charged to the container's cgroup, not attributable to this process.
        oom_killed: false,
        finished_at: now_rfc3339_nano(),
    };
    if let Err(err) = write_record(&args.exit_file, &exited) {
        eprintln!("hydock-shim: writing {}: {err}", args.exit_file.display());
    }
    status.send(&exited);
    Ok(())
}

fn start(args: &ExecArgs) -> Result<(Pid, ProcessIo), StartFailure> {
    let process = load_process(args)?;
    let cgroup = Cgroup::open(&args.cgroup).map_err(|e| StartFailure::other("cgroup", e))?;
    let terminal = process.terminal().unwrap_or(false);
    let (pipes, control) = prepare_stdio(terminal, &args.interactive)?;
    let options = pipes.spawn_options(false);
    let mut placement = cgroup
        .placement()
        .map_err(|e| StartFailure::other("cgroup", e))?;
    let spawned = exec_in(args.target_pid, &process, &options, &mut placement)?;
    let io = pipes
        .started(spawned.terminal, args.interactive.open_stdin, control)
        .map_err(|e| StartFailure::other("stdio", e))?;
    Ok((Pid::from_raw(spawned.pid), io))
}

fn load_process(args: &ExecArgs) -> Result<Process, StartFailure> {
    let path = args.process.display();
    let bytes = std::fs::read(&args.process)
        .map_err(|e| StartFailure::other("process", format!("{path}: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| StartFailure::other("process", format!("{path}: {e}")))
}
