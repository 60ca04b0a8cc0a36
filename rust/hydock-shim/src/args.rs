//! Command line of the shim, parsed by hand: it is spawned only by hydock, and staying free of
//! an argument-parsing crate keeps the binary (and each running shim) small.

use std::path::PathBuf;

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
    pub log: PathBuf,
    pub exit_file: PathBuf,
    pub rootfs_mount: Option<PathBuf>,
    pub init: bool,
    pub attach: bool,
    /// Delete the bundle (the container's directory) once the container has exited.
    pub auto_remove: bool,
}

impl Args {
    fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut bundle = None;
        let mut id = None;
        let mut cgroup = None;
        let mut log = None;
        let mut exit_file = None;
        let mut rootfs_mount = None;
        let mut init = false;
        let mut attach = false;
        let mut auto_remove = false;
        while let Some(arg) = argv.next() {
            let mut value = |name: &str| argv.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--bundle" => bundle = Some(PathBuf::from(value("--bundle")?)),
                "--id" => id = Some(value("--id")?),
                "--cgroup" => cgroup = Some(value("--cgroup")?),
                "--log" => log = Some(PathBuf::from(value("--log")?)),
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
            log: log.ok_or_else(|| missing("--log"))?,
            exit_file: exit_file.ok_or_else(|| missing("--exit-file"))?,
            rootfs_mount,
            init,
            attach,
            auto_remove,
        })
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
}

impl ExecArgs {
    fn parse(mut argv: impl Iterator<Item = String>) -> Result<ExecArgs, String> {
        let mut target_pid = None;
        let mut cgroup = None;
        let mut process = None;
        let mut exit_file = None;
        let mut attach = false;
        while let Some(arg) = argv.next() {
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
        })
    }
}
