"""The Engine API as the backend of the docker-py shaped models: `Client(base_url=...).containers.run(...)`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

import msgspec

from hydock.api_network import NetworkingConfig
from hydock.api_types import CreateBody, CreateHostConfig, HealthcheckBody, restart_policy_from_text
from hydock.client.api import APIClient
from hydock.client.transport import Transport
from hydock.errors import InvalidArgument
from hydock.models.backend import Completed
from hydock.models.containers import ContainerCollection, start_or_remove
from hydock.models.images import ImageCollection

if TYPE_CHECKING:
    from hydock.engine.records import RunOptions

_CHUNK = 1 << 20


def create_body(image: str, command: list[str] | None, options: RunOptions) -> CreateBody:
    """The engine's run options as the body of POST /containers/create: every option, since hydockd turns the body
    back into them (a round trip tests/unit checks)."""
    stdio = options.interactive
    host = CreateHostConfig(
        network_mode=options.network,
        auto_remove=options.auto_remove,
        privileged=options.privileged,
        readonly_rootfs=options.read_only,
        init=options.init or None,
        cap_add=options.cap_add or None,
        cap_drop=options.cap_drop or None,
        security_opt=["no-new-privileges"] if options.no_new_privileges else None,
        memory=options.memory,
        nano_cpus=options.nano_cpus,
        cpu_shares=options.cpu_shares,
        pids_limit=options.pids_limit,
        restart_policy=restart_policy_from_text(options.restart),
        binds=options.binds or None,
        mounts=options.mounts or None,
        tmpfs=options.tmpfs or None,
        volumes_from=options.volumes_from or None,
        port_bindings=options.port_bindings or None,
        publish_all_ports=options.publish_all,
        dns=options.dns or None,
        dns_options=options.dns_options or None,
        dns_search=options.dns_search or None,
        extra_hosts=options.extra_hosts or None,
        links=options.links or None,
        log_config=options.log_config,
    )
    return CreateBody(
        image=image,
        cmd=command,
        env=options.env or None,
        working_dir=options.workdir or "",
        user=options.user or "",
        hostname=options.hostname or "",
        entrypoint=options.entrypoint,
        labels=options.labels or None,
        volumes={destination: {} for destination in options.volumes} or None,
        exposed_ports=options.exposed_ports or None,
        tty=stdio.tty,
        open_stdin=stdio.open_stdin,
        stdin_once=stdio.stdin_once,
        attach_stdin=stdio.attach_stdin,
        attach_stdout=stdio.attach_stdout,
        attach_stderr=stdio.attach_stderr,
        host_config=host,
        networking_config=NetworkingConfig(endpoints_config=options.networks) if options.networks else None,
        healthcheck=HealthcheckBody(**msgspec.structs.asdict(options.healthcheck)) if options.healthcheck else None,
        shell=options.shell,
    )


class ImageApiBackend:
    def __init__(self, api: APIClient) -> None:
        self._api = api

    def inspect(self, name: str) -> dict[str, Any]:
        return self._api.inspect_image(name)

    def ids(self, *, all: bool) -> list[str]:
        return [summary.id for summary in self._api.images(all=all)]

    def import_image(
        self, source: str | os.PathLike[str] | BinaryIO, reference: str | None, *, changes: list[str] | None
    ) -> str:
        """Streams the tar (a path or a binary file) to the daemon."""
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as tar:
                return self._api.import_image(_chunks(tar), reference, changes=changes)
        return self._api.import_image(_chunks(source), reference, changes=changes)

    def remove(self, name: str, *, force: bool) -> list[dict[str, str]]:
        return self._api.remove_image(name, force=force)

    def save(self, names: list[str]) -> Iterator[bytes]:
        return self._api.save_images(names)

    def load(self, data: bytes | BinaryIO) -> list[str]:
        """The images the daemon reports loading, by the names it reports."""
        chunks = iter([data]) if isinstance(data, bytes) else _chunks(data)
        names = []
        for message in self._api.load_images(chunks):
            line = message.stream.strip()
            for prefix in ("Loaded image: ", "Loaded image ID: "):
                if line.startswith(prefix):
                    names.append(line.removeprefix(prefix))
        return names

    def pull(self, repository: str, tag: str | None, *, platform: str) -> str:
        """Pulls through the daemon with this user's stored credentials for the registry."""
        from hydock.registry.credentials import registry_auth_header
        from hydock.store.reference import join_tag, parse_reference

        ref = parse_reference(join_tag(repository, tag or "latest"))
        auth = registry_auth_header(ref.domain)
        for _ in self._api.pull(ref.repository, ref.digest or ref.tag or "", registry_auth=auth, platform=platform):
            pass
        return str(ref)


