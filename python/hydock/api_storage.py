"""Engine API bodies for storage: mounts asked for (HostConfig.Mounts) and made (inspect's Mounts), volumes, and a
container's files (path stats for `cp`, changes for `diff`), as msgspec Structs shared by hydockd and its clients."""

from __future__ import annotations

import msgspec

from hydock.wire import docker_name


class BindOptions(msgspec.Struct, rename=docker_name, omit_defaults=True):
    propagation: str = ""
    non_recursive: bool = False


class DriverConfig(msgspec.Struct, rename=docker_name, omit_defaults=True):
    name: str = ""
    options: dict[str, str] | None = None


class VolumeOptions(msgspec.Struct, rename=docker_name, omit_defaults=True):
    no_copy: bool = False
    labels: dict[str, str] | None = None
    driver_config: DriverConfig | None = None


class TmpfsOptions(msgspec.Struct, rename=docker_name, omit_defaults=True):
    size_bytes: int = 0
    mode: int = 0


class MountSpec(msgspec.Struct, rename=docker_name, omit_defaults=True):
    """A HostConfig.Mounts entry (Docker's mount.Mount, `--mount`): a host path bound, a volume, or a tmpfs at
    `target`."""

    type: str
    target: str
    source: str = ""
    read_only: bool = False
    consistency: str = ""
    bind_options: BindOptions | None = None
    volume_options: VolumeOptions | None = None
    tmpfs_options: TmpfsOptions | None = None


class MountPoint(msgspec.Struct, rename=docker_name, kw_only=True, omit_defaults=True):
    """What a container has mounted (inspect's Mounts, ps's Mounts): a bind, a volume or a tmpfs, in Docker's field
    order (Name and Driver only for volumes)."""

    type: str
    name: str = ""
    source: str
    destination: str
    driver: str = ""
    mode: str
    r_w: bool
    propagation: str


class VolumeUsage(msgspec.Struct, rename=docker_name):
    """Only in `system df`: bytes under the volume (-1 when not computed) and how many containers use it."""

    size: int
    ref_count: int


class Volume(msgspec.Struct, rename=docker_name, kw_only=True, omit_defaults=True):
    """A volume in Docker's shape and field order (UsageData only in `system df`)."""

    created_at: str
    driver: str
    labels: dict[str, str] | None
    mountpoint: str
    name: str
    options: dict[str, str] | None
    scope: str
    usage_data: VolumeUsage | None = None


class VolumeCreateBody(msgspec.Struct, rename=docker_name, omit_defaults=True):
    name: str = ""
    driver: str = ""
    driver_opts: dict[str, str] | None = None
    labels: dict[str, str] | None = None


class VolumeList(msgspec.Struct, rename=docker_name):
    volumes: list[Volume]
    warnings: list[str] | None = None


class VolumePruneResponse(msgspec.Struct, rename=docker_name):
    volumes_deleted: list[str] | None
    space_reclaimed: int


PATH_STAT_HEADER = "X-Docker-Container-Path-Stat"


class PathStat(msgspec.Struct, rename="camel"):
    """A path in a container (HEAD /containers/{id}/archive, base64 JSON in X-Docker-Container-Path-Stat). `mode` is
    a Go os.FileMode; `link_target` the symlink's target resolved inside the container."""

    name: str
    size: int
    mode: int
    mtime: str
    link_target: str = ""


class Change(msgspec.Struct, rename=docker_name):
    """One entry of GET /containers/{id}/changes: Kind 0 modified, 1 added, 2 deleted."""

    path: str
    kind: int
