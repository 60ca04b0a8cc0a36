"""The files of an image archive besides its blobs: docker-archive's manifest.json and repositories, and the OCI
image layout's oci-layout and index.json (whose index and descriptors are in `records`)."""

from __future__ import annotations

import msgspec

from hydock.store.blobs import split_digest
from hydock.store.records import Descriptor

MANIFEST_FILE = "manifest.json"
REPOSITORIES_FILE = "repositories"
LAYOUT_FILE = "oci-layout"
INDEX_FILE = "index.json"
BLOBS_DIR = "blobs"
LAYOUT_VERSION = "1.0.0"

# The full reference containerd and Docker 25+ give an image in index.json, and the OCI annotation, which
# Docker sets to the tag alone and skopeo to whatever follows the archive path in `oci-archive:PATH:REF`.
ANNOTATION_IMAGE_NAME = "io.containerd.image.name"
ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"


class ArchiveManifestEntry(msgspec.Struct, rename="pascal", omit_defaults=True, kw_only=True):
    """One image of docker-archive's manifest.json: paths inside the archive of its config and layers, bottom
    first, and the tags `docker load` gives it."""

    config: str
    repo_tags: list[str] | None = None
    layers: list[str]
    parent: str = ""
    layer_sources: dict[str, Descriptor] | None = None


class ImageLayout(msgspec.Struct, rename="camel"):
    """The oci-layout file."""

    image_layout_version: str


Repositories = dict[str, dict[str, str]]
"""docker-archive's legacy `repositories` file: repository -> tag -> top layer's id."""


def blob_path(digest: str) -> str:
    """Where the OCI image layout keeps a blob: blobs/<algorithm>/<hex>."""
    algorithm, hexpart = split_digest(digest)
    return f"{BLOBS_DIR}/{algorithm}/{hexpart}"
