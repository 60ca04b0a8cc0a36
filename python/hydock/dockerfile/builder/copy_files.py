"""Putting files into a mounted root filesystem the way COPY does: destinations resolved inside the root (its
symlinks followed, never out of it), directories merged, anything else in the way replaced, owners, modes and
times set."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import NamedTuple

from hydock.dockerfile.builder.sources import Entry, resolve_in
from hydock.errors import BuildError

_CHUNK = 1 << 30


class Owner(NamedTuple):
    uid: int
    gid: int


ROOT = Owner(0, 0)


class Placement(NamedTuple):
    """How copied entries are given their owner and mode: `owner` None keeps each entry's own (a stage's files
    without --chown); `mode` None keeps each entry's."""

    owner: Owner | None
    mode: int | None


def child(parent: str, name: str) -> str:
    """`name` in the directory `parent` (relative to the root, "" for the root itself)."""
    return f"{parent}/{name}" if parent else name


class RootWriter:
    """Writes into the root filesystem mounted at `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dir_times: list[tuple[str, int, int]] = []

    def host(self, path: str) -> str:
        """The host path of `path` (inside the root, whether written with a leading `/` or not)."""
        relative = os.path.normpath(path.lstrip("/")) if path.strip("/") else ""
        if relative.startswith(".."):
            raise BuildError(f"{path}: outside the root filesystem")
        return os.path.join(self.root, relative) if relative else str(self.root)

    def is_dir(self, path: str) -> bool:
        """Whether `path` (absolute in the root) is a directory, its symlinks followed inside the root."""
        return os.path.isdir(self.host(resolve_in(self.root, path)))

    def make_dirs(self, path: str, owner: Owner) -> str:
        """Creates `path` and any missing parent (mode 0755, `owner`); returns it resolved inside the root."""
        resolved = ""
        for part in path.strip("/").split("/"):
            if not part:
                continue
            resolved = resolve_in(self.root, f"{resolved}/{part}")
            host = self.host(resolved)
            if os.path.isdir(host) and not os.path.islink(host):
                continue
            if os.path.lexists(host):
                raise BuildError(f"cannot copy to /{resolved}: not a directory")
            os.mkdir(host, 0o755)
            os.chown(host, owner.uid, owner.gid)
            os.chmod(host, 0o755)
        return resolved

    def copy_tree(self, entries: list[Entry], target: str, placement: Placement) -> None:
        """Copies a directory's entries (the first is the directory itself) into the directory `target`
        (resolved), merging with what is there."""
        dirs = {"": target}
        for entry in entries[1:]:
            parent, _, name = entry.path.rpartition("/")
            where = child(self._directory(dirs, parent, placement), name)
            if stat.S_ISDIR(entry.stat.st_mode):
                dirs[entry.path] = self._merge_dir(where, entry, placement)
            else:
                self.place(entry, where, placement)

    def _directory(self, dirs: dict[str, str], path: str, placement: Placement) -> str:
        """Where the source directory `path` went; one .dockerignore left out (something below it was brought
        back) is made plain, as untarring makes a missing parent."""
        if path in dirs:
            return dirs[path]
        parent, _, name = path.rpartition("/")
        where = child(self._directory(dirs, parent, placement), name)
        owner = placement.owner or ROOT
        dirs[path] = self.make_dirs(where, owner)
        return dirs[path]

    def _merge_dir(self, path: str, entry: Entry, placement: Placement) -> str:
        host = self.host(path)
        if os.path.islink(host):
            resolved = resolve_in(self.root, path)
            if os.path.isdir(self.host(resolved)):
                return resolved
        if not (os.path.isdir(host) and not os.path.islink(host)):
            _remove(host)
            os.mkdir(host, 0o700)
        self._set_meta(host, entry, placement, follow=True)
        self._dir_times.append((host, entry.stat.st_atime_ns, entry.stat.st_mtime_ns))
        return path

    def place(self, entry: Entry, path: str, placement: Placement) -> None:
        """Writes one file, symlink or special file at `path` (its parent resolved), replacing what is there."""
        host = self.host(path)
        if os.path.isdir(host) and not os.path.islink(host):
            shutil.rmtree(host)
        else:
            _remove(host)
        mode = entry.stat.st_mode
        if stat.S_ISREG(mode):
            _copy_file(entry.host_path, host)
        elif stat.S_ISLNK(mode):
            os.symlink(entry.link, host)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
            os.mknod(host, stat.S_IFMT(mode) | 0o600, entry.stat.st_rdev)
        else:
            return  # sockets mean nothing without the process that bound them
        self._set_meta(host, entry, placement, follow=False)
        os.utime(host, ns=(entry.stat.st_atime_ns, entry.stat.st_mtime_ns), follow_symlinks=False)

    def write_file(self, path: str, data: bytes, owner: Owner, mode: int) -> None:
        """A file made of `data` (a here-document, a download) at `path`, its parent resolved."""
        host = self.host(path)
        if os.path.isdir(host) and not os.path.islink(host):
            shutil.rmtree(host)
        else:
            _remove(host)
        fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchown(fd, owner.uid, owner.gid)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)

    def _set_meta(self, host: str, entry: Entry, placement: Placement, *, follow: bool) -> None:
        owner = placement.owner or Owner(entry.stat.st_uid, entry.stat.st_gid)
        os.chown(host, owner.uid, owner.gid, follow_symlinks=follow)
        if not stat.S_ISLNK(entry.stat.st_mode):
            os.chmod(host, placement.mode if placement.mode is not None else stat.S_IMODE(entry.stat.st_mode))

    def finish(self) -> None:
        """Gives copied directories their times last: writing into a directory changes its mtime."""
        for host, atime, mtime in reversed(self._dir_times):
            os.utime(host, ns=(atime, mtime), follow_symlinks=False)
        self._dir_times.clear()


def _remove(host: str) -> None:
    try:
        os.unlink(host)
    except FileNotFoundError:
        pass


def _copy_file(source: str, target: str) -> None:
    src = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            while os.sendfile(dst, src, None, _CHUNK):
                pass
        finally:
            os.close(dst)
    finally:
        os.close(src)