def _chunks(tar: BinaryIO) -> Iterator[bytes]:
    while data := tar.read(_CHUNK):
        yield data


class ContainerApiBackend:
    def __init__(self, api: APIClient) -> None:
        self._api = api

    def inspect(self, name: str) -> dict[str, Any]:
        return self._api.inspect_container(name)

    def ids(self, *, all: bool) -> list[str]:
        return [summary.id for summary in self._api.containers(all=all)]

    def create(self, image: str, command: list[str] | None, options: RunOptions) -> str:
        return self._api.create_container(create_body(image, command, options), options.name).id

    def start(self, container_id: str) -> None:
        self._api.start(container_id)

    def run(
        self, image: str, command: list[str] | None, options: RunOptions, *, stdout: bool, stderr: bool, remove: bool
    ) -> Completed:
        """As docker-py: start, wait, then read the log (so no auto-remove: this removes the container itself)."""
        container_id = self.create(image, command, options)
        start_or_remove(self, container_id, remove=remove)
        exit_code, _ = self.wait(container_id, None)
        attrs = self._api.inspect_container(container_id)
        tty = attrs["Config"]["Tty"]
        output = self._log(container_id, tty=tty, stdout=stdout, stderr=stderr)
        errors = self._log(container_id, tty=tty, stdout=False, stderr=True) if exit_code != 0 else b""
        if remove:
            self._api.remove_container(container_id, force=True)
        return Completed(container_id, exit_code, output, errors, [attrs["Path"], *attrs["Args"]])

    def _log(self, container_id: str, *, tty: bool, stdout: bool, stderr: bool) -> bytes:
        return b"".join(data for _, data in self.logs(container_id, tty=tty, stdout=stdout, stderr=stderr, tail=None))

    def wait(self, container_id: str, timeout: float | None) -> tuple[int, str | None]:
        if timeout is not None:
            raise InvalidArgument("hydock.Client waits without a timeout (the Engine API's wait has none)")
        result = self._api.wait(container_id).result()
        return result.status_code, result.error.message if result.error else None

    def logs(
        self, container_id: str, *, tty: bool, stdout: bool, stderr: bool, tail: int | None
    ) -> Iterable[tuple[str, bytes]]:
        tail_text = "all" if tail is None else str(tail)
        return self._api.logs(container_id, stdout=stdout, stderr=stderr, tail=tail_text, tty=tty)

    def stop(self, container_id: str, timeout: int | None) -> None:
        self._api.stop(container_id, timeout)

    def kill(self, container_id: str, signal: str | int) -> None:
        self._api.kill(container_id, signal)

    def remove(self, container_id: str, *, force: bool) -> None:
        self._api.remove_container(container_id, force=force)

    def stats(self, container_id: str) -> dict[str, Any]:
        return self._api.stats(container_id)


class Client:
    """The docker-py shaped client of a hydockd (or dockerd): `Client(base_url="unix:///run/hydock/hydock.sock")`."""

    def __init__(self, base_url: str = "unix:///run/hydock/hydock.sock", *, timeout: float | None = None) -> None:
        self.api = APIClient(Transport(base_url, timeout=timeout))
        self.api.transport.negotiate()
        self.images = ImageCollection(ImageApiBackend(self.api))
        self.containers = ContainerCollection(ContainerApiBackend(self.api))

    def close(self) -> None:
        self.api.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
