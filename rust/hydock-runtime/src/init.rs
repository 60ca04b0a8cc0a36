//! The child side of `spawn`: every setup step from namespaces to execve, in order, with each
//! failure reported to the parent as (step, message, kind) before the child exits.

use std::convert::Infallible;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use nix::sys::socket::{send, MsgFlags};
use nix::sys::stat::{umask, Mode};
use oci_spec::runtime::{Linux, LinuxNamespace, LinuxNamespaceType, Process, Spec};

use crate::caps::CapabilityPlan;
use crate::cgroup_mount::OwnCgroups;
use crate::error::SpawnError;
use crate::exec::Command;
use crate::spawn::{SpawnOptions, Stdio};
use crate::terminal::{self, Console};
use crate::{
    devices, mounts, namespaces, paths, process_attrs, rootfs, signals, stdio, tiny_init, user,
};

/// Everything the child needs, checked by the parent before it forks.
pub(crate) struct ContainerPlan<'a> {
    pub spec: &'a Spec,
    pub process: &'a Process,
    pub linux: Option<&'a Linux>,
    pub namespaces: &'a [LinuxNamespace],
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    pub stdio: Stdio,
    pub capabilities: CapabilityPlan,
    pub init: bool,
}

impl<'a> ContainerPlan<'a> {
    pub(crate) fn new(
        spec: &'a Spec,
        bundle: &Path,
        opts: &SpawnOptions,
    ) -> Result<Self, SpawnError> {
        let process = spec
            .process()
            .as_ref()
            .ok_or_else(|| SpawnError::other("spec", "config.json has no process"))?;
        let root = spec
            .root()
            .as_ref()
            .ok_or_else(|| SpawnError::other("spec", "config.json has no root"))?;
        let rootfs = bundle.join(root.path());
        let rootfs = rootfs
            .canonicalize()
            .map_err(|e| SpawnError::other("rootfs", format!("{}: {e}", rootfs.display())))?;
        let linux = spec.linux().as_ref();
        let namespaces = linux
            .and_then(|l| l.namespaces().as_deref())
            .unwrap_or_default();
        namespaces::check_supported(namespaces).map_err(|e| SpawnError::other("namespaces", e))?;
        if !namespaces
            .iter()
            .any(|ns| ns.typ() == LinuxNamespaceType::Mount)
        {
            // Every mount below would otherwise land in the caller's mount namespace.
            return Err(SpawnError::other(
                "namespaces",
                "a mount namespace is required",
            ));
        }
        let capabilities = CapabilityPlan::from_spec(process.capabilities().as_ref())
            .map_err(|e| SpawnError::other("capabilities", e))?;
        let stdio = Stdio::for_process(process, opts)?;
        Ok(ContainerPlan {
            spec,
            process,
            linux,
            namespaces,
            bundle: bundle.to_path_buf(),
            rootfs,
            stdio,
            capabilities,
            init: opts.init,
        })
    }
}

/// Ends the forked child at once: no destructors, no atexit handlers, no stdio flush of buffers
/// that belong to the caller's process.
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit only terminates the calling process; it has no preconditions.
    unsafe { libc::_exit(code) }
}

/// Runs in the forked child: waits for the parent's go, then `set_up` (given the channel to the
/// parent), which ends in execve and returns only an error. Never returns.
pub(crate) fn run_child(
    channel: OwnedFd,
    set_up: impl FnOnce(BorrowedFd<'_>) -> Result<Infallible, SpawnError>,
) -> ! {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        wait_for_go(&channel);
        set_up(channel.as_fd())
    }));
    let error = match outcome {
        Ok(Ok(never)) => match never {},
        Ok(Err(error)) => error,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned());
            SpawnError::other(
                "spawn",
                format!("container setup panicked: {}", what.unwrap_or_default()),
            )
        }
    };
    report(&channel, &error);
    exit_now(127)
}

/// Blocks until the parent has run `before_start`. EOF means the parent gave up on this child.
fn wait_for_go(channel: &OwnedFd) {
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(channel, &mut byte) {
            Ok(1) => return,
            Err(nix::errno::Errno::EINTR) => continue,
            _ => exit_now(1),
        }
    }
}

/// Best effort: if the parent is gone there is nobody left to tell.
fn report(channel: &OwnedFd, error: &SpawnError) {
    let bytes = error.encode();
    let mut sent = 0;
    while sent < bytes.len() {
        match send(channel.as_raw_fd(), &bytes[sent..], MsgFlags::MSG_NOSIGNAL) {
            Ok(n) => sent += n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
        }
    }
}

pub(crate) fn step<E: std::fmt::Display>(name: &'static str) -> impl FnOnce(E) -> SpawnError {
    move |err| SpawnError::other(name, err)
}

