"""Container records in Docker's inspect shape (PascalCase), stored on disk and sent on the wire."""

from __future__ import annotations

import msgspec

from hydock.api_network import EndpointSettings, NetworkSettings, PortMap
from hydock.api_storage import MountPoint, MountSpec
from hydock.api_types import LogConfig, RestartPolicy
from hydock.store.records import ContainerConfig as StoreContainerConfig
from hydock.store.records import HealthConfig
from hydock.wire import docker_name


class ContainerConfig(msgspec.Struct, rename=docker_name, omit_defaults=False):
    hostname: str = ""
    domainname: str = ""
    user: str = ""
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False
    exposed_ports: dict[str, dict] | None = None
    tty: bool = False
    open_stdin: bool = False
    stdin_once: bool = False
    env: list[str] = []
    cmd: list[str] | None = None
    # Absent rather than null when unset, as Docker omits them.
    healthcheck: HealthConfig | msgspec.UnsetType = msgspec.UNSET
    image: str = ""
    volumes: dict[str, dict] | None = None
    working_dir: str = ""
    entrypoint: list[str] | None = None
    labels: dict[str, str] = {}
    stop_signal: str = ""
    shell: list[str] | msgspec.UnsetType = msgspec.UNSET


class HostConfig(msgspec.Struct, rename=docker_name):
    binds: list[str] | None = None
    network_mode: str = "bridge"
    port_bindings: PortMap = {}
    publish_all_ports: bool = False
    dns: list[str] = []
    dns_options: list[str] = []
    dns_search: list[str] = []
    extra_hosts: list[str] | None = None
    links: list[str] | None = None
    """Links to containers on the default bridge, as `/web:/client/www` (dockerd's form); a user-defined network's
    are its endpoint's (NetworkSettings.Networks.<net>.Links)."""
    restart_policy: RestartPolicy = msgspec.field(default_factory=RestartPolicy)
    log_config: LogConfig = msgspec.field(default_factory=lambda: LogConfig(config={}))
    auto_remove: bool = False
    privileged: bool = False
    readonly_rootfs: bool = False
    init: bool | None = None
    cap_add: list[str] | None = None
    cap_drop: list[str] | None = None
    security_opt: list[str] | None = None
    memory: int = 0
    memory_swap: int = 0
    nano_cpus: int = 0
    cpu_shares: int = 0
    cpu_quota: int = 0
    cpu_period: int = 0
    pids_limit: int | None = None
    volumes_from: list[str] | None = None
    mounts: list[MountSpec] | None = None
    tmpfs: dict[str, str] | None = None


class HealthcheckResult(msgspec.Struct, rename=docker_name):
    """One probe's run: its times, exit code (-1 when it could not run or timed out) and output."""

    start: str
    end: str
    exit_code: int
    output: str


class Health(msgspec.Struct, rename=docker_name):
    """State.Health: "starting", "healthy" or "unhealthy", the consecutive failures, the last results (oldest first)."""

    status: str
    failing_streak: int = 0
    log: list[HealthcheckResult] = []


class ContainerState(msgspec.Struct, rename=docker_name):
    status: str = "created"
    running: bool = False
    paused: bool = False
    restarting: bool = False
    oom_killed: bool = False
    dead: bool = False
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: str = "0001-01-01T00:00:00Z"
    finished_at: str = "0001-01-01T00:00:00Z"
    # Only containers with a healthcheck that have been started have one; Docker omits it for the others.
    health: Health | msgspec.UnsetType = msgspec.UNSET
    has_been_manually_stopped: bool = False
    shim_pid: int = 0
    shim_start: int = 0
    pid_start: int = 0


class GraphDriver(msgspec.Struct, rename=docker_name):
    name: str = "overlay2"
    data: dict[str, str] = {}


