//! Command line of the shim, parsed by hand: it is spawned only by hydock, and staying free of
//! an argument-parsing crate keeps the binary (and each running shim) small.

use std::path::PathBuf;

use crate::logfile::Rotation;

/// fd numbers the caller sets up before exec: the status pipe, and the attached stdout/stderr.
pub const STATUS_FD: i32 = 3;
pub const ATTACH_STDOUT_FD: i32 = 4;
pub const ATTACH_STDERR_FD: i32 = 5;

/// What the shim was started for: a container's first process, or an extra one inside it.
pub enum Mode {
    Container(Args),
    Exec(ExecArgs),
}

impl Mode {
    /// `--exec` anywhere selects exec mode; the remaining arguments are that mode's.
    pub fn parse(argv: impl Iterator<Item = String>) -> Result<Mode, String> {
        let argv: Vec<String> = argv.collect();
        if argv.iter().any(|arg| arg == "--exec") {
            let rest = argv.into_iter().filter(|arg| arg != "--exec");
            ExecArgs::parse(rest).map(Mode::Exec)
        } else {
            Args::parse(argv.into_iter()).map(Mode::Container)
        }
    }
}

pub struct Args {
    pub bundle: PathBuf,
    pub id: String,
    pub cgroup: String,
    /// The json-file log; none with Docker's `--log-driver none`.
    pub log: Option<PathBuf>,
    pub log_rotation: Option<Rotation>,
    pub exit_file: PathBuf,
    pub rootfs_mount: Option<PathBuf>,
    pub init: bool,
    pub attach: bool,
    /// Delete the bundle (the container's directory) once the container has exited.
    pub auto_remove: bool,
    pub interactive: Interactive,
}

impl Args {
    fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut bundle = None;
        let mut id = None;
        let mut cgroup = None;
        let mut log = None;
        let mut log_max_size = None;
        let mut log_max_files = 1;
        let mut exit_file = None;
        let mut rootfs_mount = None;
        let mut init = false;
        let mut attach = false;
        let mut auto_remove = false;
        let mut interactive = Interactive::default();
        while let Some(arg) = argv.next() {
            if interactive.parse(&arg, &mut argv)? {
                continue;
            }
            let mut value = |name: &str| argv.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--bundle" => bundle = Some(PathBuf::from(value("--bundle")?)),
                "--id" => id = Some(value("--id")?),
                "--cgroup" => cgroup = Some(value("--cgroup")?),
                "--log" => log = Some(PathBuf::from(value("--log")?)),
                "--log-max-size" => log_max_size = Some(positive(&value("--log-max-size")?)?),
                "--log-max-files" => log_max_files = positive(&value("--log-max-files")?)?,
                "--exit-file" => exit_file = Some(PathBuf::from(value("--exit-file")?)),
                "--rootfs-mount" => rootfs_mount = Some(PathBuf::from(value("--rootfs-mount")?)),
                "--init" => init = true,
                "--attach" => attach = true,
                "--auto-remove" => auto_remove = true,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        let missing = |name: &str| format!("missing {name}");
        Ok(Args {
            bundle: bundle.ok_or_else(|| missing("--bundle"))?,
            id: id.ok_or_else(|| missing("--id"))?,
            cgroup: cgroup.ok_or_else(|| missing("--cgroup"))?,
            log,
            log_rotation: log_max_size.map(|max_size| Rotation {
                max_size,
                max_files: log_max_files,
            }),
            exit_file: exit_file.ok_or_else(|| missing("--exit-file"))?,
            rootfs_mount,
            init,
            attach,
            auto_remove,
            interactive: interactive.checked()?,
        })
    }
}

/// What makes a process interactive: a control socket (for its stdin and terminal size), and
/// whether it has a stdin to write to through it.
#[derive(Default)]
pub struct Interactive {
    pub control: Option<PathBuf>,
    pub open_stdin: bool,
}

