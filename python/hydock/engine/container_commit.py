"""`docker commit`: a container's changes so far, on top of its image, as a new image. The container keeps
running (paused while its upper dir is read, by default) and keeps its upper dir."""

from __future__ import annotations

import msgspec

from hydock.engine.changes import apply_changes
from hydock.engine.containers import ContainerService
from hydock.engine.images import ImageService
from hydock.errors import Conflict
from hydock.store.records import LAYER_MEDIA_BY_COMPRESSION, ContainerConfig, Descriptor, History, ImageConfig, RootFS
from hydock.store.reference import parse_reference
from hydock.timeutil import now_rfc3339


def commit_container(
    images: ImageService,
    containers: ContainerService,
    name: str,
    reference: str | None = None,
    *,
    changes: list[str] | None = None,
    message: str = "",
    author: str = "",
    pause: bool = True,
) -> str:
    """The new image's ID; tagged `reference` when given."""
    ref = parse_reference(reference).with_default_tag() if reference else None
    container_id = containers.resolve(name)
    record = containers.inspect(container_id)
    if not record.image:
        raise Conflict(f"container {container_id} has no image to commit on top of")
    store = images.store
    base = images.config(record.image)
    ingest = store.blobs.ingest_path()
    try:
        froze = pause and record.state.running and not record.state.paused
        if froze:
            containers.pause(container_id)
        try:
            stats = store.layers.diff(containers.upper_dir(container_id), ingest, "gzip")
        finally:
            if froze:
                containers.unpause(container_id)
        parent = images.layers(record.image)[-1].chain_id if base.rootfs.diff_ids else ""
        store.layers.apply(str(ingest), parent, None, diff_id=stats.diff_id)
        store.blobs.commit_ingest(ingest, stats.digest)
    finally:
        ingest.unlink(missing_ok=True)
    # The container's settings (its Healthcheck merged at create among them) over its image's; OnBuild is the image's.
    ran = msgspec.convert(msgspec.to_builtins(record.config), ContainerConfig)
    overrides = {
        field: getattr(ran, field) for field in ran.__struct_fields__ if getattr(ran, field) not in (None, "", [], {})
    }
    created = now_rfc3339()
    config = ImageConfig(
        architecture=base.architecture,
        os=base.os,
        variant=base.variant,
        created=created,
        author=author,
        rootfs=RootFS("layers", [*base.rootfs.diff_ids, stats.diff_id]),
        config=apply_changes(msgspec.structs.replace(base.config, **overrides), changes or []),
        history=[
            *base.history,
            History(created=created, created_by=" ".join([record.path, *record.args]), author=author, comment=message),
        ],  # fmt: skip
    )
    image_record = store.images.record(record.image)
    layers = [*store.images.manifest(image_record).layers,
              Descriptor(LAYER_MEDIA_BY_COMPRESSION["gzip"], stats.digest, stats.compressed_size)]  # fmt: skip
    image_id = images.store_image(msgspec.json.encode(config), layers)
    if ref is not None:
        images.tag(image_id, str(ref))
    return image_id
