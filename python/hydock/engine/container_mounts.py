"""A container's mounts: what it asks for (`--volumes-from`, binds, `--mount`, its image's VOLUMEs, `--tmpfs`) turned
into the mount points recorded at create (volumes created as Docker does), and into the OCI mount entries of each
start and of the private views `cp` works in."""

from __future__ import annotations

import os
import posixpath
import secrets
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

import msgspec

from hydock.api_storage import MountPoint, MountSpec, TmpfsOptions
from hydock.engine.mount_specs import (
    MountRequest,
    parse_bind,
    parse_mount,
    parse_tmpfs,
    parse_volumes_from,
    tmpfs_mount_options,
)
from hydock.engine.records import ContainerRecord
from hydock.engine.root_archive import closing_fd
from hydock.engine.rootfs_views import mounted_rootfs, run_in_private_mounts
from hydock.engine.volumes import LOCAL_DRIVER, VolumeRecord, VolumeService
from hydock.errors import InvalidArgument, VolumeNotFound
from hydock.runtime import native
from hydock.runtime.spec import Mount
from hydock.store.layers import LayerStore, extract_tar


class MountsAsked(msgspec.Struct, kw_only=True):
    """Every way a container asks for mounts, as its create request carries them."""

    binds: list[str] = []
    mounts: list[MountSpec] = []
    tmpfs: dict[str, str] = {}
    volumes_from: list[str] = []
    image_volumes: list[str] = []
    """Destinations of the image's VOLUMEs and of `-v /path`: an anonymous volume each, unless mounted otherwise."""

    def uses_volumes(self) -> bool:
        """Whether volumes may be made or named (binds may name volumes; other containers' mounts may be volumes)."""
        named = any(mount.type == "volume" for mount in self.mounts)
        return bool(self.binds or self.volumes_from or self.image_volumes or named)


class PlannedMount(msgspec.Struct):
    point: MountPoint
    copy_data: bool
    """A new volume to fill with what the image has at the destination, if the volume is empty."""
    new_anonymous: bool = False


def _duplicate(destination: str) -> InvalidArgument:
    return InvalidArgument(f"Duplicate mount point: {destination}")


