"""What a door onto the engine provides to the docker-py shaped models: how each call is made, in this process or
over the Engine API."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, Protocol

if TYPE_CHECKING:
    from hydock.engine.records import RunOptions


class ImageBackend(Protocol):
    def inspect(self, name: str) -> dict[str, Any]:
        """The image's inspect document (Docker's shape), `Id` included."""

    def ids(self, *, all: bool) -> list[str]: ...

    def import_image(
        self, source: str | os.PathLike[str] | BinaryIO, reference: str | None, *, changes: list[str] | None
    ) -> str:
        """The name or ID of the image the tar became."""

    def remove(self, name: str, *, force: bool) -> list[dict[str, str]]: ...

    def save(self, names: list[str]) -> Iterator[bytes]: ...

    def load(self, data: bytes | BinaryIO) -> list[str]:
        """The names or IDs of the images loaded."""

    def pull(self, repository: str, tag: str | None, *, platform: str) -> str:
        """The name or ID of the image pulled."""


class Completed(NamedTuple):
    """A foreground run's end: what `run` returns, and what its ContainerError carries."""

    container_id: str
    exit_code: int
    output: bytes
    errors: bytes
    command_line: list[str]


class ContainerBackend(Protocol):
    def inspect(self, name: str) -> dict[str, Any]:
        """The container's inspect document (Docker's shape), `Id` included."""

    def ids(self, *, all: bool) -> list[str]: ...

    def create(self, image: str, command: list[str] | None, options: RunOptions) -> str:
        """The new container's ID."""

    def start(self, container_id: str) -> None: ...

    def run(
        self, image: str, command: list[str] | None, options: RunOptions, *, stdout: bool, stderr: bool, remove: bool
    ) -> Completed:
        """Creates the container, runs it to its exit and collects the asked streams; removed at the end with
        `remove`, whatever the exit."""

    def wait(self, container_id: str, timeout: float | None) -> tuple[int, str | None]:
        """The exit code and error once the container is not running."""

    def logs(
        self, container_id: str, *, tty: bool, stdout: bool, stderr: bool, tail: int | None
    ) -> Iterable[tuple[str, bytes]]:
        """(stream, data) pairs; `tty` is the container's Config.Tty (the API sends such a log unmultiplexed)."""

    def stop(self, container_id: str, timeout: int | None) -> None: ...

    def kill(self, container_id: str, signal: str | int) -> None: ...

    def remove(self, container_id: str, *, force: bool) -> None: ...

    def stats(self, container_id: str) -> dict[str, Any]: ...
