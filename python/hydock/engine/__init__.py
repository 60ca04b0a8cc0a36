"""The engine: every operation hydock offers, implemented once; the CLI and the daemon call it."""

from __future__ import annotations

import os
from pathlib import Path

from hydock.engine.container_files import ContainerFiles
from hydock.engine.containers import ContainerService
from hydock.engine.images import ImageService
from hydock.engine.models import ContainerServiceBackend, EngineImageCollection
from hydock.engine.networks import NetworkOperations
from hydock.models.containers import ContainerCollection
from hydock.store import Store, default_root


class Engine:
    """In-process engine over a store root: `Engine(root=...).containers.run("img", ["true"])`."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.store = Store(self.root)
        self.image_service = ImageService(self.store)
        self.container_service = ContainerService(self.store, self.image_service)
        self.volume_service = self.container_service.volumes
        self.file_service = ContainerFiles(self.container_service)
        self.network_service = NetworkOperations(self.container_service)
        self.images = EngineImageCollection(self.image_service)
        self.containers = ContainerCollection(ContainerServiceBackend(self.container_service))

    def close(self) -> None:
        """Takes down the bridges and rules this engine put up, unless something else (another engine, the root's
        daemon) still uses them; a process that exits without closing its engines does it as it goes."""
        self.container_service.networking.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
