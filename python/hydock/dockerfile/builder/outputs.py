"""Where a built image goes besides the store (`-o`): a docker-archive or OCI layout tar (one tar both kinds of
reader accept, as `save` writes it), a tar of its files, or its files in a directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from hydock.api_types import BuildOutput
from hydock.dockerfile.builder.rootfs import MountedRoot
from hydock.dockerfile.builder.state import BuildState
from hydock.engine.images import ImageService
from hydock.errors import InvalidArgument
from hydock.store.layers import extract_tar

OUTPUT_TYPES = ("docker", "oci", "tar", "local")


def check_outputs(outputs: list[BuildOutput]) -> None:
    """Refuses, before building, outputs that could not be written."""
    for output in outputs:
        if output.type not in OUTPUT_TYPES:
            raise InvalidArgument(f"unsupported output type {output.type!r}: use one of {', '.join(OUTPUT_TYPES)}")
        dest = output.attrs.get("dest", "")
        if output.type != "docker" and not dest:
            raise InvalidArgument(f"output type {output.type} needs dest=PATH")
        if dest and not os.path.isabs(dest):
            raise InvalidArgument(f"output destination must be an absolute path: {dest}")


def write_outputs(
    images: ImageService, image_id: str, state: BuildState, outputs: list[BuildOutput], epoch: int | None
) -> None:
    for output in outputs:
        dest = output.attrs.get("dest", "")
        if output.type in ("docker", "oci") and dest:
            with open(dest, "wb") as out:
                for chunk in images.save([image_id]):
                    out.write(chunk)
        elif output.type in ("tar", "local"):
            _export_files(images, state, Path(dest), epoch, unpack=output.type == "local")


def _export_files(images: ImageService, state: BuildState, dest: Path, epoch: int | None, *, unpack: bool) -> None:
    """The image's files as one tar (sorted; with SOURCE_DATE_EPOCH no entry newer than it), or unpacked."""
    store = images.store
    tar = dest if not unpack else store.root / "builder" / "tmp" / f"export-{secrets.token_hex(6)}.tar"
    try:
        with MountedRoot(store, state) as root:
            store.layers.diff(root.path, tar, "none", epoch)
        if unpack:
            dest.mkdir(parents=True, exist_ok=True)
            extract_tar(str(tar), dest)
    finally:
        if unpack:
            tar.unlink(missing_ok=True)