impl Interactive {
    /// Takes `arg` (and its value) if it is `--control PATH` or `--stdin`.
    fn parse(
        &mut self,
        arg: &str,
        argv: &mut impl Iterator<Item = String>,
    ) -> Result<bool, String> {
        match arg {
            "--control" => {
                let path = argv.next().ok_or("--control needs a value")?;
                self.control = Some(PathBuf::from(path));
            }
            "--stdin" => self.open_stdin = true,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn checked(self) -> Result<Interactive, String> {
        if self.open_stdin && self.control.is_none() {
            return Err("--stdin needs --control, through which the stdin is written".into());
        }
        Ok(self)
    }
}

fn positive(text: &str) -> Result<u64, String> {
    match text.parse() {
        Ok(0) | Err(_) => Err(format!("{text:?} is not a positive number")),
        Ok(n) => Ok(n),
    }
}

/// `--exec`: start `process` in the container of `target_pid` and supervise it.
pub struct ExecArgs {
    pub target_pid: i32,
    /// The container's cgroup, which the process joins.
    pub cgroup: String,
    /// An OCI `process` object as JSON.
    pub process: PathBuf,
    pub exit_file: PathBuf,
    pub attach: bool,
    pub interactive: Interactive,
}

impl ExecArgs {
    fn parse(mut argv: impl Iterator<Item = String>) -> Result<ExecArgs, String> {
        let mut target_pid = None;
        let mut cgroup = None;
        let mut process = None;
        let mut exit_file = None;
        let mut attach = false;
        let mut interactive = Interactive::default();
        while let Some(arg) = argv.next() {
            if interactive.parse(&arg, &mut argv)? {
                continue;
            }
            let mut value = |name: &str| argv.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--target-pid" => {
                    let text = value("--target-pid")?;
                    let pid = text
                        .parse()
                        .map_err(|_| format!("--target-pid {text:?} is not a pid"))?;
                    target_pid = Some(pid);
                }
                "--cgroup" => cgroup = Some(value("--cgroup")?),
                "--process" => process = Some(PathBuf::from(value("--process")?)),
                "--exit-file" => exit_file = Some(PathBuf::from(value("--exit-file")?)),
                "--attach" => attach = true,
                other => return Err(format!("unknown argument {other:?} in exec mode")),
            }
        }
        let missing = |name: &str| format!("missing {name}");
        Ok(ExecArgs {
            target_pid: target_pid.ok_or_else(|| missing("--target-pid"))?,
            cgroup: cgroup.ok_or_else(|| missing("--cgroup"))?,
            process: process.ok_or_else(|| missing("--process"))?,
            exit_file: exit_file.ok_or_else(|| missing("--exit-file"))?,
            attach,
            interactive: interactive.checked()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Mode;

    fn parse(extra: &[&str]) -> Result<Mode, String> {
        let base = "--bundle b --id i --cgroup c --exit-file e".split(' ');
        Mode::parse(base.chain(extra.iter().copied()).map(String::from))
    }

    #[test]
    fn log_rotation_needs_a_max_size_and_positive_numbers() {
        let Ok(Mode::Container(args)) = parse(&["--log", "l", "--log-max-files", "3"]) else {
            panic!("container mode expected");
        };
        assert!(args.log.is_some() && args.log_rotation.is_none());
        let Ok(Mode::Container(args)) = parse(&["--log-max-size", "10", "--log-max-files", "3"])
        else {
            panic!("container mode expected");
        };
        let rotation = args.log_rotation.unwrap();
        assert_eq!((rotation.max_size, rotation.max_files), (10, 3));
        assert!(args.log.is_none());
        assert!(parse(&["--log-max-size", "0"]).is_err());
        assert!(parse(&["--log-max-files", "-1"]).is_err());
    }

    #[test]
    fn stdin_is_written_through_a_control_socket() {
        let Ok(Mode::Container(args)) = parse(&["--control", "s", "--stdin"]) else {
            panic!("container mode expected");
        };
        assert!(args.interactive.open_stdin && args.interactive.control.is_some());
        assert!(parse(&["--stdin"]).is_err());
        let exec = "--exec --target-pid 1 --cgroup c --process p --exit-file e --control s";
        let Ok(Mode::Exec(args)) = Mode::parse(exec.split(' ').map(String::from)) else {
            panic!("exec mode expected");
        };
        assert!(!args.interactive.open_stdin && args.interactive.control.is_some());
    }
}
