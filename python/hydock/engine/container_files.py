"""`cp`, `export` and `diff` on a container. While it runs, its files are seen as its processes see them
(/proc/PID/root: volumes and tmpfs included; its bare rootfs for export); when stopped, as its rootfs with its binds
and volumes mounted in a private view (rootfs_views), the container kept from starting meanwhile."""

from __future__ import annotations

import errno
import os
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from hydock.api_storage import Change, PathStat
from hydock.engine.containers import ContainerService
from hydock.engine.records import ContainerRecord
from hydock.engine.root_archive import closing_fd, locate, resolve_symlinks, stat_path, write_path, write_tree
from hydock.engine.root_extract import extract
from hydock.engine.rootfs_views import mounted_rootfs, run_in_private_mounts
from hydock.engine.upper_changes import upper_changes
from hydock.errors import HydockError, InvalidArgument, NotFound
from hydock.runtime import native
from hydock.runtime.users import resolve_user

T = TypeVar("T")
_O_ROOT = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC


class ContainerFiles:
    def __init__(self, containers: ContainerService) -> None:
        self.containers = containers

    def _in_root(self, name: str, work: Callable[[int, ContainerRecord], T], *, volumes: bool = True) -> T:
        """`work(root_fd, record)` on the container's files; `volumes` False sees its rootfs alone."""
        container_id = self.containers.resolve(name)
        record = self.containers.inspect(container_id)
        if record.state.running:
            root = f"/proc/{record.state.pid}/root" if volumes else record.graph_driver.data["MergedDir"]
            try:
                fd = os.open(root, _O_ROOT)
            except FileNotFoundError:
                pass  # it has just stopped: seen as a stopped one below
            else:
                with closing_fd(fd):
                    return work(fd, record)
        with self.containers.exclusive(container_id):
            record = self.containers.inspect(container_id)
            if record.state.running:
                raise InvalidArgument(f"container {name} started while its files were being opened; try again")
            mounts = self.containers.mounts.view_mounts(record) if volumes else None

            def in_view() -> T:
                with mounted_rootfs(record, mounts) as fd:
                    return work(fd, record)

            return run_in_private_mounts(in_view)

    def stat(self, name: str, path: str) -> PathStat:
        """HEAD /containers/{id}/archive: what `path` is in the container."""
        return self._in_root(name, lambda root, _: _not_found_as(name, path, lambda: stat_path(root, path)))

    def get_archive(self, name: str, path: str, out: BinaryIO) -> None:
        """GET /containers/{id}/archive: a tar of `path` (all below it, for a directory) written to `out`. As in
        Docker, the contents of the container's rootfs, binds and volumes, not of its proc, sys, dev or tmpfs."""

        def write(root: int, record: ContainerRecord) -> None:
            devices = _archived_devices(root, record)
            _not_found_as(name, path, lambda: write_path(root, path, out, devices))

        self._in_root(name, write)

    def put_archive(
        self,
        name: str,
        path: str,
        source: BinaryIO,
        *,
        copy_uid_gid: bool = False,
        no_overwrite_dir_non_dir: bool = False,
    ) -> None:
        """PUT /containers/{id}/archive: the tar from `source` unpacked into the directory `path`. With
        `copy_uid_gid` (`cp -a`) its files belong to the container's user, when it has one."""

        def unpack(root: int, record: ContainerRecord) -> None:
            destination = _not_found_as(name, path, lambda: _directory(root, path))
            _check_writable(record, destination)
            owner = None
            if copy_uid_gid and record.config.user:
                user = resolve_user(Path(f"/proc/self/fd/{root}"), record.config.user)
                owner = (user.uid, user.gid)
            try:
                extract(root, destination, source, owner=owner, no_overwrite_dir_non_dir=no_overwrite_dir_non_dir)
            except OSError as exc:
                if exc.errno == errno.EROFS:
                    raise InvalidArgument("container rootfs is marked read-only") from None
                raise

        self._in_root(name, unpack)

    def export(self, name: str, out: BinaryIO) -> None:
        """GET /containers/{id}/export: a tar of the container's root filesystem, without its volumes."""
        self._in_root(name, lambda root, _: write_tree(root, out), volumes=False)

    def changes(self, name: str) -> list[Change]:
        """GET /containers/{id}/changes: what its writable layer changed from its image."""
        record = self.containers.inspect(name)
        data = record.graph_driver.data
        return upper_changes(Path(data["UpperDir"]), [Path(p) for p in data["LowerDir"].split(":")])


def _archived_devices(root: int, record: ContainerRecord) -> frozenset[int]:
    """The filesystems of the container's rootfs and of its binds and volumes, as its root shows them."""
    devices = {os.fstat(root).st_dev}
    for point in record.mounts:
        if point.type != "tmpfs":
            try:
                with closing_fd(native.open_in_root(root, point.destination)) as fd:
                    devices.add(os.fstat(fd).st_dev)
            except OSError:
                continue
    return frozenset(devices)


def _not_found_as(name: str, path: str, work: Callable[[], T]) -> T:
    """Docker's 404 for a path the container lacks; other failures to look it up, with the path."""
    try:
        return work()
    except FileNotFoundError:
        raise NotFound(f"Could not find the file {path} in container {name}") from None
    except OSError as exc:
        if exc.filename is None:
            raise
        raise HydockError(f"lstat {path}: {(exc.strerror or str(exc)).lower()}") from None


def _directory(root: int, path: str) -> str:
    """The extraction point: `path` with every symlink followed, which must be a directory."""
    try:
        locate(root, posixpath.join(path, ".")).close()
    except NotADirectoryError:
        raise InvalidArgument("extraction point is not a directory") from None
    return resolve_symlinks(root, path)


def _check_writable(record: ContainerRecord, destination: str) -> None:
    """Docker's checks before unpacking: a read-only volume, or a read-only rootfs outside any volume, refuses."""
    mounted = [p for p in record.mounts if destination == p.destination or destination.startswith(p.destination + "/")]
    if mounted:
        deepest = max(mounted, key=lambda point: len(point.destination))
        if not deepest.r_w:
            raise InvalidArgument("mounted volume is marked read-only")
    elif record.host_config.readonly_rootfs:
        raise InvalidArgument("container rootfs is marked read-only")
