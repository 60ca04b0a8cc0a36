"""Files inside a container's root the way `docker cp` sees them: a path's stat, a tar of a path, a tar unpacked into
a directory. Every lookup goes through RESOLVE_IN_ROOT (native.open_in_root) and every change is made relative to
an open directory on a single name, never following a symlink, so nothing in the container can lead outside it."""

from __future__ import annotations

import errno
import os
import posixpath
import stat
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from hydock.api_storage import PathStat
from hydock.runtime import native

# Go's os.FileMode bits, which PathStat.mode carries.
GO_MODE_DIR = 1 << 31
GO_MODE_SYMLINK = 1 << 27
GO_MODE_DEVICE = 1 << 26
GO_MODE_NAMED_PIPE = 1 << 25
GO_MODE_SOCKET = 1 << 24
GO_MODE_SETUID = 1 << 23
GO_MODE_SETGID = 1 << 22
GO_MODE_CHAR_DEVICE = 1 << 21
GO_MODE_STICKY = 1 << 20

_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_O_PATH = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_SYMLINKS = 255
_TAR_TYPES = {stat.S_IFLNK: tarfile.SYMTYPE, stat.S_IFCHR: tarfile.CHRTYPE, stat.S_IFBLK: tarfile.BLKTYPE}


def go_file_mode(st_mode: int) -> int:
    mode = stat.S_IMODE(st_mode) & 0o777
    mode |= {
        stat.S_IFDIR: GO_MODE_DIR,
        stat.S_IFLNK: GO_MODE_SYMLINK,
        stat.S_IFBLK: GO_MODE_DEVICE,
        stat.S_IFCHR: GO_MODE_DEVICE | GO_MODE_CHAR_DEVICE,
        stat.S_IFIFO: GO_MODE_NAMED_PIPE,
        stat.S_IFSOCK: GO_MODE_SOCKET,
    }.get(stat.S_IFMT(st_mode), 0)
    for bit, go_bit in ((stat.S_ISUID, GO_MODE_SETUID), (stat.S_ISGID, GO_MODE_SETGID), (stat.S_ISVTX, GO_MODE_STICKY)):
        if st_mode & bit:
            mode |= go_bit
    return mode


def rfc3339_nano(ns: int) -> str:
    """Go's RFC3339Nano in UTC: fractional seconds without trailing zeros."""
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000))
    fraction = f"{ns % 1_000_000_000:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def go_base(path: str) -> str:
    """Go's filepath.Base: the last element, trailing slashes ignored; "/" for the root."""
    stripped = path.rstrip("/")
    return posixpath.basename(stripped) if stripped else "/"


def asserts_directory(path: str) -> bool:
    """A path ending in `/` or `/.` says it names a directory (its last symlink is followed)."""
    return path.endswith("/") or go_base(path) == "."


def container_path(path: str) -> str:
    """`path` made absolute and clean inside the container, keeping a trailing `/` or `/.` (Docker's
    PreserveTrailingDotOrSeparator)."""
    cleaned = posixpath.normpath("/" + path.lstrip("/"))
    if go_base(path) == "." and go_base(cleaned) != ".":
        cleaned = cleaned.rstrip("/") + "/."
    elif path.endswith("/") and not cleaned.endswith("/"):
        cleaned += "/"
    return cleaned


@contextmanager
def closing_fd(fd: int) -> Iterator[int]:
    """Closes the descriptor when the block ends."""
    try:
        yield fd
    finally:
        os.close(fd)


class Located:
    """A path found in the root: the directory holding it and its name there ("." for the directory itself)."""

    def __init__(self, parent_fd: int, name: str, st: os.stat_result) -> None:
        self.parent_fd = parent_fd
        self.name = name
        self.stat = st

    def close(self) -> None:
        os.close(self.parent_fd)


def locate(root_fd: int, path: str) -> Located:
    """`path` as Docker's archive endpoints look it up: every symlink before the last element followed inside the
    root, the last one too only when the path asserts a directory. Raises OSError (ENOENT, ENOTDIR...)."""
    absolute = container_path(path)
    if absolute == "/" or asserts_directory(absolute):
        fd = native.open_in_root(root_fd, absolute)
        st = os.stat(fd)
        if not stat.S_ISDIR(st.st_mode):
            os.close(fd)
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), absolute)
        return Located(fd, ".", st)
    parent, name = posixpath.split(absolute)
    parent_fd = native.open_in_root(root_fd, parent)
    try:
        return Located(parent_fd, name, os.stat(name, dir_fd=parent_fd, follow_symlinks=False))
    except BaseException:
        os.close(parent_fd)
        raise


