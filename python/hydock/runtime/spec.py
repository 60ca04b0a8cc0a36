"""The OCI runtime spec (config.json) as msgspec Structs: the part of it hydock writes."""

from __future__ import annotations

import msgspec

OCI_VERSION = "1.2.0"


class User(msgspec.Struct, rename="camel", omit_defaults=True):
    uid: int = 0
    gid: int = 0
    additional_gids: list[int] | None = None


class Capabilities(msgspec.Struct, omit_defaults=True):
    bounding: list[str] = []
    effective: list[str] = []
    permitted: list[str] = []
    inheritable: list[str] = []
    ambient: list[str] = []


class Rlimit(msgspec.Struct):
    type: str
    hard: int
    soft: int


class Process(msgspec.Struct, rename="camel", omit_defaults=True):
    args: list[str]
    cwd: str
    user: User = msgspec.field(default_factory=User)
    env: list[str] = []
    terminal: bool = False
    capabilities: Capabilities | None = None
    rlimits: list[Rlimit] | None = None
    no_new_privileges: bool = False
    oom_score_adj: int | None = None


class Root(msgspec.Struct, omit_defaults=True):
    path: str
    readonly: bool = False


class Mount(msgspec.Struct, omit_defaults=True):
    destination: str
    type: str = ""
    source: str = ""
    options: list[str] = []


class Namespace(msgspec.Struct, omit_defaults=True):
    type: str
    path: str = ""


class Device(msgspec.Struct, rename="camel", omit_defaults=True):
    type: str
    path: str
    major: int
    minor: int
    file_mode: int = 0o666
    uid: int = 0
    gid: int = 0


class Memory(msgspec.Struct, omit_defaults=True):
    limit: int | None = None
    reservation: int | None = None
    swap: int | None = None


class Cpu(msgspec.Struct, omit_defaults=True):
    shares: int | None = None
    quota: int | None = None
    period: int | None = None
    cpus: str | None = None
    mems: str | None = None


class Pids(msgspec.Struct):
    limit: int


class Resources(msgspec.Struct, omit_defaults=True):
    memory: Memory | None = None
    cpu: Cpu | None = None
    pids: Pids | None = None


class Linux(msgspec.Struct, rename="camel", omit_defaults=True):
    namespaces: list[Namespace] = []
    devices: list[Device] = []
    resources: Resources | None = None
    cgroups_path: str = ""
    masked_paths: list[str] = []
    readonly_paths: list[str] = []
    rootfs_propagation: str = ""


class Spec(msgspec.Struct, rename="camel", omit_defaults=True):
    oci_version: str
    process: Process
    root: Root
    hostname: str = ""
    mounts: list[Mount] = []
    linux: Linux = msgspec.field(default_factory=Linux)
    annotations: dict[str, str] | None = None
