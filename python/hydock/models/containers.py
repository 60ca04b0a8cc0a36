"""docker-py's Container and ContainerCollection over either door's ContainerBackend."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from hydock.errors import ContainerError
from hydock.models.backend import ContainerBackend

if TYPE_CHECKING:
    from hydock.engine.records import RunOptions


class Container:
    def __init__(self, backend: ContainerBackend, name: str) -> None:
        self._backend = backend
        self.attrs: dict[str, Any] = backend.inspect(name)
        self.id: str = self.attrs["Id"]

    def reload(self) -> None:
        self.attrs = self._backend.inspect(self.id)

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
        self._backend.start(self.id)
        self.reload()

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        exit_code, error = self._backend.wait(self.id, timeout)
        return {"StatusCode": exit_code, "Error": None if error is None else {"Message": error}}

    def logs(self, stdout: bool = True, stderr: bool = True, tail: int | None = None) -> bytes:
        tty = self.attrs["Config"]["Tty"]
        entries = self._backend.logs(self.id, tty=tty, stdout=stdout, stderr=stderr, tail=tail)
        return b"".join(data for _, data in entries)

    def stop(self, timeout: int | None = None) -> None:
        self._backend.stop(self.id, timeout)

    def kill(self, signal: str | int = "KILL") -> None:
        self._backend.kill(self.id, signal)

    def remove(self, force: bool = False) -> None:
        self._backend.remove(self.id, force=force)

    def stats(self) -> dict[str, Any]:
        return self._backend.stats(self.id)

    def __repr__(self) -> str:
        return f"<Container: {self.short_id}>"


class ContainerCollection:
    def __init__(self, backend: ContainerBackend) -> None:
        self._backend = backend

    def create(self, image: str, command: str | list[str] | None = None, **kwargs: Any) -> Container:
        return Container(self._backend, self._backend.create(image, _command(command), _run_options(kwargs)))

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
        if detach:
            if remove:
                kwargs["auto_remove"] = True
            container_id = self._backend.create(image, _command(command), _run_options(kwargs, detach=True))
            start_or_remove(self._backend, container_id, remove=remove)
            return Container(self._backend, container_id)
        completed = self._backend.run(
            image, _command(command), _run_options(kwargs), stdout=stdout, stderr=stderr, remove=remove
        )
        if completed.exit_code != 0:
            container = None if remove else Container(self._backend, completed.container_id)
            raise ContainerError(container, completed.exit_code, completed.command_line, image, completed.errors)
        return completed.output

    def get(self, name: str) -> Container:
        return Container(self._backend, name)

    def list(self, all: bool = False) -> builtins.list[Container]:
        return [Container(self._backend, container_id) for container_id in self._backend.ids(all=all)]


def start_or_remove(backend: ContainerBackend, container_id: str, *, remove: bool) -> None:
    """Starts a container just created; one that `run` was to remove is removed if it fails to start."""
    try:
        backend.start(container_id)
    except BaseException:
        if remove:
            backend.remove(container_id, force=True)
        raise


def _command(command: str | list[str] | None) -> list[str] | None:
    return ["/bin/sh", "-c", command] if isinstance(command, str) else command


def _run_options(kwargs: dict[str, Any], *, detach: bool = False) -> RunOptions:
    # Imported on the first create: RunOptions is the engine's, and loading hydock.engine.records loads the engine,
    # which a Client that only lists, pulls or saves should not pay for.
    from hydock.models.run_arguments import run_options

    return run_options(kwargs, detach=detach)
