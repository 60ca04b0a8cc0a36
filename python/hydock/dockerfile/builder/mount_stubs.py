"""Mount points a RUN container needs that its image lacks (/etc/hosts, /run/secrets/ID...), made in a layer of
their own under the container's upper dir, so that the runtime finds them and the step's layer does not get them.

Directories on the way that the image has are made with the image's owner, mode and times: the topmost layer
holding a directory decides what a container sees of it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple

from hydock.dockerfile.builder.sources import resolve_in

# What every container mounts (runtime.defaults and the /etc files the engine writes); /dev's submounts live in
# its tmpfs.
CONTAINER_MOUNT_POINTS = (
    ("/proc", True),
    ("/dev", True),
    ("/sys", True),
    ("/etc/resolv.conf", False),
    ("/etc/hostname", False),
    ("/etc/hosts", False),
)


class MountPoint(NamedTuple):
    path: str
    directory: bool


def make_stubs(root: Path, points: list[MountPoint], stubs: Path) -> bool:
    """Makes under `stubs` each of `points` missing from the root filesystem mounted at `root`; whether any was."""
    times: list[tuple[Path, int, int]] = []
    for point in points:
        resolved = resolve_in(root, point.path)
        if not resolved or os.path.lexists(os.path.join(root, resolved)):
            continue
        parts = resolved.split("/")
        for depth in range(1, len(parts)):
            _copy_dir(root, "/".join(parts[:depth]), stubs, times)
        target = stubs.joinpath(*parts)
        if point.directory:
            target.mkdir(mode=0o755, exist_ok=True)
        else:
            target.touch(mode=0o644, exist_ok=True)
    # Making entries in a directory changes its times: they are given last.
    for path, atime, mtime in reversed(times):
        os.utime(path, ns=(atime, mtime))
    return any(stubs.iterdir())


def _copy_dir(root: Path, path: str, stubs: Path, times: list[tuple[Path, int, int]]) -> None:
    """The directory `path` of the stub layer, as the image has it, or a plain 0755 one where it has none."""
    target = stubs / path
    if target.exists():
        return
    target.mkdir(mode=0o755)
    try:
        info = os.lstat(os.path.join(root, path))
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        os.chown(target, info.st_uid, info.st_gid)
        os.chmod(target, stat.S_IMODE(info.st_mode))
        times.append((target, info.st_atime_ns, info.st_mtime_ns))
