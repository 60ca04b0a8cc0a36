"""Turn what a container was asked to be into its OCI runtime spec (config.json)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import msgspec

from hydock.runtime.capabilities import capability_set
from hydock.runtime.defaults import DEFAULT_DEVICES, MASKED_PATHS, READONLY_PATHS, default_mounts
from hydock.runtime.spec import (
    OCI_VERSION,
    Capabilities,
    Cpu,
    Device,
    Linux,
    Memory,
    Mount,
    Namespace,
    Pids,
    Process,
    Resources,
    Root,
    Spec,
    User,
)
from hydock.runtime.users import ResolvedUser

CPU_PERIOD_US = 100_000


class SpecInputs(msgspec.Struct, kw_only=True):
    args: list[str]
    env: list[str]
    cwd: str
    user: ResolvedUser
    hostname: str
    rootfs: str
    container_dir: Path
    cgroup: str
    network: str = "bridge"
    network_namespace: str = ""
    """The network namespace to join (a pinned one, another container's); empty for a new one (or the host's)."""
    read_only: bool = False
    privileged: bool = False
    cap_add: list[str] = []
    cap_drop: list[str] = []
    no_new_privileges: bool = False
    memory: int = 0
    memory_swap: int = 0
    nano_cpus: int = 0
    cpu_shares: int = 0
    cpu_quota: int = 0
    cpu_period: int = 0
    pids_limit: int | None = None
    terminal: bool = False
    mounts: list[Mount] = []
    """The container's own (binds, volumes, tmpfs), made after the defaults."""


def _namespaces(network: str, network_namespace: str) -> list[Namespace]:
    namespaces = [Namespace(n) for n in ("pid", "ipc", "uts", "mount")]
    if network != "host":
        namespaces.append(Namespace("network", network_namespace))
    return namespaces


def _resources(inputs: SpecInputs) -> Resources:
    memory = Memory(limit=inputs.memory, swap=inputs.memory_swap or None) if inputs.memory else None
    cpu = Cpu(shares=inputs.cpu_shares or None)
    if inputs.nano_cpus:
        cpu.period = CPU_PERIOD_US
        cpu.quota = inputs.nano_cpus * CPU_PERIOD_US // 1_000_000_000
    elif inputs.cpu_quota:
        cpu.quota = inputs.cpu_quota
        cpu.period = inputs.cpu_period or CPU_PERIOD_US
    has_cpu = any(v is not None for v in (cpu.shares, cpu.quota))
    pids = Pids(inputs.pids_limit) if inputs.pids_limit and inputs.pids_limit > 0 else None
    return Resources(memory=memory, cpu=cpu if has_cpu else None, pids=pids)


def _capabilities(inputs: SpecInputs) -> Capabilities:
    caps = capability_set(privileged=inputs.privileged, cap_add=inputs.cap_add, cap_drop=inputs.cap_drop)
    if inputs.user.uid == 0:
        return Capabilities(bounding=caps, effective=caps, permitted=caps)
    # Like current moby: a non-root user keeps the bounding set but holds no capability itself.
    return Capabilities(bounding=caps)


def _host_devices() -> list[Device]:
    """For --privileged: every device node directly under the host's /dev, as Docker gives."""
    devices = []
    for entry in Path("/dev").iterdir():
        try:
            st = entry.lstat()
        except OSError:
            continue
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            devices.append(
                Device(
                    "c" if stat.S_ISCHR(st.st_mode) else "b",
                    str(entry),
                    os.major(st.st_rdev),
                    os.minor(st.st_rdev),
                    file_mode=stat.S_IMODE(st.st_mode),
                    uid=st.st_uid,
                    gid=st.st_gid,
                )
            )
    return devices


def build_spec(inputs: SpecInputs) -> Spec:
    bind = ["rbind", "rprivate"]
    mounts = default_mounts(privileged=inputs.privileged) + [
        Mount("/etc/resolv.conf", "bind", str(inputs.container_dir / "resolv.conf"), bind),
        Mount("/etc/hostname", "bind", str(inputs.container_dir / "hostname"), bind),
        Mount("/etc/hosts", "bind", str(inputs.container_dir / "hosts"), bind),
        *inputs.mounts,
    ]
    linux = Linux(
        namespaces=_namespaces(inputs.network, inputs.network_namespace),
        devices=_host_devices() if inputs.privileged else list(DEFAULT_DEVICES),
        resources=_resources(inputs),
        cgroups_path=inputs.cgroup,
        masked_paths=[] if inputs.privileged else list(MASKED_PATHS),
        readonly_paths=[] if inputs.privileged else list(READONLY_PATHS),
    )
    user = User(inputs.user.uid, inputs.user.gid, inputs.user.additional_gids or None)
    process = Process(
        args=inputs.args,
        cwd=inputs.cwd,
        terminal=inputs.terminal,
        user=user,
        env=inputs.env,
        capabilities=_capabilities(inputs),
        no_new_privileges=inputs.no_new_privileges,
    )
    return Spec(
        oci_version=OCI_VERSION,
        process=process,
        root=Root(inputs.rootfs, readonly=inputs.read_only),
        hostname=inputs.hostname,
        mounts=mounts,
        linux=linux,
    )
