"""A tar unpacked into a directory inside a container's root (PUT /containers/{id}/archive), as Docker's Untar does
it: missing parents created, owners kept (or all set to one, for `cp -a`), directory times set last. Each entry is
made relative to an open directory on a single name, never through a symlink, so links the container made cannot
lead outside its root."""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import tarfile
from typing import BinaryIO

from hydock.engine.root_archive import closing_fd
from hydock.errors import InvalidArgument
from hydock.runtime import native

_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_O_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_XATTR = "SCHILY.xattr."
_DEVICE_TYPES = {tarfile.CHRTYPE: stat.S_IFCHR, tarfile.BLKTYPE: stat.S_IFBLK, tarfile.FIFOTYPE: stat.S_IFIFO}


def _relative(name: str, destination: str) -> str:
    """An entry's path below the destination, cleaned as Go's filepath.Clean and joined; "" for the destination
    itself. A name that climbs out of it is refused, as Docker refuses it."""
    cleaned = posixpath.normpath(name or ".").lstrip("/")
    if cleaned == ".." or cleaned.startswith("../"):
        raise InvalidArgument(f'"{name}" is outside of "{destination}"')
    return "" if cleaned == "." else cleaned


class _Extractor:
    def __init__(self, root_fd: int, destination: str, owner: tuple[int, int] | None, no_overwrite: bool) -> None:
        self.root_fd = root_fd
        self.destination = destination
        self.owner = owner
        self.no_overwrite = no_overwrite
        self.directory_times: list[tuple[str, int]] = []

    def open_dir(self, relative: str) -> int:
        """The directory `relative` below the destination, its missing parts created (root-owned, 0755)."""
        path = self.destination
        for part in [p for p in relative.split("/") if p]:
            try:
                os.close(native.open_in_root(self.root_fd, posixpath.join(path, part)))
            except FileNotFoundError:
                parent = native.open_in_root(self.root_fd, path)
                try:
                    os.mkdir(part, 0o755, dir_fd=parent)
                    os.chown(part, 0, 0, dir_fd=parent, follow_symlinks=False)
                finally:
                    os.close(parent)
            path = posixpath.join(path, part)
        return native.open_in_root(self.root_fd, path)

    def extract(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        relative = _relative(member.name, self.destination)
        if not relative:
            return  # the destination itself: left as it is
        parent_path, name = posixpath.split(relative)
        with closing_fd(self.open_dir(parent_path)) as parent:
            self._clear(parent, name, relative, member)
            self._create(tar, member, parent, name, relative)

    def _clear(self, parent: int, name: str, relative: str, member: tarfile.TarInfo) -> None:
        """Makes room for the entry, as Docker replaces whatever is there unless both are directories."""
        try:
            existing = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        path = posixpath.join(self.destination, relative)
        is_dir = stat.S_ISDIR(existing.st_mode)
        if self.no_overwrite and is_dir and not member.isdir():
            raise InvalidArgument(f'cannot overwrite directory "{path}" with non-directory "{self.destination}"')
        if self.no_overwrite and not is_dir and member.isdir():
            raise InvalidArgument(f'cannot overwrite non-directory "{path}" with directory "{self.destination}"')
        if is_dir and not member.isdir():
            shutil.rmtree(name, dir_fd=parent)
        elif not is_dir:
            os.unlink(name, dir_fd=parent)

    def _ids(self, member: tarfile.TarInfo) -> tuple[int, int]:
        return self.owner if self.owner is not None else (member.uid, member.gid)

    def _create(self, tar: tarfile.TarFile, member: tarfile.TarInfo, parent: int, name: str, relative: str) -> None:
        uid, gid = self._ids(member)
        mode = member.mode & 0o7777
        times = (int(member.mtime * 1e9), int(member.mtime * 1e9))
        if member.isreg():
            fd = os.open(name, _O_NEW_FILE, 0o600, dir_fd=parent)
            with open(fd, "wb") as out:
                source = tar.extractfile(member)
                if source is not None:
                    shutil.copyfileobj(source, out, 1 << 20)
                self._finish(fd, uid, gid, mode, member)
                os.utime(fd, ns=times)
        elif member.isdir():
            try:
                os.mkdir(name, 0o700, dir_fd=parent)
            except FileExistsError:
                pass  # a directory already: merged, taking the entry's metadata
            with closing_fd(os.open(name, _O_DIR, dir_fd=parent)) as fd:
                self._finish(fd, uid, gid, mode, member)
            self.directory_times.append((relative, times[1]))
        elif member.issym():
            self._check_symlink(relative, member.linkname)
            os.symlink(member.linkname, name, dir_fd=parent)
            os.chown(name, uid, gid, dir_fd=parent, follow_symlinks=False)
            os.utime(name, ns=times, dir_fd=parent, follow_symlinks=False)
        elif member.islnk():
            target_dir, target_name = posixpath.split(_relative(member.linkname, self.destination))
            source_path = posixpath.join(self.destination, target_dir)
            with closing_fd(native.open_in_root(self.root_fd, source_path)) as source_dir:
                os.link(target_name, name, src_dir_fd=source_dir, dst_dir_fd=parent, follow_symlinks=False)
        elif member.type in _DEVICE_TYPES:
            kind = _DEVICE_TYPES[member.type]
            os.mknod(name, kind | 0o600, os.makedev(member.devmajor, member.devminor), dir_fd=parent)
            os.chown(name, uid, gid, dir_fd=parent, follow_symlinks=False)
            with closing_fd(os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)) as fd:
                # Through the descriptor's own /proc link: the node itself, whatever is at the name by now.
                if stat.S_IFMT(os.fstat(fd).st_mode) == kind:
                    os.chmod(f"/proc/self/fd/{fd}", mode)
            os.utime(name, ns=times, dir_fd=parent, follow_symlinks=False)
        else:
            raise InvalidArgument(f"{member.name}: unsupported tar entry type {member.type!r}")

    def _check_symlink(self, relative: str, target: str) -> None:
        """Docker refuses a relative link whose target climbs above the destination."""
        joined = posixpath.normpath(posixpath.join("/", posixpath.dirname(relative), target.lstrip("/")))
        if joined.startswith("/.."):
            path = posixpath.join(self.destination, relative)
            raise InvalidArgument(f'invalid symlink "{path}" -> "{target}"')

    @staticmethod
    def _finish(fd: int, uid: int, gid: int, mode: int, member: tarfile.TarInfo) -> None:
        """Owner, then mode (a chown clears set-id bits), then extended attributes."""
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        for key, value in member.pax_headers.items():
            if key.startswith(_XATTR):
                try:
                    os.setxattr(fd, key[len(_XATTR) :], value.encode("utf-8", "surrogateescape"))
                except OSError:
                    pass  # an attribute this filesystem does not take is skipped, as Docker skips it

    def set_directory_times(self) -> None:
        for relative, mtime in reversed(self.directory_times):
            parent_path, name = posixpath.split(relative)
            with closing_fd(self.open_dir(parent_path)) as parent:
                os.utime(name, ns=(mtime, mtime), dir_fd=parent, follow_symlinks=False)


def extract(
    root_fd: int,
    destination: str,
    source: BinaryIO,
    *,
    owner: tuple[int, int] | None = None,
    no_overwrite_dir_non_dir: bool = False,
) -> None:
    """Unpacks the tar (plain or compressed) from `source` into the existing directory `destination`, a clean
    absolute path inside the root."""
    extractor = _Extractor(root_fd, destination, owner, no_overwrite_dir_non_dir)
    with tarfile.open(fileobj=source, mode="r|*") as tar:
        for member in tar:
            extractor.extract(tar, member)
    extractor.set_directory_times()