def resolve_symlinks(root_fd: int, path: str) -> str:
    """The container path `path` leads to with every symlink followed inside the root, as far as it exists (Docker's
    FollowSymlinkInScope): what a symlink's PathStat reports as its link target."""
    resolved = "/"
    pending = [part for part in path.split("/") if part]
    followed = 0
    while pending:
        part = pending.pop(0)
        if part == ".":
            continue
        if part == "..":
            resolved = posixpath.dirname(resolved)
            continue
        try:
            with closing_fd(native.open_in_root(root_fd, resolved)) as dir_fd:
                target = os.readlink(part, dir_fd=dir_fd)
        except OSError:
            resolved = posixpath.join(resolved, part)  # not a symlink, or not there: taken as it is
            continue
        followed += 1
        if followed > _MAX_SYMLINKS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
        pending = [part for part in target.split("/") if part] + pending
        if target.startswith("/"):
            resolved = "/"
    return resolved


def stat_path(root_fd: int, path: str) -> PathStat:
    """What HEAD /containers/{id}/archive reports of `path`."""
    found = locate(root_fd, path)
    found.close()
    absolute = container_path(path)
    link_target = resolve_symlinks(root_fd, absolute) if stat.S_ISLNK(found.stat.st_mode) else ""
    return PathStat(
        name=go_base(absolute),
        size=found.stat.st_size,
        mode=go_file_mode(found.stat.st_mode),
        mtime=rfc3339_nano(found.stat.st_mtime_ns),
        link_target=link_target,
    )


class _TarWriter:
    """Entries as Docker's tarballer writes them: numeric owners, directories ending in `/`, repeated inodes as
    hard links, sockets left out. With `devices`, a directory on any other filesystem is archived empty."""

    def __init__(self, out: BinaryIO, devices: frozenset[int] | None = None) -> None:
        self.tar = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT)  # noqa: SIM115 - closed by close()
        self.links: dict[tuple[int, int], str] = {}
        self.devices = devices

    def add(self, parent_fd: int, name: str, archive_name: str) -> None:
        """The entry `name` of the directory `parent_fd` ("." for the directory itself), and all below it."""
        st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        kind = stat.S_IFMT(st.st_mode)
        if kind == stat.S_IFSOCK:
            return
        info = tarfile.TarInfo(archive_name + "/" if kind == stat.S_IFDIR and archive_name != "/" else archive_name)
        info.mode, info.uid, info.gid, info.mtime = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_mtime
        if kind != stat.S_IFDIR and st.st_nlink > 1:
            first = self.links.setdefault((st.st_dev, st.st_ino), archive_name)
            if first != archive_name:
                info.type, info.linkname = tarfile.LNKTYPE, first
                self.tar.addfile(info)
                return
        if kind == stat.S_IFREG:
            with open(os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd), "rb") as data:
                info.size = os.fstat(data.fileno()).st_size
                self.tar.addfile(info, data)
        elif kind == stat.S_IFDIR:
            info.type = tarfile.DIRTYPE
            self.tar.addfile(info)
            if self.devices is not None and st.st_dev not in self.devices:
                return
            with closing_fd(os.open(name, _O_DIR, dir_fd=parent_fd)) as dir_fd:
                self.add_children(dir_fd, archive_name if archive_name.endswith("/") else archive_name + "/")
        else:
            info.type = _TAR_TYPES.get(kind, tarfile.FIFOTYPE)
            if kind == stat.S_IFLNK:
                info.linkname = os.readlink(name, dir_fd=parent_fd)
            if kind in (stat.S_IFCHR, stat.S_IFBLK):
                info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
            self.tar.addfile(info)

    def add_children(self, dir_fd: int, prefix: str) -> None:
        for name in sorted(os.listdir(dir_fd)):
            self.add(dir_fd, name, prefix + name)

    def close(self) -> None:
        self.tar.close()


def write_path(root_fd: int, path: str, out: BinaryIO, devices: frozenset[int] | None = None) -> None:
    """The tar GET /containers/{id}/archive sends: `path` (and all below it) named after its last element; with
    `devices`, only the directories on those filesystems have their contents archived."""
    found = locate(root_fd, path)
    try:
        writer = _TarWriter(out, devices)
        writer.add(found.parent_fd, found.name, go_base(container_path(path)))
        writer.close()
    finally:
        found.close()


def write_tree(dir_fd: int, out: BinaryIO) -> None:
    """A tar of everything below the directory `dir_fd`, named relative to it (what `export` sends)."""
    writer = _TarWriter(out)
    with closing_fd(os.open(".", _O_DIR, dir_fd=dir_fd)) as readable:
        writer.add_children(readable, "")
    writer.close()