class ContainerMounts:
    def __init__(self, volumes: VolumeService, layers: LayerStore) -> None:
        self.volumes = volumes
        self.layers = layers

    def plan(
        self,
        container_id: str,
        asked: MountsAsked,
        lookup: Callable[[str], ContainerRecord],
        *,
        auto_remove: bool,
    ) -> list[PlannedMount]:
        """The mount points of a new container, in Docker's order of precedence; creates the volumes they name.
        The caller holds `volumes.lock()` until the container is recorded."""
        planned: dict[str, PlannedMount] = {}
        for text in asked.volumes_from:
            source_name, read_only = parse_volumes_from(text)
            for point in lookup(source_name).mounts:
                inherited = msgspec.structs.replace(point, r_w=point.r_w and not read_only, mode="")
                planned[point.destination] = PlannedMount(inherited, copy_data=False)
        tmpfs = {parse_tmpfs(destination, options).destination for destination, options in asked.tmpfs.items()}
        explicit: set[str] = set()
        requests = [parse_bind(text) for text in asked.binds]
        for request in requests:
            if request.destination in explicit or request.destination in tmpfs:
                raise _duplicate(request.destination)
            explicit.add(request.destination)
        for spec in asked.mounts:
            request = parse_mount(spec)
            if request.destination in explicit:
                raise _duplicate(spec.target)
            explicit.add(request.destination)
            requests.append(request)
        remove_with = container_id if auto_remove else ""
        try:
            for request in requests:
                planned[request.destination] = self._resolve(request, remove_with, relabel=True)
            for destination in asked.image_volumes:
                destination = posixpath.normpath(destination)
                if destination not in planned and destination not in tmpfs:
                    anonymous = MountRequest(type="volume", destination=destination)
                    planned[destination] = self._resolve(anonymous, remove_with, relabel=False)
        except BaseException:
            self.discard(list(planned.values()))
            raise
        return list(planned.values())

    def discard(self, planned: list[PlannedMount]) -> None:
        """Deletes the anonymous volumes made for a container whose creation failed; the caller holds the lock."""
        self.volumes.delete_locked([p.point.name for p in planned if p.new_anonymous])

    def _resolve(self, request: MountRequest, remove_with: str, *, relabel: bool) -> PlannedMount:
        """A mount point with its volume created (or found), and a `-v` host directory created if missing."""
        if request.type == "bind":
            if request.create_source and not os.path.lexists(request.source):
                os.makedirs(request.source, 0o755, exist_ok=True)
            point = MountPoint(
                type="bind",
                source=request.source,
                destination=request.destination,
                mode=request.mode,
                r_w=request.rw,
                propagation=request.propagation,
            )
            return PlannedMount(point, copy_data=False)
        if request.type == "tmpfs":
            point = MountPoint(
                type="tmpfs", source="", destination=request.destination, mode="", r_w=request.rw, propagation=""
            )
            return PlannedMount(point, copy_data=False)
        volume = self.volumes.create_locked(
            request.source,
            labels=request.volume_labels,
            options=request.volume_options,
            remove_with="" if request.source else remove_with,
        )
        point = MountPoint(
            type="volume",
            name=volume.name,
            source=str(self.volumes.data_dir(volume.name)),
            destination=request.destination,
            driver=LOCAL_DRIVER,
            # Docker marks the local volumes of binds and --mount for relabelling ("z"), not those of VOLUMEs.
            mode=request.mode or ("z" if relabel else ""),
            r_w=request.rw,
            propagation=request.propagation,
        )
        copy_data = request.copy_data and not volume.options
        return PlannedMount(point, copy_data, new_anonymous=not request.source)

    def populate(self, record: ContainerRecord, planned: list[PlannedMount]) -> None:
        """Docker's copy-up: each new volume that is still empty gets what the image has at its destination, owners
        and modes included (its own directory too)."""
        targets = [p.point for p in planned if p.copy_data and not any(self.volumes.data_dir(p.point.name).iterdir())]
        if not targets:
            return

        def copy_all() -> None:
            with mounted_rootfs(record) as root_fd:
                for point in targets:
                    self._copy_up(root_fd, point.destination, self.volumes.data_dir(point.name))

        run_in_private_mounts(copy_all)

    def _copy_up(self, root_fd: int, destination: str, target: Path) -> None:
        try:
            source = native.open_in_root(root_fd, destination)
        except (FileNotFoundError, NotADirectoryError):
            return
        with closing_fd(source):
            st = os.fstat(source)
            if not stat.S_ISDIR(st.st_mode):
                return
            # The layer tar writer and extractor keep owners, modes, times, xattrs and hard links.
            tar = target.parent / f".copy-up-{secrets.token_hex(6)}.tar"
            try:
                self.layers.diff(Path(f"/proc/self/fd/{source}"), tar, "none")
                extract_tar(str(tar), target)
            finally:
                tar.unlink(missing_ok=True)
            os.chown(target, st.st_uid, st.st_gid)
            os.chmod(target, stat.S_IMODE(st.st_mode))

    def spec_mounts(self, record: ContainerRecord) -> list[Mount]:
        """The OCI mount entries a start makes for the container's mount points and tmpfs, parents before their
        children (Docker sorts them by depth)."""
        tmpfs_specs = {posixpath.normpath(m.target): m for m in record.host_config.mounts or [] if m.type == "tmpfs"}
        mounts = []
        for point in record.mounts:
            read_only = [] if point.r_w else ["ro"]
            if point.type == "bind":
                propagation = point.propagation or "rprivate"
                mounts.append(Mount(point.destination, "bind", point.source, ["rbind", propagation, *read_only]))
            elif point.type == "volume":
                mounts.append(_volume_mount(point, self.volumes.record(point.name), self.volumes.data_dir(point.name)))
            else:
                spec = tmpfs_specs.get(point.destination)
                words = tmpfs_mount_options(
                    (spec.tmpfs_options if spec else None) or TmpfsOptions(), read_only=not point.r_w
                )
                mounts.append(Mount(point.destination, "tmpfs", "tmpfs", words))
        for destination, text in (record.host_config.tmpfs or {}).items():
            request = parse_tmpfs(destination, text)
            mounts.append(Mount(request.destination, "tmpfs", "tmpfs", request.tmpfs_options))
        return sorted(mounts, key=lambda mount: mount.destination.rstrip("/").count("/"))

    def view_mounts(self, record: ContainerRecord) -> list[Mount]:
        """What a private view of the stopped container mounts besides its rootfs: its binds and local volumes
        (as Docker's archive endpoints see them), not filesystems that would be new and empty."""
        return [mount for mount in self.spec_mounts(record) if mount.type == "bind"]

    def anonymous_volumes(self, record: ContainerRecord) -> list[str]:
        """The container's volumes that were created without a name: what `rm -v` removes with it."""
        names = []
        for point in record.mounts:
            if point.type == "volume":
                try:
                    if self.volumes.record(point.name).anonymous:
                        names.append(point.name)
                except VolumeNotFound:
                    continue
        return names


def _volume_mount(point: MountPoint, volume: VolumeRecord, data_dir: os.PathLike[str]) -> Mount:
    """A local volume: its `_data` bound, or with driver options (`-o type=... device=... o=...`) the filesystem
    they name mounted straight into the container."""
    read_only = [] if point.r_w else ["ro"]
    options = volume.options
    if not options:
        return Mount(point.destination, "bind", str(data_dir), ["rbind", "rprivate", *read_only])
    words = [word for word in options.get("o", "").split(",") if word]
    if "bind" in words or "rbind" in words:
        rest = [word for word in words if word not in ("bind", "rbind")]
        return Mount(point.destination, "bind", options["device"], ["rbind", "rprivate", *rest, *read_only])
    return Mount(point.destination, options["type"], options["device"], [*words, *read_only])


def volume_users(records: Iterable[ContainerRecord]) -> dict[str, list[str]]:
    """Volume name -> IDs of the containers that mount it."""
    users: dict[str, list[str]] = {}
    for record in records:
        for point in record.mounts:
            if point.type == "volume":
                users.setdefault(point.name, []).append(record.id)
    return users
