"""docker-py's Image and ImageCollection over either door's ImageBackend."""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator
from typing import Any, BinaryIO

from hydock.models.backend import ImageBackend


class Image:
    def __init__(self, backend: ImageBackend, name: str) -> None:
        self._backend = backend
        self.attrs: dict[str, Any] = backend.inspect(name)
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
        return self._backend.save([self._saved_name(named)])

    def _saved_name(self, named: bool | str) -> str:
        if isinstance(named, str):
            return named
        return self.tags[0] if named and self.tags else self.id

    def __repr__(self) -> str:
        return f"<Image: {', '.join(repr(t) for t in self.tags)}>"


class ImageCollection:
    def __init__(self, backend: ImageBackend) -> None:
        self._backend = backend

    def import_image(
        self,
        source: str | os.PathLike[str] | BinaryIO,
        reference: str | None = None,
        *,
        changes: list[str] | None = None,
    ) -> Image:
        return Image(self._backend, self._backend.import_image(source, reference, changes=changes))

    def get(self, name: str) -> Image:
        return Image(self._backend, name)

    def list(self, all: bool = False) -> builtins.list[Image]:
        return [Image(self._backend, image_id) for image_id in self._backend.ids(all=all)]

    def remove(self, image: str, force: bool = False) -> builtins.list[dict[str, str]]:
        return self._backend.remove(image, force=force)

    def load(self, data: bytes | BinaryIO) -> builtins.list[Image]:
        """Like `docker load`: the images of the archive."""
        return [Image(self._backend, name) for name in self._backend.load(data)]

    def pull(self, repository: str, tag: str | None = None, *, platform: str | None = None) -> Image:
        return Image(self._backend, self._backend.pull(repository, tag, platform=platform or ""))
