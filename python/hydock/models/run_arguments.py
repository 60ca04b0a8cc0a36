"""docker-py's keyword arguments of `containers.create`/`run` as the engine's RunOptions, for both doors."""

from __future__ import annotations

from typing import Any

import msgspec

from hydock.api_network import PortBinding, PortMap
from hydock.api_storage import MountSpec
from hydock.api_types import LogConfig, RestartPolicy, restart_policy_text
from hydock.engine.records import Interactive, RunOptions
from hydock.network.port_specs import port_key
from hydock.store.records import HealthConfig
from hydock.units import parse_bytes
from hydock.wire import docker_name


def _port_bindings(ports: dict[Any, Any]) -> PortMap:
    """docker-py's `ports`: {"80/tcp": 8080, 53: ("127.0.0.1", 5353), "81": None (random), "82": [8082, 8083]}."""
    bindings: PortMap = {}
    for key, value in ports.items():
        number, proto = port_key(str(key))
        values = value if isinstance(value, list) else [value]
        bindings[f"{number}/{proto}"] = [
            PortBinding(str(v[0]), str(v[1]) if len(v) > 1 else "")
            if isinstance(v, tuple)
            else PortBinding("", "" if v is None else str(v))
            for v in values
        ]
    return bindings


def _network_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """docker-py's networking keywords as RunOptions fields."""
    extra_hosts = kwargs.pop("extra_hosts", None) or {}
    if isinstance(extra_hosts, dict):
        extra_hosts = [f"{name}:{address}" for name, address in extra_hosts.items()]
    network = kwargs.pop("network", None)
    mode = kwargs.pop("network_mode", None)
    return {
        "network": network or mode or "bridge",
        "port_bindings": _port_bindings(kwargs.pop("ports", None) or {}),
        "publish_all": bool(kwargs.pop("publish_all_ports", False)),
        "dns": list(kwargs.pop("dns", None) or []),
        "dns_search": list(kwargs.pop("dns_search", None) or []),
        "dns_options": list(kwargs.pop("dns_opt", None) or []),
        "extra_hosts": list(extra_hosts),
        "links": _links(kwargs.pop("links", None)),
    }


def run_options(kwargs: dict[str, Any], *, detach: bool = False) -> RunOptions:
    """docker-py's keyword names to our run options; unknown keywords are an error, not ignored. Like docker-py, a
    container not run detached is created with its stdout and stderr attached."""
    env = kwargs.pop("environment", None) or []
    if isinstance(env, dict):
        env = [f"{k}={v}" for k, v in env.items()]
    entrypoint = kwargs.pop("entrypoint", None)
    if isinstance(entrypoint, str):
        entrypoint = [entrypoint]
    mem = kwargs.pop("mem_limit", 0) or 0
    if isinstance(mem, str):
        mem = parse_bytes(mem)
    options = RunOptions(
        name=kwargs.pop("name", None),
        env=list(env),
        workdir=kwargs.pop("working_dir", None),
        user=kwargs.pop("user", None),
        hostname=kwargs.pop("hostname", None),
        entrypoint=entrypoint,
        labels=kwargs.pop("labels", None) or {},
        memory=int(mem),
        nano_cpus=int(kwargs.pop("nano_cpus", 0) or 0),
        cpu_shares=int(kwargs.pop("cpu_shares", 0) or 0),
        pids_limit=kwargs.pop("pids_limit", None),
        read_only=bool(kwargs.pop("read_only", False)),
        **_network_kwargs(kwargs),
        init=bool(kwargs.pop("init", False)),
        privileged=bool(kwargs.pop("privileged", False)),
        cap_add=list(kwargs.pop("cap_add", None) or []),
        cap_drop=list(kwargs.pop("cap_drop", None) or []),
        no_new_privileges="no-new-privileges" in (kwargs.pop("security_opt", None) or []),
        auto_remove=bool(kwargs.pop("auto_remove", False)),
        log_config=_log_config(kwargs.pop("log_config", None)),
        binds=_binds(kwargs.pop("volumes", None)),
        mounts=msgspec.convert(kwargs.pop("mounts", None) or [], list[MountSpec]),
        tmpfs=_tmpfs(kwargs.pop("tmpfs", None)),
        volumes_from=list(kwargs.pop("volumes_from", None) or []),
        healthcheck=_healthcheck(kwargs.pop("healthcheck", None)),
        restart=_restart(kwargs.pop("restart_policy", None)),
        interactive=Interactive(attach_stdout=not detach, attach_stderr=not detach),
    )
    if kwargs:
        raise TypeError(f"unsupported run() arguments: {', '.join(sorted(kwargs))}")
    return options


def _binds(volumes: dict[str, dict[str, str]] | list[str] | None) -> list[str]:
    """docker-py's `volumes`: binds as `SRC:DST[:MODE]` strings, or {SRC: {"bind": DST, "mode": MODE}}."""
    if isinstance(volumes, dict):
        return [f"{source}:{target['bind']}:{target.get('mode', 'rw')}" for source, target in volumes.items()]
    return list(volumes or [])


def _tmpfs(tmpfs: dict[str, str] | list[str] | None) -> dict[str, str]:
    """docker-py's `tmpfs`: {DST: OPTIONS}, or `DST[:OPTIONS]` strings."""
    if isinstance(tmpfs, dict):
        return dict(tmpfs)
    return dict((item.partition(":")[0], item.partition(":")[2]) for item in tmpfs or [])


def _healthcheck(value: dict[str, Any] | None) -> HealthConfig | None:
    """docker-py's healthcheck: {"test": [...] or a shell command, "interval": ns, "start_period": ns, ...}, or its
    Healthcheck (the same keyed Test, Interval...); what it leaves out (or None) is the image's."""
    if value is None:
        return None
    fields = {docker_name(key): item for key, item in value.items() if item is not None}
    if isinstance(fields.get("Test"), str):
        fields["Test"] = ["CMD-SHELL", fields["Test"]]
    return msgspec.convert({"Test": [], **fields}, HealthConfig)


def _log_config(value: dict[str, Any] | None) -> LogConfig | None:
    """docker-py's log_config: {"type": ..., "config": {...}}, or its LogConfig (a dict keyed Type and Config)."""
    if value is None:
        return None
    return LogConfig(value.get("type") or value.get("Type") or "", value.get("config") or value.get("Config"))


def _links(links: dict[str, str | None] | list[tuple[str, str | None]] | None) -> list[str]:
    """docker-py's `links`: {NAME: ALIAS} or (NAME, ALIAS) pairs, a None alias meaning the name itself."""
    pairs = links.items() if isinstance(links, dict) else links or []
    return [f"{name}:{alias}" if alias else name for name, alias in pairs]


def _restart(policy: dict[str, Any] | None) -> str:
    """docker-py's restart_policy: {"Name": "on-failure", "MaximumRetryCount": 3}."""
    return restart_policy_text(msgspec.convert(policy, RestartPolicy) if policy else None)
