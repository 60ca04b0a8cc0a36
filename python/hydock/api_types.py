"""Request and response bodies of the Docker Engine API (v1.41), shared by hydockd and its clients, as msgspec Structs."""

from __future__ import annotations

import msgspec

from hydock.api_network import NetworkingConfig, PortMap, SummaryNetworkSettings
from hydock.api_storage import MountPoint, MountSpec, Volume
from hydock.wire import docker_name

API_VERSION = "1.41"
MIN_API_VERSION = "1.24"


class ErrorResponse(msgspec.Struct):
    message: str


class HealthcheckBody(msgspec.Struct, rename=docker_name, omit_defaults=True):
    """Config.Healthcheck of a create body. Null stands for Go's zero value: docker-py sends null for what it was
    not given. Durations in nanoseconds; an empty Test or a zero inherits the image's."""

    test: list[str] | None = None
    interval: int | None = None
    timeout: int | None = None
    start_period: int | None = None
    start_interval: int | None = None
    retries: int | None = None


class CreateConfig(msgspec.Struct, rename=docker_name, omit_defaults=True):
    """`Config` part of POST /containers/create (plus HostConfig); unknown fields are ignored."""

    hostname: str = ""
    domainname: str = ""
    user: str = ""
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False
    tty: bool = False
    open_stdin: bool = False
    stdin_once: bool = False
    env: list[str] | None = None
    cmd: list[str] | None = None
    healthcheck: HealthcheckBody | None = None
    entrypoint: list[str] | None = None
    image: str = ""
    working_dir: str = ""
    labels: dict[str, str] | None = None
    stop_signal: str = ""
    volumes: dict[str, dict] | None = None
    exposed_ports: dict[str, dict] | None = None
    mac_address: str = ""
    shell: list[str] | None = None


class RestartPolicy(msgspec.Struct, rename=docker_name):
    """Docker's restart policy: "no", "always", "unless-stopped" or "on-failure" (with a retry cap)."""

    name: str = "no"
    maximum_retry_count: int = 0


def restart_policy_from_text(text: str) -> RestartPolicy | None:
    """`--restart` as the API's object (None for "no"); the daemon validates the name."""
    if not text or text == "no":
        return None
    name, _, count = text.partition(":")
    return RestartPolicy(name, int(count) if count.isdigit() else 0)


def restart_policy_text(policy: RestartPolicy | None) -> str:
    """The API's object as `--restart` spells it: "no", "always", "on-failure:3"..."""
    if policy is None or not policy.name:
        return "no"
    if policy.name == "on-failure" and policy.maximum_retry_count:
        return f"on-failure:{policy.maximum_retry_count}"
    return policy.name


class LogConfig(msgspec.Struct, rename=docker_name):
    """HostConfig.LogConfig: the logging driver and its options (`--log-driver`, `--log-opt`).

    In a create body an empty Type means the default driver and Config may be null, as Go clients send them; a
    container's record always has both.
    """

    type: str = "json-file"
    config: dict[str, str] | None = None


class CreateHostConfig(msgspec.Struct, rename=docker_name, omit_defaults=True):
    network_mode: str = ""
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
    binds: list[str] | None = None
    mounts: list[MountSpec] | None = None
    tmpfs: dict[str, str] | None = None
    volumes_from: list[str] | None = None
    port_bindings: PortMap | None = None
    publish_all_ports: bool = False
    dns: list[str] | None = None
    dns_options: list[str] | None = None
    dns_search: list[str] | None = None
    extra_hosts: list[str] | None = None
    links: list[str] | None = None
    restart_policy: RestartPolicy | None = None
    log_config: LogConfig | None = None


class CreateBody(CreateConfig, rename=docker_name, omit_defaults=True):
    host_config: CreateHostConfig | None = None
    networking_config: NetworkingConfig | None = None


class CreateResponse(msgspec.Struct, rename=docker_name):
    id: str
    warnings: list[str] = []


class WaitError(msgspec.Struct, rename=docker_name):
    message: str


class WaitResponse(msgspec.Struct, rename=docker_name):
    status_code: int
    error: WaitError | None = None


class Port(msgspec.Struct, rename=docker_name, omit_defaults=True):
    """One of a container summary's Ports: published (with the host's IP and port) or only exposed."""

    private_port: int
    type: str
    ip: str = ""
    public_port: int = 0


class SummaryHostConfig(msgspec.Struct, rename=docker_name):
    network_mode: str


class ContainerSummary(msgspec.Struct, rename=docker_name, omit_defaults=True):
    id: str
    names: list[str]
    image: str
    image_i_d: str
    command: str
    created: int
    state: str
    status: str
    ports: list[Port]
    labels: dict[str, str]
    host_config: SummaryHostConfig
    network_settings: SummaryNetworkSettings
    mounts: list[MountPoint]
    size_rw: int | None = None
    size_root_fs: int | None = None


class ComponentVersion(msgspec.Struct, rename=docker_name):
    name: str
    version: str
    details: dict[str, str] = {}


class Platform(msgspec.Struct, rename=docker_name):
    name: str


class VersionResponse(msgspec.Struct, rename=docker_name):
    platform: Platform
    components: list[ComponentVersion]
    version: str
    api_version: str
    min_a_p_i_version: str
    git_commit: str
    go_version: str
    os: str
    arch: str
    kernel_version: str
    build_time: str


