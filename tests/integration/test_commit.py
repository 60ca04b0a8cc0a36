"""commit_layer: a container's upper dir (whiteouts, opaque dirs) becomes a stored layer and its gzip blob, which
a container stacked on it sees as the changes; the same changes with a fixed mtime give the same digest."""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path

from hydock import Engine
from hydock.engine.commit import commit_layer
from hydock.engine.containers import ContainerBase
from hydock.store.records import MEDIA_OCI_LAYER_GZIP


def _changes(upper: Path) -> Path:
    upper.mkdir()
    (upper / "etc").mkdir()
    (upper / "etc" / "added").write_text("added\n")
    os.mknod(upper / "etc" / "profile", 0o600 | 0o020000, os.makedev(0, 0))  # an overlay whiteout
    (upper / "home").mkdir()
    os.setxattr(upper / "home", "trusted.overlay.opaque", b"y")
    return upper


def test_upper_dir_becomes_a_layer(engine: Engine, image: str, tmp_path: Path) -> None:
    store = engine.store
    image_id = engine.image_service.resolve(image)
    parent = engine.image_service.layers(image_id)[-1].chain_id
    committed = commit_layer(store, _changes(tmp_path / "upper"), parent, mtime=0)
    assert committed is not None
    assert not (tmp_path / "upper").exists(), "the upper dir is taken over, not copied"
    assert committed.descriptor.media_type == MEDIA_OCI_LAYER_GZIP
    with gzip.open(store.blobs.path(committed.descriptor.digest)) as raw, tarfile.open(fileobj=raw) as tar:
        names = {member.name: member for member in tar.getmembers()}
    assert set(names) == {"etc", "etc/added", "etc/.wh.profile", "home", "home/.wh..wh..opq"}
    assert all(member.mtime == 0 for member in names.values())
    assert store.layers.exists(committed.layer.chain_id)

    base = ContainerBase(image, image_id, engine.image_service.config(image_id).config,
                         [*map(store.layers.lower_path, [committed.layer]), *engine.image_service.lower_dirs(image_id)])  # fmt: skip
    record = engine.container_service.create_from(base, ["sh", "-c", "cat /etc/added; ls /etc/profile; ls -A /home"])
    exited, out, err = engine.container_service.run_to_completion(record.id)
    engine.container_service.remove(record.id)
    assert out == b"added\n"
    assert b"No such file" in err


def test_same_changes_same_digest_and_no_changes_no_layer(engine: Engine, tmp_path: Path) -> None:
    first = commit_layer(engine.store, _changes(tmp_path / "a"), "", mtime=1_700_000_000)
    second = commit_layer(engine.store, _changes(tmp_path / "b"), "", mtime=1_700_000_000)
    assert first is not None and second is not None
    assert first.descriptor == second.descriptor
    assert first.layer == second.layer
    (tmp_path / "empty").mkdir()
    assert commit_layer(engine.store, tmp_path / "empty", "") is None
