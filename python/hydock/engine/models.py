"""docker-py shaped objects over the engine: `engine.images.import_image(...)`, `engine.containers.run(...)`."""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Iterator
from typing import Any, BinaryIO

import msgspec

from hydock.api_network import PortBinding, PortMap
from hydock.api_storage import MountSpec
from hydock.api_types import LogConfig
from hydock.engine.containers import ContainerService
from hydock.engine.images import ImageService
from hydock.engine.records import RunOptions
from hydock.errors import ContainerError
from hydock.network.port_specs import port_key
from hydock.registry.push import PushResult
from hydock.store.records import HealthConfig
from hydock.store.reference import join_tag
from hydock.units import parse_bytes
from hydock.wire import docker_name


class Image:
    def __init__(self, service: ImageService, image_id: str) -> None:
        self._service = service
        self.id = image_id
        self.attrs: dict[str, Any] = msgspec.to_builtins(service.inspect(image_id))

    @property
    def short_id(self) -> str:
        return self.id[:19]

    @property
    def tags(self) -> list[str]:
        return list(self.attrs["RepoTags"])

    def save(self, named: bool | str = False) -> Iterator[bytes]:
        """This image as `docker save` writes it, streamed; as docker-py, by ID (no tag kept) unless `named` is
        True (its first tag) or a tag."""
        return iter(self._service.save([self._saved_name(named)]))

    def _saved_name(self, named: bool | str) -> str:
        if isinstance(named, str):
            return named
        return self.tags[0] if named and self.tags else self.id

    def __repr__(self) -> str:
        return f"<Image: {', '.join(repr(t) for t in self.tags)}>"


class ImageCollection:
    def __init__(self, service: ImageService) -> None:
        self._service = service

    def import_image(
        self,
        source: str | os.PathLike[str] | BinaryIO,
        reference: str | None = None,
        *,
        changes: list[str] | None = None,
    ) -> Image:
        return Image(self._service, self._service.import_image(source, reference, changes=changes))

    def get(self, name: str) -> Image:
        return Image(self._service, self._service.resolve(name))

    def list(self) -> builtins.list[Image]:
        return [Image(self._service, summary.id) for summary in self._service.summaries()]

    def remove(self, image: str, force: bool = False) -> builtins.list[dict[str, str]]:
        return self._service.remove(image, force=force)

    def load(self, data: bytes | BinaryIO) -> builtins.list[Image]:
        """Like `docker load`: every image of the archive, once all of it is verified."""
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        return [Image(self._service, loaded.id) for loaded in self._service.load(source)]

    def pull(self, repository: str, tag: str | None = None, *, platform: str | None = None) -> Image:
        return Image(self._service, self._service.pull(join_tag(repository, tag), platform=platform or ""))

    def push(self, repository: str, tag: str | None = None) -> builtins.list[PushResult]:
        return self._service.push(join_tag(repository, tag))


class Container:
    def __init__(self, service: ContainerService, container_id: str) -> None:
        self._service = service
        self.id = container_id
        self.attrs: dict[str, Any] = {}
        self.reload()

    def reload(self) -> None:
        self.attrs = msgspec.to_builtins(self._service.inspect(self.id))

    @property
    def name(self) -> str:
        return self.attrs["Name"].lstrip("/")

    @property
    def status(self) -> str:
        return self.attrs["State"]["Status"]

    @property
    def short_id(self) -> str:
        return self.id[:12]

    def start(self) -> None:
        self._service.start(self.id)
        self.reload()

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        state = self._service.wait(self.id, timeout=timeout)
        return {"StatusCode": state.exit_code, "Error": {"Message": state.error} if state.error else None}

    def logs(self, stdout: bool = True, stderr: bool = True, tail: int | None = None) -> bytes:
        return b"".join(data for _, data in self._service.logs(self.id, stdout=stdout, stderr=stderr, tail=tail))

    def stop(self, timeout: int | None = None) -> None:
        self._service.stop(self.id, timeout)

    def kill(self, signal: str | int = "KILL") -> None:
        self._service.kill(self.id, signal)

    def remove(self, force: bool = False) -> None:
        self._service.remove(self.id, force=force)

    def stats(self) -> dict[str, Any]:
        return self._service.stats(self.id)

    def __repr__(self) -> str:
        return f"<Container: {self.short_id}>"


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
    }


def _options(kwargs: dict[str, Any]) -> RunOptions:
    """docker-py's keyword names to our run options; unknown keywords are an error, not ignored."""
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


class ContainerCollection:
    def __init__(self, service: ContainerService) -> None:
        self._service = service

    def create(self, image: str, command: str | list[str] | None = None, **kwargs: Any) -> Container:
        if isinstance(command, str):
            command = ["/bin/sh", "-c", command]
        record = self._service.create(image, command, _options(kwargs))
        return Container(self._service, record.id)

    def run(
        self,
        image: str,
        command: str | list[str] | None = None,
        *,
        detach: bool = False,
        remove: bool = False,
        stdout: bool = True,
        stderr: bool = False,
        **kwargs: Any,
    ) -> bytes | Container:
        """Like docker-py: detached, the Container; else the output bytes, raising on a non-zero exit.

        In the foreground the output comes through pipes, stdout before stderr when both are asked
        for; with `remove` the shim removes the container before reporting its exit.
        """
        if isinstance(command, str):
            command = ["/bin/sh", "-c", command]
        if remove:
            kwargs["auto_remove"] = True
        record = self._service.create(image, command, _options(kwargs))
        if detach:
            try:
                self._service.start(record.id)
            except BaseException:
                if remove:
                    self._service.remove(record.id, force=True)
                raise
            return Container(self._service, record.id)
        try:
            exited, out, err = self._service.run_to_completion(record.id)
        except BaseException:
            if remove:
                self._service.remove(record.id, force=True)
            raise
        if exited.exit_code != 0:
            container = None if remove else Container(self._service, record.id)
            raise ContainerError(container, exited.exit_code, [record.path, *record.args], image, err)
        return (out if stdout else b"") + (err if stderr else b"")

    def get(self, name: str) -> Container:
        return Container(self._service, self._service.resolve(name))

    def list(self, all: bool = False) -> builtins.list[Container]:
        return [Container(self._service, r.id) for r in self._service.list_records(all=all)]