class InfoResponse(msgspec.Struct, rename=docker_name):
    i_d: str
    containers: int
    containers_running: int
    containers_paused: int
    containers_stopped: int
    images: int
    driver: str
    docker_root_dir: str
    logging_driver: str
    cgroup_driver: str
    cgroup_version: str
    kernel_version: str
    operating_system: str
    o_s_type: str
    architecture: str
    n_c_p_u: int
    mem_total: int
    name: str
    server_version: str
    security_options: list[str]
    default_runtime: str = "hydock"
    runtimes: dict[str, dict] = {}
    warnings: list[str] = []


class ImageSummary(msgspec.Struct, rename=docker_name):
    """One entry of GET /images/json."""

    id: str
    created: int
    size: int
    parent_id: str = ""
    repo_tags: list[str] | None = None
    repo_digests: list[str] | None = None
    virtual_size: int = 0
    shared_size: int = -1
    labels: dict[str, str] | None = None
    containers: int = -1


class DiskUsage(msgspec.Struct, rename=docker_name):
    """GET /system/df."""

    layers_size: int
    images: list[ImageSummary]
    containers: list[ContainerSummary]
    volumes: list[Volume]
    build_cache: list[dict]


class HistoryEntry(msgspec.Struct, rename=docker_name):
    """One layer of GET /images/{name}/history."""

    id: str
    created: int
    created_by: str
    size: int
    tags: list[str] | None = None
    comment: str = ""


class ProgressDetail(msgspec.Struct, omit_defaults=True):
    current: int = 0
    total: int = 0


class ErrorDetail(msgspec.Struct, omit_defaults=True):
    message: str
    code: int = 0


class JSONMessage(
    msgspec.Struct, omit_defaults=True, rename={"progress_detail": "progressDetail", "error_detail": "errorDetail"}
):
    """One line of Docker's JSON message streams (pull, push, load, import): a status for an id, progress,
    or an error."""

    status: str = ""
    id: str = ""
    progress: str = ""
    progress_detail: ProgressDetail | None = None
    stream: str = ""
    error: str = ""
    error_detail: ErrorDetail | None = None
    aux: dict | None = None


class ImportProgress(msgspec.Struct):
    """The JSON message POST /images/create?fromSrc=- answers with: the new image's id in `status`."""

    status: str = ""


class ExecConfig(msgspec.Struct, rename=docker_name, omit_defaults=True):
    """What `docker exec` asks for (the body of POST /containers/{id}/exec)."""

    cmd: list[str]
    env: list[str] | None = None
    user: str = ""
    working_dir: str = ""
    attach_stdin: bool = False
    attach_stdout: bool = True
    attach_stderr: bool = True
    tty: bool = False
    privileged: bool = False
    detach_keys: str = ""


class ExecStartBody(msgspec.Struct, rename=docker_name):
    detach: bool = False
    tty: bool = False


class ExecCreated(msgspec.Struct, rename=docker_name):
    id: str


class UpdateBody(msgspec.Struct, rename=docker_name, omit_defaults=True):
    """POST /containers/{id}/update: zero (or absent) leaves a setting as it is."""

    memory: int = 0
    memory_swap: int = 0
    nano_cpus: int = 0
    cpu_shares: int = 0
    cpu_quota: int = 0
    cpu_period: int = 0
    pids_limit: int | None = None
    restart_policy: RestartPolicy | None = None


class UpdateResponse(msgspec.Struct, rename=docker_name):
    warnings: list[str] = []


class TopResponse(msgspec.Struct, rename=docker_name):
    titles: list[str]
    processes: list[list[str]]


class ContainerPruneResponse(msgspec.Struct, rename=docker_name):
    containers_deleted: list[str] | None
    space_reclaimed: int


class ImagePruneResponse(msgspec.Struct, rename=docker_name):
    images_deleted: list[dict[str, str]] | None
    space_reclaimed: int


class BuildResult(msgspec.Struct, rename={"id": "ID"}):
    """The `aux` of the message POST /build sends once the image exists (Docker's types.BuildResult)."""

    id: str


class BuildOutput(msgspec.Struct, rename=docker_name):
    """One entry of POST /build's `outputs` (Docker's types.ImageBuildOutput): the image as `docker` (the store,
    or a docker-archive tar at `dest`), `oci` (an OCI layout tar at `dest`), `tar` (its files, as a tar) or
    `local` (its files, in the directory `dest`)."""

    type: str
    attrs: dict[str, str] = {}


class BuildSecret(msgspec.Struct, rename={"id": "ID", "data": "Data"}):
    """A `--secret`, in the JSON list a client sends in the X-Build-Secrets header of POST /build (hydock's own:
    the classic protocol has no secrets): RUN --mount=type=secret,id=ID reads `data` at /run/secrets/ID, and it
    never lands in a layer."""

    id: str
    data: bytes


BUILD_STEP_AUX = "hydock.step"
"""The `aux` key of the step events POST /build adds when asked with `stepevents=1` (hydock's own clients)."""


class BuildStep(msgspec.Struct, rename=docker_name, omit_defaults=True):
    """One step of a build as a live view shows it: `Step number/total : name`, how it went and how long it took.

    `status` is "running", "cached", "done" or "failed"; `seconds` is set once it is no longer running."""

    number: int
    total: int
    name: str
    status: str
    seconds: float = 0.0


class BuildCachePruneResponse(msgspec.Struct, rename=docker_name):
    caches_deleted: list[str] | None
    space_reclaimed: int
