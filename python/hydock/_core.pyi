"""Typed surface of the Rust extension (rust/hydock-py). Errors are raised as hydock.errors types."""

from typing import final

@final
class ApplyStats:
    digest: str
    diff_id: str
    compressed_size: int
    size: int
    compression: str

@final
class DiffStats:
    digest: str
    diff_id: str
    compressed_size: int
    size: int

@final
class Started:
    pid: int
    shim_pid: int
    status_fd: int

def apply_layer(source: int | str, target: str, tee: str | None = None) -> ApplyStats:
    """Unpack a layer tar (plain/gzip/zstd) onto `target`; raises LayerError naming the entry."""

def digest_layer(source: int | str) -> ApplyStats:
    """Read a layer blob (plain/gzip/zstd) to its end and hash it, raw and decompressed, without
    unpacking it; raises LayerError."""

def diff_layer(upper: str, out: str, compression: str = "gzip", mtime: int | None = None) -> DiffStats:
    """Write the layer tar of an overlay upper dir to `out`; raises LayerError."""

def spread_layers(path: str) -> None:
    """Ask the filesystem (ext4's FS_TOPDIR_FL) to spread the subdirectories of `path` over its disk."""

def mount_overlay(lowers: list[str], upper: str, work: str, target: str) -> None:
    """Mount overlayfs (lowers top-most first); raises MountError."""

def unmount(target: str) -> None: ...
def enter_private_mount_namespace() -> None:
    """Give the calling thread a mount namespace of its own (a slave copy of its current one): what it mounts
    stays invisible elsewhere and is gone when the thread ends. Raises MountError."""

def mount_inside(root: str, mounts: bytes) -> None:
    """Mount the OCI mount entries (a JSON array) inside the tree at `root`, creating their mount points inside
    it; raises MountError."""

def open_in_root(root_fd: int, path: str) -> int:
    """An O_PATH descriptor (the caller's to close) on `path` resolved inside the directory `root_fd` with
    RESOLVE_IN_ROOT: no symlink or `..` leads out of it. Raises OSError with the errno."""

def start_container(
    shim_dir: str,
    bundle: str,
    id: str,
    cgroup: str,
    log: str | None,
    exit_file: str,
    rootfs_mount: str,
    init: bool = False,
    auto_remove: bool = False,
    stdout_fd: int | None = None,
    stderr_fd: int | None = None,
    log_max_size: int | None = None,
    log_max_files: int = 1,
    control: str | None = None,
    open_stdin: bool = False,
) -> Started:
    """Start the bundle under its shim; raises ContainerStartError (with step and exit_code).

    The shim writes the json-file `log` (none if None), rotating it when it would pass `log_max_size` bytes and
    keeping `log_max_files` files in all. With `control` it listens on that unix socket for the container's stdin
    (a pipe when `open_stdin`, else /dev/null; the pty when the spec asks for a terminal) and its window size."""

def start_exec(
    shim_dir: str,
    bundle: str,
    target_pid: int,
    cgroup: str,
    process_json: str,
    exit_file: str,
    stdout_fd: int | None = None,
    stderr_fd: int | None = None,
    control: str | None = None,
    open_stdin: bool = False,
) -> Started:
    """Start the OCI process in `process_json` inside the running container of `target_pid`
    (joining its namespaces and `cgroup`) under a shim in exec mode; raises ContainerStartError.
    `control` and `open_stdin` as for start_container."""

def cgroup_stats(name: str) -> dict[str, object]: ...
def cgroup_destroy(name: str) -> None: ...
def cgroup_freeze(name: str) -> None: ...
def cgroup_thaw(name: str) -> None: ...
def cgroup_update(
    name: str,
    *,
    memory: int | None = None,
    memory_swap: int | None = None,
    cpu_shares: int | None = None,
    cpu_quota: int | None = None,
    cpu_period: int | None = None,
    pids_limit: int | None = None,
) -> None:
    """Changes a live cgroup's limits; None leaves a setting as it is (Docker's conventions: -1 unlimited)."""

def cgroup_processes(name: str) -> list[int]: ...
def create_netns(path: str) -> int:
    """Creates a network namespace pinned (bind-mounted) at the new file `path`; returns the fd of a netlink
    (NETLINK_ROUTE, datagram) socket inside it, the caller's to close. Raises NetworkError."""

def netns_route_socket(path: str) -> int:
    """The fd of a netlink socket inside the namespace at `path` (a pin or /proc/PID/ns/net); the caller's to close."""

def remove_netns(path: str) -> None:
    """Unpins the namespace at `path` and deletes the pin; one already gone is not an error."""
