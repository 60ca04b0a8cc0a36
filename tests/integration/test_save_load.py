"""save and load end to end: the CLI through hydockd and the engine, round trips that run the loaded image, gzip and
zstd layers, layers already in the store, and broken archives that must leave the store as it was."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pty
import subprocess
import tarfile
from pathlib import Path

import msgspec
import pytest

from hydock import Engine, _core
from hydock.errors import ArchiveError
from hydock.platforms import host_architecture
from hydock.store.records import ImageConfig, RootFS
from tests.integration.conftest import Cli


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_files(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def make_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def save(engine: Engine, *names: str) -> bytes:
    return b"".join(engine.image_service.save(list(names)))


def store_state(root: Path) -> dict[str, object]:
    """Everything a load could leave behind: images, tags, layers and their links, blobs, ingest files."""
    tags = root / "images" / "tags.json"
    return {
        "images": sorted(p.name for p in (root / "images").glob("*.json")),
        "tags": tags.read_bytes() if tags.exists() else b"",
        "layers": sorted(p.name for p in (root / "layers").iterdir()),
        "links": sorted(p.name for p in (root / "layers" / "l").iterdir()),
        "blobs": sorted(p.name for p in (root / "blobs" / "sha256").iterdir()),
        "ingest": sorted(p.name for p in (root / "ingest").iterdir()),
    }


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_save_rmi_load_run(cli: Cli, image: str, tmp_path: Path) -> None:
    image_id = ok(cli("images", "-q", "--no-trunc", image)).strip()
    ok(cli("tag", image, "box:2"))
    archive = tmp_path / "images.tar"
    assert ok(cli("save", "-o", str(archive), image, "box:2")) == ""
    ok(cli("rmi", image, "box:2"))
    assert ok(cli("load", "-i", str(archive))) == "Loaded image: busybox:latest\nLoaded image: box:2\n"
    assert ok(cli("images", "-q", "--no-trunc", "box")).strip() == image_id
    assert ok(cli("run", "--rm", "box:2", "echo", "loaded")) == "loaded\n"

    single = tmp_path / "single.tar"
    ok(cli("save", "--output", str(single), image))
    streamed = cli("save", image)
    assert streamed.returncode == 0 and streamed.stdout == single.read_bytes()
    ok(cli("rmi", image))
    assert ok(cli("load", input=streamed.stdout)) == "Loaded image: busybox:latest\n"

    by_id = cli("save", image_id)
    ok(cli("rmi", "-f", image_id))
    assert ok(cli("load", "-q", input=by_id.stdout)) == f"Loaded image ID: {image_id}\n"
    assert ok(cli("run", "--rm", image_id, "echo", "by id")) == "by id\n"


def test_save_and_load_refuse_a_terminal(cli: Cli, image: str) -> None:
    controller, terminal = pty.openpty()
    try:
        saved = subprocess.run(cli.argv("save", image), stdout=terminal, stderr=subprocess.PIPE, timeout=60)
        loaded = subprocess.run(cli.argv("load"), stdin=terminal, capture_output=True, timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)
    assert (saved.returncode, saved.stderr) == (
        1,
        b"cowardly refusing to save to a terminal. Use the -o flag or redirect\n",
    )
    assert (loaded.returncode, loaded.stderr) == (1, b"requested load from stdin, but stdin is empty\n")


def test_load_takes_a_tag_from_the_image_that_had_it(cli: Cli, image: str, busybox_tar: Path) -> None:
    archive = cli("save", image).stdout
    newer = ok(cli("import", str(busybox_tar), "busybox:latest")).strip()
    report = ok(cli("load", input=archive))
    assert report == (
        f"The image busybox:latest already exists, renaming the old one with ID {newer} to empty string\n"
        "Loaded image: busybox:latest\n"
    )
    assert ok(cli("images", "-q", "--no-trunc", image)).strip() != newer


def old_layout(archive: bytes, change_layer: bytes | None = None) -> bytes:
    """The save in dockerd 20.10's layout (<v1 id>/layer.tar, <image id>.json), optionally with another top layer."""
    files = tar_files(archive)
    [entry] = json.loads(files["manifest.json"])
    layers = {f"{i:064x}/layer.tar": files[path] for i, path in enumerate(entry["Layers"])}
    if change_layer is not None:
        layers[f"{len(layers) - 1:064x}/layer.tar"] = change_layer
    config = entry["Config"].removeprefix("blobs/sha256/") + ".json"
    manifest = [{"Config": config, "RepoTags": entry["RepoTags"], "Layers": list(layers)}]
    return make_tar({**layers, config: files[entry["Config"]], "manifest.json": json.dumps(manifest).encode()})


