"""Reads the image archives `load` accepts: docker-archive (manifest.json, as dockerd 20.10, Docker 25+ and skopeo
write it) and the OCI image layout (index.json, as Docker 25+, skopeo's oci-archive and containerd write it).

The tar is read once, as a stream: every file goes to disk under a private directory, hashed on the way, so
memory stays bounded whatever the size of the layers; a blob named by its digest is checked at once. Then
manifest.json, or else index.json, says which files are each image's config and layers. Checking layers against
their diff ids needs the store (whether the layer is already unpacked), so it is the loader's job.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import tarfile
from pathlib import Path
from typing import BinaryIO, TypeVar

import msgspec

from hydock.errors import ArchiveError, InvalidReference, StoreError
from hydock.store.archive_format import (
    ANNOTATION_IMAGE_NAME,
    ANNOTATION_REF_NAME,
    INDEX_FILE,
    MANIFEST_FILE,
    ArchiveManifestEntry,
    blob_path,
)
from hydock.store.blobs import split_digest
from hydock.store.records import (
    MEDIA_DOCKER_MANIFEST_LIST,
    MEDIA_OCI_INDEX,
    Descriptor,
    ImageConfig,
    Index,
    Manifest,
)
from hydock.store.reference import Reference, parse_reference

T = TypeVar("T")

CHUNK = 1 << 20
MAX_JSON = 32 << 20
_MAX_LINKS = 16
_NESTED_INDEXES = 4
_BLOB_NAME = re.compile(r"^blobs/sha256/([0-9a-f]{64})$")
_CONFIG_NAME = re.compile(r"^([0-9a-f]{64})\.json$")


class ArchiveFile(msgspec.Struct, frozen=True):
    """A regular file of the archive: its normalised name, where it was spooled, and its sha256."""

    name: str
    path: Path
    digest: str
    size: int


class ArchivedImage(msgspec.Struct):
    """An image the archive holds: its config (whose digest is `id`), its layer files bottom first, with the diff
    id its config gives each, and the names the archive gives it."""

    id: str
    config: bytes
    layers: list[ArchiveFile]
    diff_ids: list[str]
    names: list[Reference]


class ArchiveContents:
    """The files and links of a spooled archive, looked up by name as a tar extractor would resolve them."""

    def __init__(self) -> None:
        self.files: dict[str, ArchiveFile] = {}
        self.links: dict[str, str | None] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.files or name in self.links

    def get(self, name: str) -> ArchiveFile:
        path = _member_path(name)
        for _ in range(_MAX_LINKS):
            if path in self.files:
                return self.files[path]
            if path not in self.links:
                raise ArchiveError(f"{name}: no such file in the archive")
            target = self.links[path]
            if target is None:
                raise ArchiveError(f"{name}: a link pointing outside the archive")
            path = target
        raise ArchiveError(f"{name}: too many levels of links")

    def read(self, name: str) -> bytes:
        file = self.get(name)
        if file.size > MAX_JSON:
            raise ArchiveError(f"{name}: {file.size} bytes, too large for an image's JSON")
        return file.path.read_bytes()

    def decode(self, name: str, kind: type[T]) -> T:
        try:
            return msgspec.json.decode(self.read(name), type=kind)
        except msgspec.DecodeError as exc:  # ValidationError included
            raise ArchiveError(f"{name}: {exc}") from None


def spool_archive(stream: BinaryIO, directory: Path) -> ArchiveContents:
    """Reads the whole tar (plain or gzip/bzip2/xz-compressed) from `stream`, its files into `directory`."""
    contents = ArchiveContents()
    inside: str | None = None
    try:
        with tarfile.open(fileobj=stream, mode="r|*", bufsize=CHUNK) as tar:
            for number, member in enumerate(tar):
                name = _member_path(member.name)
                # As when extracting, a later entry of the same name replaces the earlier one.
                contents.files.pop(name, None)
                contents.links.pop(name, None)
                if member.isfile():
                    inside = member.name
                    contents.files[name] = _spool_file(tar, member, name, directory / str(number))
                    inside = None
                elif member.issym():
                    target = posixpath.join(posixpath.dirname(name), member.linkname)
                    contents.links[name] = None if member.linkname.startswith("/") else _inside(target)
                elif member.islnk():
                    contents.links[name] = _inside(member.linkname)
    except (tarfile.TarError, EOFError) as exc:
        if inside is not None:
            raise ArchiveError(f"{inside}: the archive ends inside this file (truncated?)") from None
        if not contents.files:
            raise ArchiveError(f"not a tar archive: {exc}") from None
        raise ArchiveError(f"malformed tar archive after {len(contents.files)} files: {exc}") from None
    return contents


def _inside(path: str) -> str | None:
    normal = posixpath.normpath(path.lstrip("/"))
    return None if normal == ".." or normal.startswith("../") else normal


def _member_path(name: str) -> str:
    """The name a file has inside the archive; like Docker, a leading "/" is the archive's root, not the host's."""
    normal = _inside(name)
    if normal is None:
        raise ArchiveError(f"{name}: path escapes the archive")
    return normal


def _spool_file(tar: tarfile.TarFile, member: tarfile.TarInfo, name: str, path: Path) -> ArchiveFile:
    source = tar.extractfile(member)
    assert source is not None, "a regular member always has data"
    hasher = hashlib.sha256()
    with open(path, "wb") as out:
        while chunk := source.read(CHUNK):
            hasher.update(chunk)
            out.write(chunk)
    digest = "sha256:" + hasher.hexdigest()
    named = _BLOB_NAME.match(name)
    if named and named.group(1) != hasher.hexdigest():
        raise ArchiveError(f"{member.name}: content hashes to {digest}, not to the digest in its name")
    return ArchiveFile(name, path, digest, member.size)


def archived_images(contents: ArchiveContents, architecture: str) -> list[ArchivedImage]:
    """The images of the archive, as manifest.json lists them or else as index.json does (picking the manifest
    for linux/`architecture` from a multi-platform index); one per image ID, with every name it is given."""
    if MANIFEST_FILE in contents:
        found = [_docker_image(contents, entry) for entry in contents.decode(MANIFEST_FILE, list[ArchiveManifestEntry])]
    elif INDEX_FILE in contents:
        found = [
            _oci_image(contents, _image_manifest(contents, descriptor, architecture, 0), descriptor.annotations or {})
            for descriptor in contents.decode(INDEX_FILE, Index).manifests
        ]
    else:
        raise ArchiveError(f"neither {MANIFEST_FILE} nor {INDEX_FILE} in the archive: not a saved image")
    images: dict[str, ArchivedImage] = {}
    for image in found:
        known = images.setdefault(image.id, image)
        known.names.extend(name for name in image.names if name not in known.names)
    return list(images.values())


def _docker_image(contents: ArchiveContents, entry: ArchiveManifestEntry) -> ArchivedImage:
    config_file = contents.get(entry.config)
    named = _CONFIG_NAME.match(posixpath.basename(config_file.name))
    if named and "sha256:" + named.group(1) != config_file.digest:
        raise ArchiveError(f"{entry.config}: content hashes to {config_file.digest}, not to the image ID in its name")
    names = [_reference(MANIFEST_FILE, tag) for tag in entry.repo_tags or []]
    return _image(contents, config_file, [contents.get(layer) for layer in entry.layers], names)


def _oci_image(contents: ArchiveContents, manifest: Manifest, annotations: dict[str, str]) -> ArchivedImage:
    layers = [_blob(contents, layer) for layer in manifest.layers]
    name = annotations.get(ANNOTATION_IMAGE_NAME, "")
    if not name:
        # A bare tag ("latest") names no repository; only a reference with one (it has a ":" or a "/") is a name.
        ref_name = annotations.get(ANNOTATION_REF_NAME, "")
        name = ref_name if ":" in ref_name or "/" in ref_name else ""
    names = [_reference(INDEX_FILE, name)] if name else []
    return _image(contents, _blob(contents, manifest.config), layers, names)


def _image(
    contents: ArchiveContents, config_file: ArchiveFile, layers: list[ArchiveFile], names: list[Reference]
) -> ArchivedImage:
    config_bytes = contents.read(config_file.name)
    try:
        config = msgspec.json.decode(config_bytes, type=ImageConfig)
    except msgspec.DecodeError as exc:
        raise ArchiveError(f"{config_file.name}: not an image config: {exc}") from None
    diff_ids = config.rootfs.diff_ids
    for diff_id in diff_ids:
        try:
            split_digest(diff_id)
        except StoreError as exc:
            raise ArchiveError(f"{config_file.name}: diff id: {exc}") from None
    if len(diff_ids) != len(layers):
        raise ArchiveError(
            f"{config_file.name}: the image config lists {len(diff_ids)} layers but its manifest {len(layers)}"
        )
    return ArchivedImage(config_file.digest, config_bytes, layers, list(diff_ids), names)


def _image_manifest(contents: ArchiveContents, descriptor: Descriptor, architecture: str, depth: int) -> Manifest:
    """The image manifest `descriptor` leads to, through (nested) indexes by platform."""
    if descriptor.media_type not in (MEDIA_OCI_INDEX, MEDIA_DOCKER_MANIFEST_LIST):
        return contents.decode(_blob(contents, descriptor).name, Manifest)
    if depth >= _NESTED_INDEXES:
        raise ArchiveError(f"{blob_path(descriptor.digest)}: indexes nested too deep")
    index = contents.decode(_blob(contents, descriptor).name, Index)
    for entry in index.manifests:
        platform = entry.platform
        if platform is not None and platform.os == "linux" and platform.architecture == architecture:
            return _image_manifest(contents, entry, architecture, depth + 1)
    raise ArchiveError(f"{blob_path(descriptor.digest)}: no image for linux/{architecture} in this index")


def _blob(contents: ArchiveContents, descriptor: Descriptor) -> ArchiveFile:
    try:
        name = blob_path(descriptor.digest)
    except StoreError as exc:
        raise ArchiveError(f"{INDEX_FILE}: {exc}") from None
    file = contents.get(name)
    if file.digest != descriptor.digest:
        raise ArchiveError(f"{name}: content hashes to {file.digest}, not to the digest in its name")
    if file.size != descriptor.size:
        raise ArchiveError(f"{name}: {file.size} bytes, but its descriptor says {descriptor.size}")
    return file


def _reference(source: str, name: str) -> Reference:
    try:
        return parse_reference(name)
    except InvalidReference as exc:
        raise ArchiveError(f"{source}: {exc}") from None
