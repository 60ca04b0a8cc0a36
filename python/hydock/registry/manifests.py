"""Manifests as registries serve them: Docker schema 2 and OCI manifests, manifest lists and OCI indexes
(resolved to one platform), and the schema 1 Docker no longer pulls."""

from __future__ import annotations

import msgspec

from hydock.errors import HydockError
from hydock.store.records import (
    MEDIA_DOCKER_MANIFEST,
    MEDIA_DOCKER_MANIFEST_LIST,
    MEDIA_OCI_INDEX,
    MEDIA_OCI_MANIFEST,
    Descriptor,
    Index,
    Manifest,
    Platform,
)

MEDIA_SCHEMA1 = ("application/vnd.docker.distribution.manifest.v1+json",
                 "application/vnd.docker.distribution.manifest.v1+prettyjws")  # fmt: skip
INDEX_TYPES = (MEDIA_OCI_INDEX, MEDIA_DOCKER_MANIFEST_LIST)
MANIFEST_TYPES = (MEDIA_OCI_MANIFEST, MEDIA_DOCKER_MANIFEST)
ACCEPT = ", ".join((*MANIFEST_TYPES, *INDEX_TYPES))


class ManifestError(HydockError):
    pass


class _Probe(msgspec.Struct):
    schema_version: int = msgspec.field(default=0, name="schemaVersion")
    media_type: str = msgspec.field(default="", name="mediaType")
    manifests: list[msgspec.Raw] | None = None


def parse(data: bytes, content_type: str, name: str) -> Manifest | Index:
    """The manifest or index in `data`; its type from the body's mediaType, else the Content-Type header."""
    try:
        probe = msgspec.json.decode(data, type=_Probe)
    except msgspec.DecodeError as exc:
        raise ManifestError(f"manifest for {name} is not valid JSON: {exc}") from None
    media_type = probe.media_type or content_type.split(";")[0].strip()
    if probe.schema_version == 1 or media_type in MEDIA_SCHEMA1:
        raise ManifestError(
            f"Docker Image manifest version 2, schema 1 is not supported: {name} must be re-pushed as an OCI or "
            "Docker schema 2 image"
        )
    try:
        if media_type in INDEX_TYPES or (not media_type and probe.manifests is not None):
            return msgspec.json.decode(data, type=Index)
        if media_type in MANIFEST_TYPES or not media_type:
            return msgspec.json.decode(data, type=Manifest)
    except msgspec.ValidationError as exc:
        raise ManifestError(f"manifest for {name} is malformed: {exc}") from None
    raise ManifestError(f"manifest for {name} has unsupported media type {media_type!r}")


class PlatformSpec(msgspec.Struct, frozen=True):
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)


_DEFAULT_VARIANTS = {"arm64": "v8", "arm": "v7"}


def parse_platform(text: str, default: PlatformSpec) -> PlatformSpec:
    """`os/arch[/variant]` as --platform takes it; empty means `default`."""
    if not text:
        return default
    parts = text.lower().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ManifestError(f'"{text}": unknown operating system or architecture: invalid argument')
    return PlatformSpec(parts[0], parts[1], parts[2] if len(parts) == 3 else "")


def _matches(platform: Platform | None, wanted: PlatformSpec) -> bool:
    if platform is None or platform.os != wanted.os or platform.architecture != wanted.architecture:
        return False
    if not wanted.variant:
        return True
    variant = platform.variant or _DEFAULT_VARIANTS.get(platform.architecture, "")
    return variant == wanted.variant


def select(index: Index, wanted: PlatformSpec) -> Descriptor:
    """The index entry for `wanted` (an exact variant first, then any variant of the architecture)."""
    candidates = [entry for entry in index.manifests if entry.media_type in (*MANIFEST_TYPES, "")]
    for entry in candidates:
        if _matches(entry.platform, wanted):
            return entry
    if wanted.variant:
        loose = PlatformSpec(wanted.os, wanted.architecture)
        for entry in candidates:
            if _matches(entry.platform, loose):
                return entry
    raise ManifestError(f"no matching manifest for {wanted} in the manifest list entries")
