"""The on-disk store: blobs, layers, images, all under one root (default /var/lib/hydock)."""

from __future__ import annotations

import os
from pathlib import Path

from hydock import _core
from hydock.store.blobs import BlobStore
from hydock.store.images import ImageStore
from hydock.store.layers import LayerStore

DEFAULT_ROOT = "/var/lib/hydock"


def default_root() -> Path:
    return Path(os.environ.get("HYDOCK_ROOT") or DEFAULT_ROOT)


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("blobs/sha256", "ingest", "layers/l", "images", "containers", "bin"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        # Each layer lands away from the inodes that removed layers freed (see placement.rs).
        _core.spread_layers(str(root / "layers"))
        self.blobs = BlobStore(root)
        self.layers = LayerStore(root)
        self.images = ImageStore(root, self.blobs)
