"""Image operations: import, list, tag, remove, inspect, history."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import BinaryIO

import msgspec

from hydock.api_types import HistoryEntry, ImageSummary, JSONMessage
from hydock.engine.changes import apply_changes
from hydock.engine.image_archives import ImageArchive, LoadedImage, load_images, save_images
from hydock.engine.records import GraphDriver, ImageInspect, ImageRootFS
from hydock.errors import Conflict, ImageNotFound
from hydock.platforms import host_architecture
from hydock.registry.auth import AuthConfig
from hydock.registry.client import Registries, RegistrySettings
from hydock.registry.manifests import PlatformSpec, parse_platform
from hydock.registry.progress import Report
from hydock.registry.pull import Puller
from hydock.registry.push import Pusher, PushResult
from hydock.store import Store
from hydock.store.layers import AppliedBlob, chain_id
from hydock.store.records import (
    LAYER_MEDIA_BY_COMPRESSION,
    MEDIA_OCI_CONFIG,
    ContainerConfig,
    Descriptor,
    History,
    ImageConfig,
    ImageRecord,
    LayerRecord,
    Manifest,
    RootFS,
)
from hydock.store.reference import parse_reference
from hydock.timeutil import now_rfc3339, parse_rfc3339


def _ignore(message: JSONMessage) -> None:
    pass


class ImageService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._images = store.images

    def resolve(self, name: str) -> str:
        return self._images.resolve(name)

    def config(self, image_id: str) -> ImageConfig:
        return self._images.config(self._images.record(image_id))

    def layers(self, image_id: str) -> list[LayerRecord]:
        """The image's unpacked layers, bottom first."""
        config = self.config(image_id)
        layers, parent = [], ""
        for diff_id in config.rootfs.diff_ids:
            parent = chain_id(parent, diff_id)
            layers.append(self.store.layers.get(parent))
        return layers

    def lower_dirs(self, image_id: str) -> list[Path]:
        """Overlay lower dirs, top-most first, as overlayfs wants them."""
        return [self.store.layers.lower_path(layer) for layer in reversed(self.layers(image_id))]

    def import_image(
        self,
        source: str | os.PathLike[str] | BinaryIO | int,
        reference: str | None = None,
        *,
        changes: list[str] | None = None,
        message: str = "",
    ) -> str:
        """Like `docker import`: a root filesystem tar (any compression) becomes a one-layer image."""
        ref = parse_reference(reference).with_default_tag() if reference else None
        if isinstance(source, (str, os.PathLike)):
            stream: int | str = 0 if str(source) == "-" else os.fspath(source)
            origin = "-" if str(source) == "-" else os.fspath(source)
        elif isinstance(source, int):
            stream, origin = source, "-"
        else:
            stream, origin = source.fileno(), "-"
        applied, layer = self._ingest_layer(stream, "")
        created = now_rfc3339()
        config = ImageConfig(
            architecture=host_architecture(),
            os="linux",
            created=created,
            rootfs=RootFS("layers", [applied.layer.diff_id]),
            config=apply_changes(ContainerConfig(), changes or []),
            history=[History(created=created, created_by="", comment=message or f"Imported from {origin}")],
        )
        image_id = self._commit(config, [layer])
        if ref is not None:
            self._images.tag(image_id, ref)
            self._touch_tag_time(image_id)
        return image_id

    def _ingest_layer(self, source: int | str, parent: str) -> tuple[AppliedBlob, Descriptor]:
        """Unpack one layer stream and keep its raw bytes as a blob, both under their digests."""
        ingest = self.store.blobs.ingest_path()
        try:
            applied = self.store.layers.apply(source, parent, ingest)
            self.store.blobs.commit_ingest(ingest, applied.digest)
        finally:
            ingest.unlink(missing_ok=True)
        media_type = LAYER_MEDIA_BY_COMPRESSION[applied.compression]
        return applied, Descriptor(media_type, applied.digest, applied.compressed_size)

    def create_from_layers(
        self,
        layers: list[str | os.PathLike[str]],
        reference: str | None = None,
        *,
        changes: list[str] | None = None,
        created_by: list[str] | None = None,
    ) -> str:
        """An image from layer tars (any compression), bottom first, each a real diff with whiteouts."""
        ref = parse_reference(reference).with_default_tag() if reference else None
        descriptors, diff_ids, parent = [], [], ""
        for path in layers:
            applied, descriptor = self._ingest_layer(os.fspath(path), parent)
            parent = applied.layer.chain_id
            diff_ids.append(applied.layer.diff_id)
            descriptors.append(descriptor)
        created = now_rfc3339()
        steps = created_by or [""] * len(layers)
        config = ImageConfig(
            architecture=host_architecture(),
            os="linux",
            created=created,
            rootfs=RootFS("layers", diff_ids),
            config=apply_changes(ContainerConfig(), changes or []),
            history=[History(created=created, created_by=step) for step in steps],
        )
        image_id = self._commit(config, descriptors)
        if ref is not None:
            self._images.tag(image_id, ref)
            self._touch_tag_time(image_id)
        return image_id

    def _commit(self, config: ImageConfig, layers: list[Descriptor]) -> str:
        return self.store_image(msgspec.json.encode(config), layers)

    def store_image(self, config_bytes: bytes, layers: list[Descriptor]) -> str:
        """Write config and manifest blobs and the image record; the config digest is the image ID.

        The config is kept byte for byte: a loaded image keeps the ID it had where it was saved.
        """
        image_id = self.store.blobs.write(config_bytes)
        manifest = Manifest(2, Descriptor(MEDIA_OCI_CONFIG, image_id, len(config_bytes)), layers)
        manifest_digest = self.store.blobs.write(msgspec.json.encode(manifest))
        with self._images.locked():
            self._images.put_record(ImageRecord(image_id, manifest_digest))
        return image_id

    def save(self, names: list[str]) -> ImageArchive:
        """Like `docker save`: the images are looked up at once, the tar is read as it is iterated."""
        return save_images(self, names)

    def load(self, source: str | os.PathLike[str] | BinaryIO) -> list[LoadedImage]:
        """Like `docker load`: every image of a docker-archive or OCI-layout tar, all verified before any is stored."""
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as archive:
                return load_images(self, archive, host_architecture())
        return load_images(self, source, host_architecture())

    def pull(
        self,
        name: str,
        *,
        auth: AuthConfig | None = None,
        platform: str = "",
        report: Report | None = None,
        settings: RegistrySettings | None = None,
    ) -> str:
        """Like `docker pull`, in this process: the image ID of `name` (tag `latest` when none is given)."""
        wanted = parse_platform(platform, PlatformSpec("linux", host_architecture()))

        async def pull() -> str:
            registries = Registries(settings or RegistrySettings())
            try:
                puller = Puller(self.store, registries)
                result = await puller.pull(name, auth or AuthConfig(), wanted, report or _ignore)
            finally:
                await registries.close()
            return result.image_id

        return asyncio.run(pull())

    def push(
        self,
        name: str,
        *,
        auth: AuthConfig | None = None,
        report: Report | None = None,
        settings: RegistrySettings | None = None,
    ) -> list[PushResult]:
        """Like `docker push`, in this process: every tag of the repository when `name` has none."""

        async def push() -> list[PushResult]:
            registries = Registries(settings or RegistrySettings())
            try:
                return await Pusher(self.store, registries).push(name, auth or AuthConfig(), report or _ignore)
            finally:
                await registries.close()

        return asyncio.run(push())

    def _touch_tag_time(self, image_id: str) -> None:
        with self._images.locked():
            record = self._images.record(image_id)
            record.last_tag_time = now_rfc3339()
            self._images.put_record(record)

    def tag(self, source: str, target: str) -> None:
        image_id = self.resolve(source)
        self._images.tag(image_id, parse_reference(target).with_default_tag())
        self._touch_tag_time(image_id)

    def summaries(self, *, all: bool = False, containers: dict[str, int] | None = None) -> list[ImageSummary]:
        """GET /images/json's entries; given each image's number of `containers`, also that count and the bytes
        each image shares with others (what `system df` shows)."""
        tags = self._images.tags()
        layers = {image_id: self.layers(image_id) for image_id in self._images.ids()}
        users: dict[str, int] = {}
        for image_layers in layers.values():
            for layer in image_layers:
                users[layer.chain_id] = users.get(layer.chain_id, 0) + 1
        summaries = []
        for image_id, image_layers in layers.items():
            config = self.config(image_id)
            repo_tags = [parse_reference(t).familiar() for t in self._images.tags_of(image_id, tags)]
            repo_digests = [parse_reference(d).familiar() for d in self._images.record(image_id).repo_digests]
            size = sum(layer.size for layer in image_layers)
            shared = sum(layer.size for layer in image_layers if users[layer.chain_id] > 1)
            summaries.append(
                ImageSummary(
                    id=image_id,
                    parent_id="",
                    repo_tags=repo_tags,
                    repo_digests=repo_digests,
                    created=int(parse_rfc3339(config.created)),
                    size=size,
                    virtual_size=size,
                    shared_size=-1 if containers is None else shared,
                    labels=config.config.labels or {},
                    containers=-1 if containers is None else containers.get(image_id, 0),
                )
            )
        summaries.sort(key=lambda s: s.created, reverse=True)
        return summaries

    def inspect(self, name: str) -> ImageInspect:
        image_id = self.resolve(name)
        record = self._images.record(image_id)
        config = self._images.config(record)
        layers = self.layers(image_id)
        size = sum(layer.size for layer in layers)
        diffs = [str(self.store.layers.diff_path(layer)) for layer in reversed(layers)]
        return ImageInspect(
            id=image_id,
            repo_tags=[parse_reference(t).familiar() for t in self._images.tags_of(image_id)],
            repo_digests=[parse_reference(d).familiar() for d in record.repo_digests],
            parent="",
            comment=config.history[-1].comment if config.history else "",
            created=config.created,
            docker_version="",
            author=config.author,
            config=config.config,
            architecture=config.architecture,
            os=config.os,
            size=size,
            virtual_size=size,
            graph_driver=GraphDriver(
                "overlay2", {"LowerDir": ":".join(diffs[1:]), "UpperDir": diffs[0]} if diffs else {}
            ),
            root_f_s=ImageRootFS("layers", list(config.rootfs.diff_ids)),
            metadata={"LastTagTime": record.last_tag_time or "0001-01-01T00:00:00Z"},
        )

    def history(self, name: str) -> list[HistoryEntry]:
        image_id = self.resolve(name)
        config = self.config(image_id)
        layers = iter(self.layers(image_id))
        entries = []
        for item in config.history:
            size = 0 if item.empty_layer else next(layers).size
            entries.append(
                HistoryEntry("<missing>", int(parse_rfc3339(item.created)), item.created_by, size, [], item.comment)
            )
        entries.reverse()
        if entries:
            entries[0].id = image_id
            entries[0].tags = [parse_reference(t).familiar() for t in self._images.tags_of(image_id)]
        return entries

    def remove(self, name: str, *, force: bool = False, in_use: set[str] | None = None) -> list[dict[str, str]]:
        """Docker's `rmi`: untag a reference, delete the image once no tag and no container needs it.

        Returns Docker's list of {"Untagged": ...} / {"Deleted": ...} entries.
        """
        image_id = self.resolve(name)
        tags = self._images.tags_of(image_id)
        by_reference = not name.startswith("sha256:") and not image_id.removeprefix("sha256:").startswith(name)
        actions: list[dict[str, str]] = []
        if by_reference:
            ref = parse_reference(name).with_default_tag()
            self._images.untag(ref)
            actions.append({"Untagged": ref.familiar()})
            tags = [t for t in tags if t != str(ref)]
        elif len(tags) > 1 and not force:
            raise Conflict(
                f"conflict: unable to delete {image_id.removeprefix('sha256:')[:12]} (must be forced)"
                " - image is referenced in multiple repositories"
            )
        if tags and by_reference:
            return actions
        if in_use and image_id in in_use:
            if not force or not by_reference:
                raise Conflict(
                    f"conflict: unable to delete {image_id.removeprefix('sha256:')[:12]} (cannot be forced)"
                    " - image is being used by a container"
                )
            return actions
        for tag in tags:
            self._images.untag(parse_reference(tag))
            actions.append({"Untagged": parse_reference(tag).familiar()})
        actions.append(self._delete(image_id)[0])
        return actions

    def prune(self, *, dangling_only: bool, in_use: set[str]) -> tuple[list[dict[str, str]], int]:
        """Docker's image prune: untagged images (every image with `dangling_only` False) that no container uses.

        Returns the {"Untagged"}/{"Deleted"} entries and the bytes of the layers that went with them.
        """
        tags = self._images.tags()
        actions: list[dict[str, str]] = []
        reclaimed = 0
        for image_id in self._images.ids():
            image_tags = self._images.tags_of(image_id, tags)
            if image_id in in_use or (dangling_only and image_tags):
                continue
            for tag in image_tags:
                self._images.untag(parse_reference(tag))
                actions.append({"Untagged": parse_reference(tag).familiar()})
            try:
                deleted, freed = self._delete(image_id)
            except ImageNotFound:
                continue  # removed meanwhile
            actions.append(deleted)
            reclaimed += freed
        return actions, reclaimed

    def layers_size(self) -> int:
        """The bytes of every layer in the store, each counted once however many images share it."""
        return self.store.layers.total_size()

    def _delete(self, image_id: str) -> tuple[dict[str, str], int]:
        """Deletes the image and whatever of its layers and blobs no other image needs; the bytes of those layers."""
        record = self._images.record(image_id)
        manifest = self._images.manifest(record)
        own_layers = self.layers(image_id)
        doomed_chains = {layer.chain_id for layer in own_layers}
        with self._images.locked():
            self._images.delete_record(image_id)
            for other in self._images.ids():
                doomed_chains -= {layer.chain_id for layer in self.layers(other)}
                if not doomed_chains:
                    break
        freed = sum(layer.size for layer in own_layers if layer.chain_id in doomed_chains)
        for chain in doomed_chains:
            self.store.layers.remove(chain)
        still_used_blobs = set()
        for other in self._images.ids():
            other_manifest = self._images.manifest(self._images.record(other))
            still_used_blobs |= {d.digest for d in other_manifest.layers}
        for descriptor in manifest.layers:
            if descriptor.digest not in still_used_blobs:
                self.store.blobs.delete(descriptor.digest)
        self.store.blobs.delete(record.manifest_digest)
        self.store.blobs.delete(image_id)
        return {"Deleted": image_id}, freed

    def exists(self, name: str) -> bool:
        try:
            self.resolve(name)
        except ImageNotFound:
            return False
        return True