def broken_archives(archive: bytes) -> dict[str, tuple[bytes, str]]:
    """Broken variants of a one-layer save, each with the entry its error must name."""
    files = tar_files(archive)
    [entry] = json.loads(files["manifest.json"])
    layer_name = entry["Layers"][0]
    layer = files[layer_name]
    flipped = bytearray(layer)
    flipped[len(layer) // 2] ^= 0x40
    missing = {name: data for name, data in files.items() if name != layer_name}
    cut_gzip = gzip.compress(layer, mtime=0)[:-100]
    return {
        "flipped byte": (make_tar({**files, layer_name: bytes(flipped)}), layer_name),
        "missing blob": (make_tar(missing), layer_name),
        "path escaping the root": (make_tar({**files, "../../../etc/hydock-evil": b"x"}), "../../../etc/hydock-evil"),
        "truncated": (archive[: archive.index(layer[:4096]) + 100_000], layer_name),
        "flipped byte, old layout": (old_layout(archive, bytes(flipped)), f"{0:064x}/layer.tar"),
        "cut gzip layer": (old_layout(archive, cut_gzip), f"{0:064x}/layer.tar"),
    }


def test_broken_archives_are_one_line_errors_and_change_nothing(cli: Cli, image: str, root: Path) -> None:
    archive = cli("save", image).stdout
    ok(cli("rmi", image))
    before = store_state(root)
    for case, (broken, entry) in broken_archives(archive).items():
        result = cli("load", input=broken)
        message = result.stderr.decode()
        assert result.returncode == 1, case
        assert message.count("\n") == 1 and message.startswith(f"Error response from daemon: {entry}: "), (
            case,
            message,
        )
        assert result.stdout == b"", case
        assert store_state(root) == before, case
    assert not Path("/etc/hydock-evil").exists()


def test_a_corrupt_blob_in_the_store_fails_the_save(cli: Cli, image: str, root: Path, tmp_path: Path) -> None:
    [entry] = json.loads(tar_files(cli("save", image).stdout)["manifest.json"])
    blob = root / entry["Layers"][0]
    content = bytearray(blob.read_bytes())
    content[len(content) // 2] ^= 1
    blob.write_bytes(content)
    out = tmp_path / "out"
    out.mkdir()
    failed = cli("save", "-o", str(out / "never.tar"), image)
    assert failed.returncode == 1 and failed.stderr.count(b"\n") == 1, failed.stderr
    assert list(out.iterdir()) == [], "no partial archive is left behind"
    assert b"is corrupt" in (root / "hydockd.log").read_bytes()


def two_layer_image(engine: Engine, busybox_tar: Path, tmp_path: Path) -> str:
    extra = tmp_path / "extra.tar"
    extra.write_bytes(make_tar({"srv/extra.txt": b"second layer\n"}))
    return engine.image_service.create_from_layers([busybox_tar, extra], "two:1")


def test_a_failed_load_removes_the_layers_it_unpacked(engine: Engine, busybox_tar: Path, tmp_path: Path) -> None:
    two_layer_image(engine, busybox_tar, tmp_path)
    archive = save(engine, "two:1")
    engine.image_service.remove("two:1")
    before = store_state(engine.root)
    with pytest.raises(ArchiveError, match=r"/layer\.tar: layer content hashes to"):
        engine.image_service.load(io.BytesIO(old_layout(archive, make_tar({"srv/other.txt": b"not it\n"}))))
    assert store_state(engine.root) == before
    [loaded] = engine.image_service.load(io.BytesIO(old_layout(archive)))
    assert loaded.tags == ["two:1"]
    assert engine.containers.run("two:1", ["cat", "/srv/extra.txt"], remove=True) == b"second layer\n"


def diff_inode(engine: Engine, image: str, index: int) -> int:
    layer = engine.image_service.layers(engine.image_service.resolve(image))[index]
    return engine.store.layers.diff_path(layer).stat().st_ino


def oci_archive(config: ImageConfig, layers: list[tuple[bytes, str]], name: str) -> bytes:
    """An OCI image layout as skopeo's oci-archive writes it: (blob, media type) layers, named by ref.name."""
    config_bytes = msgspec.json.encode(config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config_bytes),
                   "size": len(config_bytes)},
        "layers": [{"mediaType": media, "digest": digest(blob), "size": len(blob)} for blob, media in layers],
    }).encode()  # fmt: skip
    index = {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(manifest), "size": len(manifest),
         "annotations": {"org.opencontainers.image.ref.name": name}},
    ]}  # fmt: skip
    blobs = {f"blobs/sha256/{digest(b).removeprefix('sha256:')}": b for b in (config_bytes, manifest, *dict(layers))}
    return make_tar(
        {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": json.dumps(index).encode(), **blobs}
    )


def test_layers_in_the_store_are_checked_not_unpacked(
    engine: Engine, image: str, busybox_tar: Path, tmp_path: Path
) -> None:
    image_id = two_layer_image(engine, busybox_tar, tmp_path)
    archive = tar_files(save(engine, "two:1"))
    config = msgspec.json.decode(archive[f"blobs/sha256/{image_id.removeprefix('sha256:')}"], type=ImageConfig)
    [bottom, top] = [archive[f"blobs/sha256/{d.removeprefix('sha256:')}"] for d in config.rootfs.diff_ids]
    shared = diff_inode(engine, image, 0)
    assert diff_inode(engine, "two:1", 0) == shared
    engine.image_service.remove("two:1")

    gzip_media = "application/vnd.oci.image.layer.v1.tar+gzip"
    gzipped = [(gzip.compress(blob, mtime=0), gzip_media) for blob in (bottom, top)]
    [loaded] = engine.image_service.load(io.BytesIO(oci_archive(config, gzipped, "gzipped:1")))
    assert (loaded.id, loaded.tags) == (image_id, ["gzipped:1"])
    assert diff_inode(engine, "gzipped:1", 0) == shared
    assert engine.containers.run("gzipped:1", ["cat", "/srv/extra.txt"], remove=True) == b"second layer\n"
    manifest = engine.store.images.manifest(engine.store.images.record(image_id))
    assert [layer.media_type for layer in manifest.layers] == [gzip_media, gzip_media]
    engine.image_service.remove("gzipped:1")

    not_busybox = (gzip.compress(bottom.replace(b"root:x:0:0", b"root:x:0:1"), mtime=0), gzip_media)
    before = store_state(engine.root)
    with pytest.raises(
        ArchiveError, match=r"^blobs/sha256/\w+: layer content hashes to sha256:\w+, not to its diff id"
    ):
        engine.image_service.load(io.BytesIO(oci_archive(config, [not_busybox, gzipped[1]], "bad:1")))
    assert store_state(engine.root) == before

    [again] = engine.image_service.load(io.BytesIO(make_tar(archive)))
    assert again.tags == ["two:1"]
    assert diff_inode(engine, "two:1", 0) == shared
    assert engine.containers.run("two:1", ["cat", "/srv/extra.txt"], remove=True) == b"second layer\n"


def test_zstd_layers_are_unpacked(engine: Engine, image: str, tmp_path: Path) -> None:
    [layer] = engine.image_service.layers(engine.image_service.resolve(image))
    blob = tmp_path / "layer.tar.zst"
    stats = _core.diff_layer(str(engine.store.layers.diff_path(layer)), str(blob), compression="zstd")
    config = ImageConfig(host_architecture(), "linux", RootFS("layers", [stats.diff_id]))
    zstd = [(blob.read_bytes(), "application/vnd.oci.image.layer.v1.tar+zstd")]
    [loaded] = engine.image_service.load(io.BytesIO(oci_archive(config, zstd, "zstd:1")))
    assert loaded.tags == ["zstd:1"]
    assert engine.containers.run("zstd:1", ["echo", "from zstd"], remove=True) == b"from zstd\n"
    manifest = engine.store.images.manifest(engine.store.images.record(loaded.id))
    assert manifest.layers[0].media_type == "application/vnd.oci.image.layer.v1.tar+zstd"


def test_python_doors_save_and_load(engine: Engine, cli: Cli, root: Path, busybox_tar: Path) -> None:
    import hydock

    image = engine.images.import_image(busybox_tar, "doors:1")
    archive = b"".join(image.save(named=True))
    engine.images.remove("doors:1")
    (loaded,) = engine.images.load(archive)
    assert loaded.id == image.id and loaded.tags == ["doors:1"]
    with hydock.Client(base_url=f"unix://{root / 'hydock.sock'}") as client:
        saved = b"".join(client.images.get("doors:1").save())  # by ID: no tag travels
        client.images.remove("doors:1")
        (again,) = client.images.load(saved)
        assert again.id == image.id and again.tags == []
