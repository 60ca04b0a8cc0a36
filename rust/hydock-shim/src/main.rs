//! hydock-shim: the per-container supervisor. It starts the container from its bundle, owns the
//! container's stdio (json-file log plus optional attached fds), reaps it, records its exit status
//! on disk and cleans up its cgroup and rootfs mount. It outlives whoever started it.
#![deny(unsafe_op_in_unsafe_fn)]

mod args;
mod jsonlog;
mod report;
mod supervise;
mod timefmt;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match args::Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("hydock-shim: {message}");
            return ExitCode::from(2);
        }
    };
    match supervise::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hydock-shim: {message}");
            ExitCode::from(1)
        }
    }
}
