"""Writes the tar `save` produces: every blob once under blobs/sha256/, described both for `docker load`
(manifest.json, repositories) and for OCI tools (oci-layout, index.json), as Docker 25+ does.

The archive is yielded piece by piece, blobs read in chunks, so images of any size stream in bounded memory. Its
bytes depend only on the images and their tags (sorted entries, zero times), so saving twice gives the same tar.
"""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Iterator

import msgspec

from hydock.errors import DigestMismatch
from hydock.store.archive_format import (
    ANNOTATION_IMAGE_NAME,
    ANNOTATION_REF_NAME,
    BLOBS_DIR,
    INDEX_FILE,
    LAYOUT_FILE,
    LAYOUT_VERSION,
    MANIFEST_FILE,
    REPOSITORIES_FILE,
    ArchiveManifestEntry,
    ImageLayout,
    Repositories,
    blob_path,
)
from hydock.store.blobs import BlobStore, split_digest
from hydock.store.records import MEDIA_OCI_INDEX, Descriptor, Index, Manifest, Platform
from hydock.store.reference import Reference

CHUNK = 1 << 20
_BLOCK = 512


class SavedImage(msgspec.Struct, frozen=True):
    """An image to write: its stored manifest, the descriptor of that manifest, its platform and its tags."""

    manifest: Manifest
    descriptor: Descriptor
    platform: Platform
    tags: list[Reference]


def write_archive(images: list[SavedImage], blobs: BlobStore) -> Iterator[bytes]:
    """The tar of `images`, whose blobs are read from `blobs` and checked against their digests as they go."""
    sizes: dict[str, int] = {}
    entries: list[ArchiveManifestEntry] = []
    index: list[Descriptor] = []
    repositories: Repositories = {}
    for image in images:
        manifest = image.manifest
        for descriptor in (image.descriptor, manifest.config, *manifest.layers):
            sizes[descriptor.digest] = descriptor.size
        entries.append(
            ArchiveManifestEntry(
                config=blob_path(manifest.config.digest),
                layers=[blob_path(layer.digest) for layer in manifest.layers],
                repo_tags=[tag.familiar() for tag in image.tags] or None,
            )
        )
        if not image.tags:
            index.append(msgspec.structs.replace(image.descriptor, platform=image.platform))
        for tag in image.tags:
            annotations = {ANNOTATION_IMAGE_NAME: str(tag), ANNOTATION_REF_NAME: tag.tag or ""}
            index.append(msgspec.structs.replace(image.descriptor, annotations=annotations, platform=image.platform))
            if manifest.layers:
                top = split_digest(manifest.layers[-1].digest)[1]
                repositories.setdefault(tag.familiar_repository, {})[tag.tag or ""] = top
    yield _header(f"{BLOBS_DIR}/", 0, tarfile.DIRTYPE)
    yield _header(f"{BLOBS_DIR}/sha256/", 0, tarfile.DIRTYPE)
    for digest in sorted(sizes):
        yield from _blob_member(blobs, digest, sizes[digest])
    yield _file(INDEX_FILE, msgspec.json.encode(Index(schema_version=2, media_type=MEDIA_OCI_INDEX, manifests=index)))
    yield _file(MANIFEST_FILE, msgspec.json.encode(entries))
    yield _file(LAYOUT_FILE, msgspec.json.encode(ImageLayout(LAYOUT_VERSION)))
    if repositories:
        yield _file(REPOSITORIES_FILE, msgspec.json.encode(repositories))
    # Two zero blocks end a tar.
    yield bytes(2 * _BLOCK)


def _header(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.type = kind
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.mtime = 0
    # PAX only adds extended headers where ustar falls short (members of 8 GiB and more).
    return info.tobuf(tarfile.PAX_FORMAT)


def _padding(size: int) -> bytes:
    return bytes(-size % _BLOCK)


def _file(name: str, data: bytes) -> bytes:
    return _header(name, len(data)) + data + _padding(len(data))


def _blob_member(blobs: BlobStore, digest: str, size: int) -> Iterator[bytes]:
    yield _header(blob_path(digest), size)
    hasher = hashlib.sha256()
    written = 0
    with open(blobs.path(digest), "rb") as blob:
        while written < size and (chunk := blob.read(min(CHUNK, size - written))):
            hasher.update(chunk)
            written += len(chunk)
            yield chunk
        if written < size or blob.read(1):
            raise DigestMismatch(f"blob {digest} in the store is not the {size} bytes its descriptor says")
    actual = "sha256:" + hasher.hexdigest()
    if actual != digest:
        raise DigestMismatch(f"blob {digest} in the store is corrupt: its content hashes to {actual}")
    yield _padding(size)
