"""Garbage collection: mark every blob reachable from the repositories' manifests and tags (an index's child
manifests, an image's config and layers, the referrers of each), then sweep the other blobs.

It runs alone rather than after a grace period: it takes the registry lock exclusively, and every server that
accepts writes holds that lock shared for its whole life, so gc refuses to start while one runs (a read-only
server may keep serving). A grace period on blob age would not be enough: a manifest PUT may name a blob pushed
long ago and unreferenced since, and nothing short of a lock orders its check against gc's unlink.
"""

from __future__ import annotations

import os
import time
from contextlib import nullcontext

import msgspec

from hydock.registry.server import manifests
from hydock.registry.server.errors import DistributionError
from hydock.registry.server.storage import RegistryStorage

# Docker's registry purges uploads left this long; a client resuming later starts again.
STALE_UPLOAD_SECONDS = 7 * 24 * 3600


class GcReport(msgspec.Struct):
    marked: int
    deleted: list[str]
    freed_bytes: int
    removed_links: int
    purged_uploads: list[str]


def collect(storage: RegistryStorage, *, dry_run: bool = False) -> GcReport:
    """Marks and sweeps; with `dry_run`, only reports what would go (and needs no lock, since it changes nothing)."""
    with nullcontext() if dry_run else storage.writer_lock(exclusive=True):
        marked = mark(storage)
        deleted, freed = _sweep_blobs(storage, marked, dry_run)
        removed_links = _sweep_links(storage, set(deleted), dry_run)
        purged = _purge_stale_uploads(storage, dry_run)
    return GcReport(len(marked), deleted, freed, removed_links, purged)


def mark(storage: RegistryStorage) -> set[str]:
    marked: set[str] = set()
    for name in storage.catalog():
        tagged = (storage.resolve_tag(name, tag) for tag in storage.tags(name))
        pending = [*storage.revisions(name), *(digest for digest in tagged if digest)]
        while pending:
            digest = pending.pop()
            if digest in marked:
                continue
            marked.add(digest)
            pending.extend(referrer.digest for referrer in storage.referrers(name, digest))
            child_manifests, blobs = _children(storage, name, digest)
            pending.extend(child_manifests)
            marked.update(blobs)
    return marked


def _children(storage: RegistryStorage, name: str, digest: str) -> tuple[list[str], list[str]]:
    revision = storage.revision(name, digest)
    try:
        data = storage.blobs.path(digest).read_bytes()
        document, media_type = manifests.parse(data, revision.media_type if revision else "")
    except (FileNotFoundError, DistributionError):
        return [], []
    return manifests.children(document, media_type)


def _sweep_blobs(storage: RegistryStorage, marked: set[str], dry_run: bool) -> tuple[list[str], int]:
    deleted, freed = [], 0
    with os.scandir(storage.blobs.blob_dir) as entries:
        for entry in entries:
            digest = f"sha256:{entry.name}"
            if len(entry.name) != 64 or digest in marked:
                continue
            freed += entry.stat().st_size
            deleted.append(digest)
            if not dry_run:
                storage.blobs.delete(digest)
    return sorted(deleted), freed


def _sweep_links(storage: RegistryStorage, deleted: set[str], dry_run: bool) -> int:
    """Repositories' links to swept blobs: left behind, they would claim blobs the registry no longer has."""
    removed = 0
    for name in storage.catalog():
        for digest in storage.linked_blobs(name):
            if digest in deleted:
                removed += 1
                if not dry_run:
                    storage.unlink_blob(name, digest)
    return removed


def _purge_stale_uploads(storage: RegistryStorage, dry_run: bool) -> list[str]:
    purged = []
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    with os.scandir(storage.blobs.ingest_dir) as entries:
        for entry in entries:
            if entry.name.endswith(".json") or entry.stat().st_mtime >= cutoff:
                continue
            purged.append(entry.name)
            if not dry_run:
                os.unlink(entry.path)
                (storage.blobs.ingest_dir / f"{entry.name}.json").unlink(missing_ok=True)
    return sorted(purged)
