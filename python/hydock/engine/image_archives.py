"""save and load: images to one tar that `docker load` and OCI tools read, and from the tars `docker save` (20.10
and 25+), skopeo and containerd write. The formats are in store/archive_*; here, which images and what to keep."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

import msgspec

from hydock.errors import ArchiveError, DigestMismatch, ImageNotFound, InvalidReference, LayerError, NotFound
from hydock.store import Store
from hydock.store.archive_reader import ArchivedImage, archived_images, spool_archive
from hydock.store.archive_writer import SavedImage, write_archive
from hydock.store.layers import chain_id
from hydock.store.records import LAYER_MEDIA_BY_COMPRESSION, Descriptor, Manifest, Platform
from hydock.store.reference import Reference, parse_reference

if TYPE_CHECKING:
    from hydock.engine.images import ImageService


class LoadedImage(msgspec.Struct):
    """An image `load` stored: the tags it now has, and for each tag taken from another image, that image's ID."""

    id: str
    tags: list[str]
    replaced: dict[str, str]


class ImageArchive:
    """A save under way: the images it holds are known at once; the tar's bytes come as it is iterated."""

    def __init__(self, image_ids: list[str], chunks: Iterator[bytes]) -> None:
        self.image_ids = image_ids
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks


def save_images(service: ImageService, names: list[str]) -> ImageArchive:
    tags = service.store.images.tags()
    wanted: dict[str, list[Reference]] = {}
    for name in names:
        for image_id, ref in _images_named(service, tags, name):
            refs = wanted.setdefault(image_id, [])
            if ref is not None and ref not in refs:
                refs.append(ref)
    images = [_saved_image(service, image_id, refs) for image_id, refs in wanted.items()]
    return ImageArchive(list(wanted), write_archive(images, service.store.blobs))


def _images_named(service: ImageService, tags: dict[str, str], name: str) -> list[tuple[str, Reference | None]]:
    """Docker's reading of a `save` argument: a repository alone means all its tags; an image ID, the image alone."""
    ref: Reference | None = None
    if not name.startswith("sha256:"):
        try:
            ref = parse_reference(name)
        except InvalidReference:
            ref = None  # a full 64-hex ID
    if ref is not None and ref.tag is None and ref.digest is None:
        tagged = [(image_id, parse_reference(tag)) for tag, image_id in sorted(tags.items())]
        in_repository = [(image_id, tag) for image_id, tag in tagged if tag.repository == ref.repository]
        if in_repository:
            return list(in_repository)
    image_id = service.resolve(name)
    return [(image_id, ref if ref is not None and ref.tag and not ref.digest else None)]


def _saved_image(service: ImageService, image_id: str, tags: list[Reference]) -> SavedImage:
    store = service.store
    record = store.images.record(image_id)
    manifest_bytes = store.blobs.read(record.manifest_digest)
    manifest = msgspec.json.decode(manifest_bytes, type=Manifest)
    for layer in manifest.layers:
        if not store.blobs.exists(layer.digest):
            raise NotFound(f"blob {layer.digest} of image {image_id} is missing from the store")
    config = service.config(image_id)
    return SavedImage(
        manifest=manifest,
        descriptor=Descriptor(manifest.media_type, record.manifest_digest, len(manifest_bytes)),
        platform=Platform(config.architecture, config.os, variant=config.variant),
        tags=tags,
    )


def load_images(service: ImageService, source: BinaryIO, architecture: str) -> list[LoadedImage]:
    """Reads the whole archive, checks every blob, unpacks the layers the store lacks, then stores the images
    (from a multi-platform index, the one for linux/`architecture`).

    On any failure the layers this load unpacked are removed again and no image or tag has been stored.
    """
    store = service.store
    directory = store.blobs.ingest_dir / f"load-{secrets.token_hex(8)}"
    directory.mkdir()
    unpacked: list[str] = []
    try:
        images = archived_images(spool_archive(source, directory), architecture)
        layers = [_unpack_layers(store, image, unpacked) for image in images]
        return [_store_image(service, image, descriptors) for image, descriptors in zip(images, layers, strict=True)]
    except BaseException:
        _discard_unused(service, unpacked)
        raise
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _unpack_layers(store: Store, image: ArchivedImage, unpacked: list[str]) -> list[Descriptor]:
    """Checks each layer file against its diff id, unpacking those the store lacks (added to `unpacked`)."""
    descriptors, parent = [], ""
    for file, diff_id in zip(image.layers, image.diff_ids, strict=True):
        chain = chain_id(parent, diff_id)
        try:
            if not store.layers.exists(chain):
                compression = store.layers.apply(str(file.path), parent, None, diff_id=diff_id).compression
                unpacked.append(chain)
            elif file.digest == diff_id:
                compression = "none"  # a plain tar is its own diff: spooling it checked it
            else:
                compression = store.layers.verify(str(file.path), diff_id)
        except (LayerError, DigestMismatch) as exc:
            raise ArchiveError(f"{file.name}: {exc}") from None
        descriptors.append(Descriptor(LAYER_MEDIA_BY_COMPRESSION[compression], file.digest, file.size))
        parent = chain
    return descriptors


def _store_image(service: ImageService, image: ArchivedImage, layers: list[Descriptor]) -> LoadedImage:
    store = service.store
    try:
        store.images.record(image.id)
    except ImageNotFound:
        for file in image.layers:
            store.blobs.commit_ingest(file.path, file.digest)
        service.store_image(image.config, layers)
    loaded = LoadedImage(image.id, [], {})
    existing = store.images.tags()
    for name in image.names:
        if name.digest:
            continue  # a digest is not a tag: the image is still loaded, by ID
        ref = name.with_default_tag()
        previous = existing.get(str(ref))
        if previous is not None and previous != image.id:
            loaded.replaced[ref.familiar()] = previous
        service.tag(image.id, str(ref))
        loaded.tags.append(ref.familiar())
    return loaded


def _discard_unused(service: ImageService, chains: list[str]) -> None:
    if not chains:
        return
    store = service.store
    with store.images.locked():
        used = {layer.chain_id for image_id in store.images.ids() for layer in service.layers(image_id)}
    for chain in chains:
        if chain not in used:
            store.layers.remove(chain)
