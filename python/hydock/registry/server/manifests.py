"""Pushed manifests: which kind each is, that what it references is in the repository, and its referrer entry."""

from __future__ import annotations

import msgspec

from hydock.errors import StoreError
from hydock.registry.server.errors import DistributionError
from hydock.registry.server.records import ManifestDocument, ReferrerDescriptor
from hydock.registry.server.storage import RegistryStorage
from hydock.store.blobs import split_digest
from hydock.store.records import (
    MEDIA_DOCKER_MANIFEST,
    MEDIA_DOCKER_MANIFEST_LIST,
    MEDIA_OCI_INDEX,
    MEDIA_OCI_MANIFEST,
    Descriptor,
)

INDEX_TYPES = frozenset({MEDIA_OCI_INDEX, MEDIA_DOCKER_MANIFEST_LIST})
IMAGE_TYPES = frozenset({MEDIA_OCI_MANIFEST, MEDIA_DOCKER_MANIFEST})
# The spec asks registries to take manifests of at least 4 MB; a bigger body is refused before it is read whole.
MAX_MANIFEST_BYTES = 4 << 20
# Layers their publisher forbids registries to host: a manifest may name them without them being pushed.
_FOREIGN_LAYER_PREFIXES = (
    "application/vnd.docker.image.rootfs.foreign.",
    "application/vnd.oci.image.layer.nondistributable.",
)


def _invalid(reason: str) -> DistributionError:
    return DistributionError("MANIFEST_INVALID", "manifest invalid", {"reason": reason})


def parse(data: bytes, content_type: str) -> tuple[ManifestDocument, str]:
    """The manifest and its media type: the body's `mediaType`, else the request's Content-Type, else the kind
    its fields show (OCI lets a manifest omit `mediaType`)."""
    try:
        document = msgspec.json.decode(data, type=ManifestDocument)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _invalid(str(exc)) from None
    if document.schema_version != 2:
        raise _invalid(f"schemaVersion {document.schema_version} is not supported (only 2)")
    header_type = content_type.split(";")[0].strip()
    if document.media_type and header_type in IMAGE_TYPES | INDEX_TYPES and header_type != document.media_type:
        raise _invalid(f"mediaType {document.media_type} does not match Content-Type {header_type}")
    media_type = document.media_type or (header_type if header_type in IMAGE_TYPES | INDEX_TYPES else "")
    if not media_type:
        media_type = MEDIA_OCI_INDEX if document.manifests else MEDIA_OCI_MANIFEST
    if media_type in INDEX_TYPES:
        if document.config is not None or document.layers:
            raise _invalid("an index has no config or layers")
    elif media_type in IMAGE_TYPES:
        if document.config is None:
            raise _invalid("an image manifest needs a config")
    else:
        raise _invalid(f"unsupported manifest media type {media_type!r}")
    for descriptor in _references(document, media_type, with_subject=True):
        try:
            split_digest(descriptor.digest)
        except StoreError as exc:
            raise _invalid(str(exc)) from None
    return document, media_type


def _references(document: ManifestDocument, media_type: str, *, with_subject: bool = False) -> list[Descriptor]:
    found = list(document.manifests) if media_type in INDEX_TYPES else [document.config, *document.layers]
    if with_subject and document.subject is not None:
        found.append(document.subject)
    return [descriptor for descriptor in found if descriptor is not None]


def missing_references(storage: RegistryStorage, name: str, document: ManifestDocument, media_type: str) -> list[str]:
    """What the manifest names that the repository lacks: child manifests of an index, config and layers of an
    image. The subject is not checked: the spec lets a referrer be pushed before its subject."""
    missing = []
    for descriptor in _references(document, media_type):
        if media_type in INDEX_TYPES:
            present = storage.has_manifest(name, descriptor.digest)
        else:
            present = descriptor.media_type.startswith(_FOREIGN_LAYER_PREFIXES) or storage.has_blob(
                name, descriptor.digest
            )
        if not present:
            missing.append(descriptor.digest)
    return missing


def referrer_entry(document: ManifestDocument, media_type: str, digest: str, size: int) -> ReferrerDescriptor | None:
    """The manifest as its subject's referrers list shows it; an image without an artifactType is typed by its
    config's media type, an index has none."""
    if document.subject is None:
        return None
    artifact_type = document.artifact_type
    if not artifact_type and document.config is not None:
        artifact_type = document.config.media_type
    return ReferrerDescriptor(
        media_type=media_type, digest=digest, size=size, annotations=document.annotations, artifact_type=artifact_type
    )


def children(document: ManifestDocument, media_type: str) -> tuple[list[str], list[str]]:
    """(manifests, blobs) a manifest reaches directly: what gc marks from it."""
    references = [descriptor.digest for descriptor in _references(document, media_type)]
    return (references, []) if media_type in INDEX_TYPES else ([], references)
