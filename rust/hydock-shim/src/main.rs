//! hydock-shim: the per-container supervisor. It starts the container from its bundle, owns the
//! container's stdio (json-file log plus optional attached fds; for an interactive container its
//! stdin or pty, through a control socket), reaps it, records its exit status on disk and cleans
//! up its cgroup and rootfs mount. It outlives whoever started it. With
//! `--exec` it supervises an extra process inside a running container instead.
#![deny(unsafe_op_in_unsafe_fn)]

mod args;
mod control;
mod exec_mode;
mod input;
mod jsonlog;
mod logfile;
mod report;
mod stdio;
mod supervise;
mod timefmt;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mode = match args::Mode::parse(std::env::args().skip(1)) {
        Ok(mode) => mode,
        Err(message) => {
            eprintln!("hydock-shim: {message}");
            return ExitCode::from(2);
        }
    };
    let outcome = match &mode {
        args::Mode::Container(args) => supervise::run(args),
        args::Mode::Exec(args) => exec_mode::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hydock-shim: {message}");
            ExitCode::from(1)
        }
    }
}
