"""The runtime's one door into `hydock._core`: overlay mounts, the shim, cgroups."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from hydock import _core
from hydock.runtime.spec import Mount


class ExitStatus(msgspec.Struct, frozen=True):
    """What the shim records when the container's first process has gone."""

    exit_code: int
    oom_killed: bool = False
    finished_at: str = ""


class ShimRecord(msgspec.Struct, frozen=True):
    """What the shim records once the container runs (shim.json): its pids and their start times."""

    pid: int
    shim_pid: int
    pid_start: int
    shim_start: int
    started_at: str


_exit_decoder = msgspec.json.Decoder(ExitStatus)
_shim_decoder = msgspec.json.Decoder(ShimRecord)


def mount_rootfs(lowers: list[Path], upper: Path, work: Path, target: Path) -> None:
    _core.mount_overlay([str(p) for p in lowers], str(upper), str(work), str(target))


def unmount(target: Path) -> None:
    _core.unmount(str(target))


def enter_private_mount_namespace() -> None:
    """Gives the calling thread a mount namespace of its own: what it mounts is gone when the thread ends."""
    _core.enter_private_mount_namespace()


def mount_inside(root: Path, mounts: list[Mount]) -> None:
    """Makes the OCI `mounts` inside the tree at `root`, as the runtime does in a container's."""
    _core.mount_inside(str(root), msgspec.json.encode(mounts))


def open_in_root(root_fd: int, path: str) -> int:
    """An O_PATH descriptor on `path` resolved inside the directory `root_fd`; raises OSError."""
    return _core.open_in_root(root_fd, path)


def start_shim(
    *,
    shim_dir: Path,
    bundle: Path,
    container_id: str,
    cgroup: str,
    log: Path | None,
    log_max_size: int | None,
    log_max_files: int,
    exit_file: Path,
    rootfs: Path,
    init: bool,
    auto_remove: bool,
    stdout_fd: int | None,
    stderr_fd: int | None,
    control: Path | None = None,
    open_stdin: bool = False,
) -> _core.Started:
    """`log` None keeps no log (Docker's `none` driver); with `log_max_size` the shim rotates it. With `control`
    the shim listens there for the container's stdin (given one by `open_stdin`) and terminal size."""
    return _core.start_container(
        str(shim_dir),
        str(bundle),
        container_id,
        cgroup,
        None if log is None else str(log),
        str(exit_file),
        str(rootfs),
        init=init,
        auto_remove=auto_remove,
        stdout_fd=stdout_fd,
        stderr_fd=stderr_fd,
        log_max_size=log_max_size,
        log_max_files=log_max_files,
        control=None if control is None else str(control),
        open_stdin=open_stdin,
    )


def start_exec(
    *,
    shim_dir: Path,
    bundle: Path,
    target_pid: int,
    cgroup: str,
    process_file: Path,
    exit_file: Path,
    stdout_fd: int | None,
    stderr_fd: int | None,
    control: Path | None = None,
    open_stdin: bool = False,
) -> _core.Started:
    return _core.start_exec(
        str(shim_dir),
        str(bundle),
        target_pid,
        cgroup,
        str(process_file),
        str(exit_file),
        stdout_fd=stdout_fd,
        stderr_fd=stderr_fd,
        control=None if control is None else str(control),
        open_stdin=open_stdin,
    )


def read_exit(status_fd: int) -> ExitStatus | None:
    """Blocks until the shim reports the exit on its status pipe; None if the shim died first."""
    with os.fdopen(status_fd, "rb", buffering=0) as pipe:
        line = b""
        while not line.endswith(b"\n"):
            chunk = pipe.read(4096)
            if not chunk:
                break
            line += chunk
    return _exit_decoder.decode(line) if line.strip() else None


def load_exit_file(path: Path) -> ExitStatus | None:
    try:
        return _exit_decoder.decode(path.read_bytes())
    except FileNotFoundError:
        return None


def load_shim_file(path: Path) -> ShimRecord | None:
    try:
        return _shim_decoder.decode(path.read_bytes())
    except FileNotFoundError:
        return None


def cgroup_stats(name: str) -> dict:
    return _core.cgroup_stats(name)


def destroy_cgroup(name: str) -> None:
    _core.cgroup_destroy(name)


def freeze_cgroup(name: str) -> None:
    _core.cgroup_freeze(name)


def thaw_cgroup(name: str) -> None:
    _core.cgroup_thaw(name)


def update_cgroup(
    name: str,
    *,
    memory: int | None = None,
    memory_swap: int | None = None,
    cpu_shares: int | None = None,
    cpu_quota: int | None = None,
    cpu_period: int | None = None,
    pids_limit: int | None = None,
) -> None:
    _core.cgroup_update(
        name,
        memory=memory,
        memory_swap=memory_swap,
        cpu_shares=cpu_shares,
        cpu_quota=cpu_quota,
        cpu_period=cpu_period,
        pids_limit=pids_limit,
    )


def cgroup_processes(name: str) -> list[int]:
    return _core.cgroup_processes(name)
