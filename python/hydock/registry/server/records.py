"""JSON records of the registry server: what it keeps beside the blobs, how it reads manifests, what it answers."""

from __future__ import annotations

import msgspec

from hydock.store.records import MEDIA_OCI_INDEX, Descriptor


class ManifestDocument(msgspec.Struct, rename="camel"):
    """Any kind of manifest, read only for what it references; the registry keeps and serves the pushed bytes."""

    schema_version: int = 0
    media_type: str = ""
    artifact_type: str = ""
    config: Descriptor | None = None
    layers: list[Descriptor] = []
    manifests: list[Descriptor] = []
    subject: Descriptor | None = None
    annotations: dict[str, str] | None = None


class ReferrerDescriptor(Descriptor, kw_only=True):
    """A referrers-list entry: the manifest's descriptor with its artifact type and annotations."""

    artifact_type: str = ""


class ReferrersIndex(msgspec.Struct, rename="camel"):
    manifests: list[ReferrerDescriptor]
    schema_version: int = 2
    media_type: str = MEDIA_OCI_INDEX


class ManifestRevision(msgspec.Struct, rename="camel", omit_defaults=True):
    """A repository's link to a manifest blob, with the media type it was pushed as and its subject if any."""

    media_type: str
    subject: str = ""


class TagLink(msgspec.Struct):
    digest: str


class UploadSession(msgspec.Struct):
    """Beside an upload's bytes in ingest/: which repository it was started for."""

    repository: str


class TagList(msgspec.Struct):
    name: str
    tags: list[str]


class Catalog(msgspec.Struct):
    repositories: list[str]