pub(crate) fn set_up_and_exec(
    plan: &ContainerPlan<'_>,
    channel: BorrowedFd<'_>,
) -> Result<Infallible, SpawnError> {
    // Modes of created mount points and devices must not depend on the caller's umask.
    umask(Mode::from_bits_truncate(0o022));
    if let Stdio::Fds(fds) = &plan.stdio {
        stdio::install(fds.fds).map_err(step("stdio"))?;
    }
    // Read before entering a cgroup namespace, which would hide the host paths.
    let cgroups = own_cgroups_if_mounted(plan)?;
    let entered = namespaces::enter(plan.namespaces).map_err(step("namespaces"))?;
    set_oom_score_adj(plan.process)?;
    build_filesystem(plan, &cgroups)?;
    let terminal = matches!(plan.stdio, Stdio::Terminal);
    if terminal {
        terminal::attach_new_pty(channel, plan.process.user().uid(), Console::Bind)
            .map_err(step("terminal"))?;
    }
    let (hostname, domainname) = (plan.spec.hostname(), plan.spec.domainname());
    process_attrs::set_names(hostname.as_deref(), domainname.as_deref(), entered.uts)
        .map_err(step("hostname"))?;
    set_up_process(plan.process, &plan.capabilities, terminal)?;
    let command = Command::resolve(plan.process)?;
    if plan.init {
        tiny_init::become_init().map_err(step("init"))?;
    }
    exec(command)
}

pub(crate) fn set_oom_score_adj(process: &Process) -> Result<(), SpawnError> {
    match process.oom_score_adj() {
        Some(value) => process_attrs::set_oom_score_adj(value).map_err(step("oom score")),
        None => Ok(()),
    }
}

/// The last step: signal dispositions back to defaults, then execve; returns only on failure.
pub(crate) fn exec(command: Command) -> Result<Infallible, SpawnError> {
    signals::reset_for_exec().map_err(step("signals"))?;
    Err(command.exec())
}

fn own_cgroups_if_mounted(plan: &ContainerPlan<'_>) -> Result<OwnCgroups, SpawnError> {
    let mounts = plan.spec.mounts().as_deref().unwrap_or_default();
    if mounts
        .iter()
        .any(|m| matches!(m.typ().as_deref(), Some("cgroup" | "cgroup2")))
    {
        OwnCgroups::discover().map_err(step("mounts"))
    } else {
        Ok(OwnCgroups::default())
    }
}

/// Mounts, devices and pivot_root, then what is applied to the container's own view of `/`
/// (sysctls go through /proc/sys before it is made read-only).
fn build_filesystem(plan: &ContainerPlan<'_>, cgroups: &OwnCgroups) -> Result<(), SpawnError> {
    let spec = plan.spec;
    let root = rootfs::prepare(&plan.rootfs).map_err(step("mounts"))?;
    let mounts = spec.mounts().as_deref().unwrap_or_default();
    let mounted =
        mounts::mount_all(root.as_fd(), mounts, &plan.bundle, cgroups).map_err(step("mounts"))?;
    let devices = plan
        .linux
        .and_then(|l| l.devices().as_deref())
        .unwrap_or_default();
    devices::create_devices(root.as_fd(), devices, mounted.dev_is_tmpfs)
        .map_err(step("devices"))?;
    rootfs::pivot_into(&root).map_err(step("pivot_root"))?;
    let readonly = spec
        .root()
        .as_ref()
        .and_then(|r| r.readonly())
        .unwrap_or(false);
    let propagation = plan.linux.and_then(|l| l.rootfs_propagation().as_deref());
    rootfs::finish(readonly, propagation).map_err(step("pivot_root"))?;
    if let Some(linux) = plan.linux {
        process_attrs::set_sysctls(linux.sysctl().iter().flatten()).map_err(step("sysctl"))?;
        paths::mask(linux.masked_paths().as_deref().unwrap_or_default())
            .map_err(step("masked paths"))?;
        paths::make_readonly(linux.readonly_paths().as_deref().unwrap_or_default())
            .map_err(step("readonly paths"))?;
    }
    Ok(())
}

/// The process's own attributes, ending with the user switch and capabilities, then the cwd.
/// Shared by a container's first process and the ones `exec_in` starts. With `terminal`, the
/// pty on its stdin becomes the controlling terminal of its new session.
pub(crate) fn set_up_process(
    process: &Process,
    capabilities: &CapabilityPlan,
    terminal: bool,
) -> Result<(), SpawnError> {
    process_attrs::set_rlimits(process.rlimits().as_deref().unwrap_or_default())
        .map_err(step("rlimits"))?;
    nix::unistd::setsid().map_err(step("setsid"))?;
    if terminal {
        terminal::take_control().map_err(step("terminal"))?;
    }
    capabilities
        .limit_bounding_set()
        .map_err(step("capabilities"))?;
    user::switch_user(process.user()).map_err(step("user"))?;
    capabilities
        .apply_process_sets()
        .map_err(step("capabilities"))?;
    let cwd = process.cwd();
    nix::unistd::chdir(cwd).map_err(|e| {
        let reason = e.desc().to_lowercase();
        SpawnError::other(
            "cwd",
            format!("chdir to cwd ({cwd:?}) set in config.json failed: {reason}"),
        )
    })?;
    if process.no_new_privileges().unwrap_or(false) {
        nix::sys::prctl::set_no_new_privs().map_err(step("no new privileges"))?;
    }
    Ok(())
}
