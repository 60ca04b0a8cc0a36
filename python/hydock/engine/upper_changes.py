"""`diff`: what a container changed (added, changed, deleted), read from its overlay upper dir and reported as Docker
reports its comparison of the container's rootfs with the image's. The mount points the runtime itself makes in every
container are left out: Docker keeps them in an init layer below the writable one."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from hydock.api_storage import Change
from hydock.runtime.defaults import default_mounts

KIND_MODIFIED, KIND_ADDED, KIND_DELETED = 0, 1, 2
# build_spec binds these three files over every container's own (created empty when its image lacks them).
RUNTIME_PATHS = frozenset(
    {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"} | {m.destination for m in default_mounts(privileged=False)}
)
_OPAQUE = "trusted.overlay.opaque"


def _walk(directory: Path, prefix: str = "/") -> Iterator[tuple[str, os.stat_result]]:
    """(container path, lstat) of everything below `directory`, parents first, names in byte order (Go's Walk)."""
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        path = prefix + entry.name
        st = entry.stat(follow_symlinks=False)
        yield path, st
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(Path(entry.path), path + "/")


def _whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _opaque(host_path: Path) -> bool:
    try:
        return os.getxattr(host_path, _OPAQUE, follow_symlinks=False) == b"y"
    except OSError:
        return False


def _same_directory(upper: os.stat_result, lower: os.stat_result) -> bool:
    """Docker's test of a directory: its times and size say nothing (moby#9874), its mode and owners do."""
    return (upper.st_mode, upper.st_uid, upper.st_gid) == (lower.st_mode, lower.st_uid, lower.st_gid)


def upper_changes(upper: Path, lowers: list[Path]) -> list[Change]:
    """The changes of the upper dir over `lowers` (top-most first), as Docker's comparison of a container's rootfs
    with its image's reports them: every directory above a change counted as changed, sorted by path."""
    changes: dict[str, int] = {}
    for path, st in _walk(upper):
        if path in RUNTIME_PATHS:
            continue
        below = _in_lowers(lowers, path)
        if _whiteout(st):
            kind = KIND_DELETED
        elif below is None:
            kind = KIND_ADDED
        elif stat.S_ISDIR(st.st_mode) and stat.S_ISDIR(below.st_mode) and _same_directory(st, below):
            if not _opaque(upper / path.lstrip("/")):
                continue  # only in the upper dir because something below it changed
            kind = KIND_MODIFIED
        else:
            kind = KIND_MODIFIED
        changes.setdefault(path, kind)
        for parent in Path(path).parents:
            if str(parent) != "/":
                changes.setdefault(str(parent), KIND_MODIFIED)
    return [Change(path, kind) for path, kind in sorted(changes.items())]


def _in_lowers(lowers: list[Path], path: str) -> os.stat_result | None:
    for lower in lowers:
        try:
            return os.lstat(lower / path.lstrip("/"))
        except OSError:
            continue
    return None
