"""Committing a container's changes (its overlay upper dir) as a layer: the blob an image names and the unpacked
layer later containers stack on. What `hydock commit` and every RUN, COPY and ADD of a build end with."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from hydock.store import Store
from hydock.store.records import MEDIA_OCI_LAYER_GZIP, Descriptor, LayerRecord


class CommittedLayer(msgspec.Struct, frozen=True):
    layer: LayerRecord
    descriptor: Descriptor
    """The gzip blob, as an image manifest lists it."""


def commit_layer(store: Store, upper: Path, parent_chain: str, *, mtime: int | None = None) -> CommittedLayer | None:
    """The changes in `upper` (no longer mounted) as a layer on top of `parent_chain`; None when nothing changed.

    `upper` is taken over: it becomes the unpacked layer rather than being unpacked again from the blob. With
    `mtime` (SOURCE_DATE_EPOCH) no entry of the blob is newer than it, so the same changes give the same digest.
    """
    with os.scandir(upper) as entries:
        if next(entries, None) is None:
            return None
    ingest = store.blobs.ingest_path()
    try:
        stats = store.layers.diff(upper, ingest, "gzip", mtime)
        store.blobs.commit_ingest(ingest, stats.digest)
    finally:
        ingest.unlink(missing_ok=True)
    layer = store.layers.adopt(upper, parent_chain, stats.diff_id, stats.size)
    return CommittedLayer(layer, Descriptor(MEDIA_OCI_LAYER_GZIP, stats.digest, stats.compressed_size))
