"""The in-process engine as the backend of the docker-py shaped models: `engine.containers.run(...)`."""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import msgspec

from hydock.engine.containers import ContainerService
from hydock.engine.images import ImageService
from hydock.engine.records import RunOptions
from hydock.models.backend import Completed
from hydock.models.images import ImageCollection
from hydock.registry.push import PushResult
from hydock.store.reference import join_tag


class ImageServiceBackend:
    def __init__(self, service: ImageService) -> None:
        self._service = service

    def inspect(self, name: str) -> dict[str, Any]:
        return msgspec.to_builtins(self._service.inspect(name))

    def ids(self, *, all: bool) -> list[str]:
        return [summary.id for summary in self._service.summaries(all=all)]

    def import_image(
        self, source: str | os.PathLike[str] | BinaryIO, reference: str | None, *, changes: list[str] | None
    ) -> str:
        return self._service.import_image(source, reference, changes=changes)

    def remove(self, name: str, *, force: bool) -> list[dict[str, str]]:
        return self._service.remove(name, force=force)

    def save(self, names: list[str]) -> Iterator[bytes]:
        return iter(self._service.save(names))

    def load(self, data: bytes | BinaryIO) -> list[str]:
        """Every image of the archive, once all of it is verified."""
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        return [loaded.id for loaded in self._service.load(source)]

    def pull(self, repository: str, tag: str | None, *, platform: str) -> str:
        return self._service.pull(join_tag(repository, tag), platform=platform)


class EngineImageCollection(ImageCollection):
    """The in-process door's images, which this process can also push."""

    def __init__(self, service: ImageService) -> None:
        super().__init__(ImageServiceBackend(service))
        self._service = service

    def push(self, repository: str, tag: str | None = None) -> builtins.list[PushResult]:
        return self._service.push(join_tag(repository, tag))


class ContainerServiceBackend:
    def __init__(self, service: ContainerService) -> None:
        self._service = service

    def inspect(self, name: str) -> dict[str, Any]:
        return msgspec.to_builtins(self._service.inspect(name))

    def ids(self, *, all: bool) -> list[str]:
        return [record.id for record in self._service.list_records(all=all)]

    def create(self, image: str, command: list[str] | None, options: RunOptions) -> str:
        return self._service.create(image, command, options).id

    def start(self, container_id: str) -> None:
        self._service.start(container_id)

    def run(
        self, image: str, command: list[str] | None, options: RunOptions, *, stdout: bool, stderr: bool, remove: bool
    ) -> Completed:
        """The output comes through pipes, stdout before stderr when both are asked for; with `remove` the shim
        removes the container before reporting its exit."""
        record = self._service.create(
            image, command, msgspec.structs.replace(options, auto_remove=True) if remove else options
        )
        try:
            exited, out, err = self._service.run_to_completion(record.id)
        except BaseException:
            if remove:
                self._service.remove(record.id, force=True)
            raise
        output = (out if stdout else b"") + (err if stderr else b"")
        return Completed(record.id, exited.exit_code, output, err, [record.path, *record.args])

    def wait(self, container_id: str, timeout: float | None) -> tuple[int, str | None]:
        state = self._service.wait(container_id, timeout=timeout)
        return state.exit_code, state.error or None

    def logs(
        self, container_id: str, *, tty: bool, stdout: bool, stderr: bool, tail: int | None
    ) -> Iterable[tuple[str, bytes]]:
        return self._service.logs(container_id, stdout=stdout, stderr=stderr, tail=tail)

    def stop(self, container_id: str, timeout: int | None) -> None:
        self._service.stop(container_id, timeout)

    def kill(self, container_id: str, signal: str | int) -> None:
        self._service.kill(container_id, signal)

    def remove(self, container_id: str, *, force: bool) -> None:
        self._service.remove(container_id, force=force)

    def stats(self, container_id: str) -> dict[str, Any]:
        return self._service.stats(container_id)