class ContainerRecord(msgspec.Struct, rename=docker_name):
    """Everything `inspect` shows except the live state, which is kept in its own file."""

    id: str
    created: str
    path: str
    args: list[str]
    image: str
    name: str
    config: ContainerConfig
    host_config: HostConfig
    graph_driver: GraphDriver
    network_settings: NetworkSettings = msgspec.field(default_factory=NetworkSettings)
    """Kept in its own file (network.json), which connect, disconnect, start and exit change."""
    mounts: list[MountPoint] = []
    resolv_conf_path: str = ""
    hostname_path: str = ""
    hosts_path: str = ""
    log_path: str = ""
    driver: str = "overlay2"
    platform: str = "linux"
    restart_count: int = 0
    state: ContainerState = msgspec.field(default_factory=ContainerState)


class Interactive(msgspec.Struct, kw_only=True):
    """Docker's stdio settings of a container: its terminal (-t), an open stdin (-i), and which streams the creator
    attaches to, with `stdin_once` closing the stdin when the first attached client ends it."""

    tty: bool = False
    open_stdin: bool = False
    stdin_once: bool = False
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False


class RunOptions(msgspec.Struct, kw_only=True):
    """What `run`/`create` are asked for, before it is turned into a record."""

    name: str | None = None
    env: list[str] = []
    workdir: str | None = None
    user: str | None = None
    hostname: str | None = None
    entrypoint: list[str] | None = None
    labels: dict[str, str] = {}
    memory: int = 0
    nano_cpus: int = 0
    cpu_shares: int = 0
    pids_limit: int | None = None
    read_only: bool = False
    network: str = "bridge"
    networks: dict[str, EndpointSettings] = {}
    """Per network: aliases, the address asked for (--ip), the MAC (--mac-address); the `network` one included."""
    port_bindings: PortMap = {}
    publish_all: bool = False
    exposed_ports: dict[str, dict] = {}
    """`--expose`d ports, besides the image's."""
    dns: list[str] = []
    dns_search: list[str] = []
    dns_options: list[str] = []
    extra_hosts: list[str] = []
    links: list[str] = []
    """HostConfig.Links, `NAME[:ALIAS]`: kept for the default bridge (and none); ignored on a user-defined network,
    whose links are asked for in its endpoint settings, as dockerd does."""
    init: bool = False
    privileged: bool = False
    cap_add: list[str] = []
    cap_drop: list[str] = []
    no_new_privileges: bool = False
    auto_remove: bool = False
    restart: str = "no"
    # None: the default driver (json-file) without options.
    log_config: LogConfig | None = None
    binds: list[str] = []
    mounts: list[MountSpec] = []
    tmpfs: dict[str, str] = {}
    volumes_from: list[str] = []
    volumes: list[str] = []
    """Destinations that get an anonymous volume each, besides the image's VOLUMEs (`-v /path`)."""
    interactive: Interactive = msgspec.field(default_factory=Interactive)
    healthcheck: HealthConfig | None = None
    """Merged over the image's (`Test` empty or durations zero: the image's); `["NONE"]` disables it."""
    shell: list[str] | None = None
    """The shell CMD-SHELL healthchecks run with (the API's Config.Shell); /bin/sh -c when unset."""


class ImageRootFS(msgspec.Struct, rename=docker_name):
    type: str = "layers"
    layers: list[str] = []


class ImageInspect(msgspec.Struct, rename=docker_name):
    id: str
    repo_tags: list[str]
    repo_digests: list[str]
    parent: str
    comment: str
    created: str
    docker_version: str
    author: str
    config: StoreContainerConfig
    architecture: str
    os: str
    size: int
    virtual_size: int
    graph_driver: GraphDriver
    root_f_s: ImageRootFS
    metadata: dict[str, str]
    # The legacy builder's container and its config; hydock keeps neither, and Docker's are empty too for images
    # BuildKit built or `import` made. docker-compose 1.x reads ContainerConfig.Volumes when it recreates.
    container: str = ""
    container_config: StoreContainerConfig = msgspec.field(default_factory=StoreContainerConfig)
