"""Unpacking a container's tar into a host directory for `cp CONTAINER:SRC DEST`, so that nothing lands outside it.

The rules are moby's (pkg/archive's Unpack and createTarFile): an entry's path must stay inside the directory, a
relative symlink must point inside it, a hard link must name something inside it; an absolute symlink is made as it
is. Beyond moby's lexical checks, paths are also resolved through the symlinks that earlier entries made, so that
`e -> /etc` followed by `e/passwd` is refused too. tarfile's extraction filters would do part of this, but they only
came with Python 3.11.4 (PEP 706), and Debian 12's Python has none.
"""

from __future__ import annotations

import copy
import os
import tarfile
from collections.abc import Iterator
from typing import Any

from hydock.cli.cp_paths import rebased
from hydock.errors import LocalError

# Every entry is checked here; tarfile's own filter (Python 3.12 on, and 'data' by default from 3.14) would refuse
# the absolute symlinks Docker copies.
_NO_FILTER: dict[str, Any] = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}


def extract_confined(tar: tarfile.TarFile, directory: str, old: str, new: str, owner: tuple[int, int] | None) -> None:
    """Unpacks the tar into `directory`, its top entry renamed from `old` to `new`; entries are owned by `owner` when
    it is given, else by the IDs the tar records. As Docker's, a directory is never replaced by a file nor the other
    way round. Entries before a refused one stay extracted, as with Docker."""
    root = os.path.realpath(directory)
    tar.extractall(root, members=_confined(tar, root, old, new, owner), numeric_owner=True, **_NO_FILTER)


def _confined(
    tar: tarfile.TarFile, root: str, old: str, new: str, owner: tuple[int, int] | None
) -> Iterator[tarfile.TarInfo]:
    """The tar's entries renamed and checked; the generator runs in step with the extraction, so each entry is checked
    against what the entries before it made."""
    for member in tar:
        entry = copy.copy(member)
        entry.name = rebased(member.name, old, new).lstrip("/")
        if member.islnk():
            entry.linkname = rebased(member.linkname, old, new).lstrip("/")
        _check_confined(entry, root)
        _check_kind_kept(entry, os.path.join(root, entry.name), root)
        if owner is not None:
            entry.uid, entry.gid = owner
        entry.uname = entry.gname = ""
        yield entry


def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _stays_inside(root: str, path: str) -> bool:
    return _inside(root, os.path.normpath(path)) and _inside(root, os.path.realpath(path))


def _check_confined(entry: tarfile.TarInfo, root: str) -> None:
    path = os.path.join(root, entry.name)
    if not _stays_inside(root, path):
        raise _refused(entry, f"it is outside of {root!r}")
    if entry.issym() and not os.path.isabs(entry.linkname):
        if not _stays_inside(root, os.path.join(os.path.dirname(path), entry.linkname)):
            raise _refused(entry, f"invalid symlink to {entry.linkname!r}, outside of {root!r}")
    if entry.islnk() and not _stays_inside(root, os.path.join(root, entry.linkname)):
        raise _refused(entry, f"invalid hard link to {entry.linkname!r}, outside of {root!r}")


def _check_kind_kept(entry: tarfile.TarInfo, target: str, root: str) -> None:
    if not os.path.lexists(target) or os.path.islink(target):
        return
    existing_dir = os.path.isdir(target)
    if existing_dir and not entry.isdir():
        raise LocalError(f'cannot overwrite directory "{target}" with non-directory "{root}"')
    if not existing_dir and entry.isdir():
        raise LocalError(f'cannot overwrite non-directory "{target}" with directory "{root}"')


def _refused(entry: tarfile.TarInfo, why: str) -> LocalError:
    return LocalError(f"refusing to extract {entry.name!r}: {why}")
