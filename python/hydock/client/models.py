"""docker-py shaped objects over the Engine API: `Client(base_url=...).containers.run(...)`, like `Engine`'s."""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator
from typing import Any, BinaryIO

import msgspec

from hydock.api_types import CreateBody, CreateHostConfig, HealthcheckBody, restart_policy_from_text
from hydock.client.api import APIClient
from hydock.client.transport import Transport
from hydock.engine.models import _options
from hydock.engine.records import RunOptions
from hydock.errors import ContainerError

_CHUNK = 1 << 20


def create_body(image: str, command: list[str] | None, options: RunOptions) -> CreateBody:
    """The engine's run options as the body of POST /containers/create (what hydockd turns back into them)."""
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
        attach_stdout=True,
        attach_stderr=True,
        host_config=host,
        healthcheck=HealthcheckBody(**msgspec.structs.asdict(options.healthcheck)) if options.healthcheck else None,
    )


def _command(command: str | list[str] | None) -> list[str] | None:
    return ["/bin/sh", "-c", command] if isinstance(command, str) else command


class Image:
    def __init__(self, api: APIClient, name: str) -> None:
        self._api = api
        self.attrs: dict[str, Any] = api.inspect_image(name)
        self.id: str = self.attrs["Id"]

    @property
    def short_id(self) -> str:
        return self.id[:19]

    @property
    def tags(self) -> list[str]:
        return list(self.attrs["RepoTags"] or [])

    def save(self, named: bool | str = False) -> Iterator[bytes]:
        """This image as `docker save` writes it, streamed; as docker-py, by ID (no tag kept) unless `named` is
        True (its first tag) or a tag."""
        return self._api.save_images([self._saved_name(named)])

    def _saved_name(self, named: bool | str) -> str:
        if isinstance(named, str):
            return named
        return self.tags[0] if named and self.tags else self.id

    def __repr__(self) -> str:
        return f"<Image: {', '.join(repr(t) for t in self.tags)}>"


class ImageCollection:
    def __init__(self, api: APIClient) -> None:
        self._api = api

    def import_image(
        self,
        source: str | os.PathLike[str] | BinaryIO,
        reference: str | None = None,
        *,
        changes: list[str] | None = None,
    ) -> Image:
        """Streams the tar (a path or a binary file) to the daemon."""
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as tar:
                image_id = self._api.import_image(_chunks(tar), reference, changes=changes)
        else:
            image_id = self._api.import_image(_chunks(source), reference, changes=changes)
        return Image(self._api, image_id)

    def get(self, name: str) -> Image:
        return Image(self._api, name)

    def list(self, all: bool = False) -> builtins.list[Image]:
        return [Image(self._api, summary.id) for summary in self._api.images(all=all)]

    def remove(self, image: str, force: bool = False) -> builtins.list[dict[str, str]]:
        return self._api.remove_image(image, force=force)

    def load(self, data: bytes | BinaryIO) -> builtins.list[Image]:
        """Like `docker load`: the images the daemon reports loading, by the names it reports."""
        chunks = iter([data]) if isinstance(data, bytes) else _chunks(data)
        names = []
        for message in self._api.load_images(chunks):
            line = message.stream.strip()
            for prefix in ("Loaded image: ", "Loaded image ID: "):
                if line.startswith(prefix):
                    names.append(line.removeprefix(prefix))
        return [Image(self._api, name) for name in names]

    def pull(self, repository: str, tag: str | None = None, *, platform: str | None = None) -> Image:
        """Pulls through the daemon with this user's stored credentials for the registry."""
        from hydock.registry.credentials import registry_auth_header
        from hydock.store.reference import join_tag, parse_reference

        ref = parse_reference(join_tag(repository, tag or "latest"))
        auth = registry_auth_header(ref.domain)
        for _ in self._api.pull(
            ref.repository, ref.digest or ref.tag or "", registry_auth=auth, platform=platform or ""
        ):
            pass
        return Image(self._api, str(ref))


def _chunks(tar: BinaryIO) -> Iterator[bytes]:
    while data := tar.read(_CHUNK):
        yield data


class Container:
    def __init__(self, api: APIClient, name: str) -> None:
        self._api = api
        self.attrs: dict[str, Any] = api.inspect_container(name)
        self.id: str = self.attrs["Id"]

    def reload(self) -> None:
        self.attrs = self._api.inspect_container(self.id)

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
        self._api.start(self.id)
        self.reload()

    def wait(self) -> dict[str, Any]:
        result = self._api.wait(self.id).result()
        return {"StatusCode": result.status_code, "Error": {"Message": result.error.message} if result.error else None}

    def logs(self, stdout: bool = True, stderr: bool = True, tail: int | None = None) -> bytes:
        tty = self.attrs["Config"]["Tty"]
        tail_text = "all" if tail is None else str(tail)
        entries = self._api.logs(self.id, stdout=stdout, stderr=stderr, tail=tail_text, tty=tty)
        return b"".join(data for _, data in entries)

    def stop(self, timeout: int | None = None) -> None:
        self._api.stop(self.id, timeout)

    def kill(self, signal: str | int = "KILL") -> None:
        self._api.kill(self.id, signal)

    def remove(self, force: bool = False) -> None:
        self._api.remove_container(self.id, force=force)

    def stats(self) -> dict[str, Any]:
        return self._api.stats(self.id)

    def __repr__(self) -> str:
        return f"<Container: {self.short_id}>"


class ContainerCollection:
    def __init__(self, api: APIClient) -> None:
        self._api = api

    def create(self, image: str, command: str | list[str] | None = None, **kwargs: Any) -> Container:
        name = kwargs.get("name")
        created = self._api.create_container(create_body(image, _command(command), _options(kwargs)), name)
        return Container(self._api, created.id)

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
        """Like docker-py: detached, the Container; else the output bytes, raising on a non-zero exit."""
        if detach and remove:
            kwargs["auto_remove"] = True
        container = self.create(image, command, **kwargs)
        try:
            container.start()
        except BaseException:
            if remove:
                container.remove(force=True)
            raise
        if detach:
            return container
        status = container.wait()["StatusCode"]
        output = container.logs(stdout=stdout, stderr=stderr)
        if status != 0:
            errors = container.logs(stdout=False, stderr=True)
            if remove:
                container.remove(force=True)
            command_line = [container.attrs["Path"], *container.attrs["Args"]]
            raise ContainerError(None if remove else container, status, command_line, image, errors)
        if remove:
            container.remove(force=True)
        return output

    def get(self, name: str) -> Container:
        return Container(self._api, name)

    def list(self, all: bool = False) -> builtins.list[Container]:
        return [Container(self._api, summary.id) for summary in self._api.containers(all=all)]


class Client:
    """The docker-py shaped client of a hydockd (or dockerd): `Client(base_url="unix:///run/hydock/hydock.sock")`."""

    def __init__(self, base_url: str = "unix:///run/hydock/hydock.sock", *, timeout: float | None = None) -> None:
        self.api = APIClient(Transport(base_url, timeout=timeout))
        self.api.transport.negotiate()
        self.images = ImageCollection(self.api)
        self.containers = ContainerCollection(self.api)

    def close(self) -> None:
        self.api.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
