"""Container names: validation, reservation (one file per name, created exclusively) and generation."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from hydock.errors import Conflict, InvalidArgument

_VALID = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_LEFT = (
    "admiring", "brave", "busy", "clever", "eager", "festive", "gallant", "happy", "jolly", "keen",
    "loving", "modest", "nifty", "quirky", "serene", "tender", "upbeat", "vibrant", "wizardly", "zealous",
)  # fmt: skip
_RIGHT = (
    "babbage", "curie", "darwin", "euclid", "fermi", "galileo", "hopper", "hypatia", "kepler", "lovelace",
    "meitner", "newton", "noether", "pasteur", "ritchie", "shannon", "thompson", "torvalds", "turing", "wozniak",
)  # fmt: skip


class NameRegistry:
    def __init__(self, containers_dir: Path) -> None:
        self.dir = containers_dir / ".names"
        self.dir.mkdir(parents=True, exist_ok=True)

    def reserve(self, name: str | None, container_id: str) -> str:
        if name is None:
            while True:
                candidate = f"{secrets.choice(_LEFT)}_{secrets.choice(_RIGHT)}"
                if self._try_reserve(candidate, container_id):
                    return candidate
        if not _VALID.match(name):
            raise InvalidArgument(f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        name = name.lstrip("/")
        if not self._try_reserve(name, container_id):
            owner = self.lookup(name) or "?"
            raise Conflict(
                f'Conflict. The container name "/{name}" is already in use by container "{owner}". '
                "You have to remove (or rename) that container to be able to reuse that name."
            )
        return name

    def _try_reserve(self, name: str, container_id: str, *, retry: bool = True) -> bool:
        try:
            fd = os.open(self.dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            owner = self.lookup(name)
            # An auto-removed container's shim deletes its directory but not its name: reclaim it.
            if retry and owner and not (self.dir.parent / owner).exists():
                self.release(name)
                return self._try_reserve(name, container_id, retry=False)
            return False
        os.write(fd, container_id.encode())
        os.close(fd)
        return True

    def lookup(self, name: str) -> str | None:
        try:
            return (self.dir / name.lstrip("/")).read_text()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def release(self, name: str) -> None:
        (self.dir / name.lstrip("/")).unlink(missing_ok=True)
