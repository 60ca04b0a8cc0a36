"""The image archive formats without a store or a kernel: what `save` writes, and what `load` reads of it and of the
layouts dockerd 20.10, Docker 25+ and skopeo write, down to the one-line errors of broken archives."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import msgspec
import pytest

from hydock.errors import ArchiveError, DigestMismatch
from hydock.store.archive_reader import ArchivedImage, archived_images, spool_archive
from hydock.store.archive_writer import SavedImage, write_archive
from hydock.store.blobs import BlobStore
from hydock.store.records import (
    MEDIA_OCI_CONFIG,
    MEDIA_OCI_INDEX,
    MEDIA_OCI_LAYER,
    MEDIA_OCI_MANIFEST,
    Descriptor,
    ImageConfig,
    Manifest,
    Platform,
    RootFS,
)
from hydock.store.reference import parse_reference


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_tar(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()


def tar_files(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


LAYER = make_tar({"hello.txt": b"hello\n"})
CONFIG = msgspec.json.encode(ImageConfig("amd64", "linux", RootFS("layers", [digest(LAYER)])))
IMAGE_ID = digest(CONFIG)


def blob_name(data: bytes) -> str:
    return "blobs/sha256/" + digest(data).removeprefix("sha256:")


def read(archive: bytes, tmp_path: Path, architecture: str = "amd64") -> list[ArchivedImage]:
    spool = tmp_path / f"spool-{len(list(tmp_path.iterdir()))}"
    spool.mkdir()
    return archived_images(spool_archive(io.BytesIO(archive), spool), architecture)


@pytest.fixture
def saved(tmp_path: Path) -> bytes:
    """What `save busybox:1 registry.example:5000/team/app:v2` writes of a one-layer image."""
    blobs = BlobStore(tmp_path / "store")
    blobs.blob_dir.mkdir(parents=True)
    blobs.write(LAYER)
    blobs.write(CONFIG)
    manifest = Manifest(
        2, Descriptor(MEDIA_OCI_CONFIG, IMAGE_ID, len(CONFIG)), [Descriptor(MEDIA_OCI_LAYER, digest(LAYER), len(LAYER))]
    )
    manifest_bytes = msgspec.json.encode(manifest)
    blobs.write(manifest_bytes)
    image = SavedImage(
        manifest=manifest,
        descriptor=Descriptor(MEDIA_OCI_MANIFEST, digest(manifest_bytes), len(manifest_bytes)),
        platform=Platform("amd64", "linux"),
        tags=[parse_reference("busybox:1"), parse_reference("registry.example:5000/team/app:v2")],
    )
    archive = b"".join(write_archive([image], blobs))
    assert archive == b"".join(write_archive([image], blobs)), "saving twice gives the same bytes"
    return archive


def test_save_writes_one_set_of_blobs_for_docker_and_oci_readers(saved: bytes) -> None:
    files = tar_files(saved)
    manifest_blob = next(data for name, data in files.items() if name.startswith("blobs/") and b"schemaVersion" in data)
    assert sorted(files) == sorted(
        [blob_name(LAYER), blob_name(CONFIG), blob_name(manifest_blob), "index.json", "manifest.json", "oci-layout",
         "repositories"]
    )  # fmt: skip
    assert json.loads(files["manifest.json"]) == [
        {
            "Config": blob_name(CONFIG),
            "RepoTags": ["busybox:1", "registry.example:5000/team/app:v2"],
            "Layers": [blob_name(LAYER)],
        }
    ]
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(files["index.json"])
    assert index["mediaType"] == MEDIA_OCI_INDEX
    assert [(m["digest"], m["annotations"], m["platform"]) for m in index["manifests"]] == [
        (
            digest(manifest_blob),
            {"io.containerd.image.name": "docker.io/library/busybox:1", "org.opencontainers.image.ref.name": "1"},
            {"architecture": "amd64", "os": "linux"},
        ),
        (
            digest(manifest_blob),
            {
                "io.containerd.image.name": "registry.example:5000/team/app:v2",
                "org.opencontainers.image.ref.name": "v2",
            },
            {"architecture": "amd64", "os": "linux"},
        ),
    ]
    top = digest(LAYER).removeprefix("sha256:")
    assert json.loads(files["repositories"]) == {"busybox": {"1": top}, "registry.example:5000/team/app": {"v2": top}}


def test_load_reads_back_what_save_wrote_through_either_description(saved: bytes, tmp_path: Path) -> None:
    [image] = read(saved, tmp_path)
    assert (image.id, image.config, image.diff_ids) == (IMAGE_ID, CONFIG, [digest(LAYER)])
    assert [(layer.name, layer.digest) for layer in image.layers] == [(blob_name(LAYER), digest(LAYER))]
    assert [str(name) for name in image.names] == ["docker.io/library/busybox:1", "registry.example:5000/team/app:v2"]
    oci_only = {name: data for name, data in tar_files(saved).items() if name not in ("manifest.json", "repositories")}
    [from_index] = read(make_tar(oci_only), tmp_path)
    assert (from_index.id, from_index.names) == (image.id, image.names)


def test_the_old_docker_layout_and_skopeo_links(tmp_path: Path) -> None:
    """dockerd 20.10: <v1 id>/layer.tar and <image id>.json; skopeo: layer.tar a link to <diff id>.tar."""
    hexid = IMAGE_ID.removeprefix("sha256:")
    entry = {"Config": f"{hexid}.json", "RepoTags": ["bbx:1"], "Layers": ["0123abcd/layer.tar"]}
    old = {"0123abcd/layer.tar": LAYER, "0123abcd/VERSION": b"1.0", f"{hexid}.json": CONFIG}
    old["manifest.json"] = json.dumps([entry]).encode()
    [image] = read(make_tar(old), tmp_path)
    assert (image.id, [str(n) for n in image.names], image.layers[0].digest) == (
        IMAGE_ID,
        ["docker.io/library/bbx:1"],
        digest(LAYER),
    )
    skopeo = {"layers/abc.tar": LAYER, f"{hexid}.json": CONFIG, "manifest.json": old["manifest.json"]}
    [linked] = read(make_tar(skopeo, links={"0123abcd/layer.tar": "../layers/abc.tar"}), tmp_path)
    assert linked.layers[0].name == "layers/abc.tar"


def oci_layout(index_entries: list[dict], extra_blobs: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    files = {blob_name(b): b for b in (LAYER, CONFIG, *extra_blobs)}
    files["oci-layout"] = b'{"imageLayoutVersion":"1.0.0"}'
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": index_entries}).encode()
    return make_tar(files)


MANIFEST = json.dumps({
    "schemaVersion": 2,
    "config": {"mediaType": MEDIA_OCI_CONFIG, "digest": IMAGE_ID, "size": len(CONFIG)},
    "layers": [{"mediaType": MEDIA_OCI_LAYER, "digest": digest(LAYER), "size": len(LAYER)}],
}).encode()  # fmt: skip


def manifest_entry(annotations: dict[str, str] | None = None, blob: bytes = MANIFEST) -> dict:
    entry = {"mediaType": MEDIA_OCI_MANIFEST, "digest": digest(blob), "size": len(blob)}
    return entry | ({"annotations": annotations} if annotations else {})


@pytest.mark.parametrize(
    ("annotations", "names"),
    [
        ({"org.opencontainers.image.ref.name": "skopeo/box:v1"}, ["docker.io/skopeo/box:v1"]),
        ({"org.opencontainers.image.ref.name": "latest"}, []),  # a bare tag names no repository
        (
            {"io.containerd.image.name": "docker.io/library/bb:2", "org.opencontainers.image.ref.name": "2"},
            ["docker.io/library/bb:2"],
        ),
        (None, []),
    ],
)
def test_oci_layout_names(annotations: dict[str, str] | None, names: list[str], tmp_path: Path) -> None:
    [image] = read(oci_layout([manifest_entry(annotations)], [MANIFEST]), tmp_path)
    assert image.id == IMAGE_ID
    assert [str(n) for n in image.names] == names


def test_a_multi_platform_index_gives_the_hosts_image(tmp_path: Path) -> None:
    config = {"mediaType": MEDIA_OCI_CONFIG, "digest": digest(b"x"), "size": 1}
    other = json.dumps({"schemaVersion": 2, "config": config, "layers": []}).encode()
    platforms = [
        manifest_entry(blob=other) | {"platform": {"architecture": "arm64", "os": "linux"}},
        manifest_entry() | {"platform": {"architecture": "amd64", "os": "linux"}},
    ]
    nested = json.dumps({"schemaVersion": 2, "mediaType": MEDIA_OCI_INDEX, "manifests": platforms}).encode()
    top = {"mediaType": MEDIA_OCI_INDEX, "digest": digest(nested), "size": len(nested)}
    named = top | {"annotations": {"io.containerd.image.name": "docker.io/library/multi:1"}}
    archive = oci_layout([named], [MANIFEST, other, nested])
    [image] = read(archive, tmp_path)
    assert (image.id, [str(n) for n in image.names]) == (IMAGE_ID, ["docker.io/library/multi:1"])
    with pytest.raises(ArchiveError, match=r"no image for linux/s390x in this index"):
        read(archive, tmp_path, architecture="s390x")


def replaced(archive: bytes, name: str, data: bytes | None) -> bytes:
    """The archive with one file's content changed, or left out when `data` is None."""
    files = tar_files(archive)
    if data is None:
        del files[name]
    else:
        files[name] = data
    return make_tar(files)


def test_a_flipped_byte_in_a_blob_is_named(saved: bytes, tmp_path: Path) -> None:
    flipped = bytearray(LAYER)
    flipped[600] ^= 1
    with pytest.raises(ArchiveError) as info:
        read(replaced(saved, blob_name(LAYER), bytes(flipped)), tmp_path)
    assert str(info.value).startswith(f"{blob_name(LAYER)}: content hashes to {digest(bytes(flipped))}")


def test_a_missing_blob_is_named(saved: bytes, tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=rf"^{blob_name(LAYER)}: no such file in the archive$"):
        read(replaced(saved, blob_name(LAYER), None), tmp_path)


def test_paths_escaping_the_archive_are_refused(saved: bytes, tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=r"^\.\./\.\./etc/passwd: path escapes the archive$"):
        read(make_tar({**tar_files(saved), "../../etc/passwd": b"x"}), tmp_path)
    entry = [{"Config": blob_name(CONFIG), "Layers": ["blobs/../../outside.tar"]}]
    with pytest.raises(ArchiveError, match=r"^blobs/\.\./\.\./outside\.tar: path escapes the archive$"):
        read(replaced(saved, "manifest.json", json.dumps(entry).encode()), tmp_path)
    entry = [{"Config": blob_name(CONFIG), "Layers": ["evil.tar"]}]
    escaping_link = make_tar(
        {**tar_files(saved), "manifest.json": json.dumps(entry).encode()}, {"evil.tar": "/etc/passwd"}
    )
    with pytest.raises(ArchiveError, match=r"^evil\.tar: a link pointing outside the archive$"):
        read(escaping_link, tmp_path)


def test_a_truncated_archive_names_the_file_it_ends_in(saved: bytes, tmp_path: Path) -> None:
    offset = saved.index(LAYER[:512])
    with pytest.raises(ArchiveError, match=rf"^{blob_name(LAYER)}: the archive ends inside this file"):
        read(saved[: offset + 1000], tmp_path)
    with pytest.raises(ArchiveError, match=r"^neither manifest\.json nor index\.json in the archive"):
        read(saved[: saved.index(b"index.json")], tmp_path)
    with pytest.raises(ArchiveError, match=r"^not a tar archive"):
        read(b"", tmp_path)


def test_a_later_entry_replaces_an_earlier_one_of_the_same_name(tmp_path: Path) -> None:
    earlier = make_tar({"l.tar": b"an earlier, wrong copy", "c.json": b"[]", "other": b"x"})
    # Two tars back to back, the first without its end blocks, read as one.
    joined = earlier[: earlier.index(b"x" + bytes(511)) + 512] + docker_archive("c.json", CONFIG, ["l.tar"])
    [image] = read(joined, tmp_path)
    assert (image.id, image.layers[0].digest) == (IMAGE_ID, digest(LAYER))


def test_a_compressed_archive_is_read_too(saved: bytes, tmp_path: Path) -> None:
    [image] = read(gzip.compress(saved), tmp_path)
    assert image.id == IMAGE_ID


def docker_archive(config_name: str, config: bytes, layers: list[str]) -> bytes:
    """A docker-archive of one image whose manifest.json lists `layers`, each LAYER."""
    manifest = json.dumps([{"Config": config_name, "Layers": layers}]).encode()
    return make_tar({**dict.fromkeys(layers, LAYER), config_name: config, "manifest.json": manifest})


def test_inconsistent_metadata_is_named(saved: bytes, tmp_path: Path) -> None:
    zeros = f"{'0' * 64}.json"
    with pytest.raises(ArchiveError, match=rf"^{zeros}: content hashes to {IMAGE_ID}, not to the image ID in its name"):
        read(docker_archive(zeros, CONFIG, ["l.tar"]), tmp_path)
    with pytest.raises(ArchiveError, match=r"lists 1 layers but its manifest 2"):
        read(docker_archive("c.json", CONFIG, ["l.tar", "m.tar"]), tmp_path)
    escaping = ImageConfig("amd64", "linux", RootFS("layers", ["sha256:../../x"]))
    with pytest.raises(ArchiveError, match=r"^c\.json: diff id: unsupported or malformed digest"):
        read(docker_archive("c.json", msgspec.json.encode(escaping), ["l.tar"]), tmp_path)
    with pytest.raises(ArchiveError, match=r"^c\.json: not an image config"):
        read(docker_archive("c.json", b"[]", ["l.tar"]), tmp_path)
    with pytest.raises(ArchiveError, match=r"^manifest\.json: "):
        read(replaced(saved, "manifest.json", b"{not json"), tmp_path)


def test_save_refuses_a_corrupt_blob_of_the_store(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    blobs.blob_dir.mkdir(parents=True)
    manifest = Manifest(
        2,
        Descriptor(MEDIA_OCI_CONFIG, blobs.write(CONFIG), len(CONFIG)),
        [Descriptor(MEDIA_OCI_LAYER, blobs.write(LAYER), len(LAYER))],
    )
    manifest_bytes = msgspec.json.encode(manifest)
    descriptor = Descriptor(MEDIA_OCI_MANIFEST, blobs.write(manifest_bytes), len(manifest_bytes))
    blobs.path(digest(LAYER)).write_bytes(LAYER[:-1] + b"\1")
    image = SavedImage(manifest, descriptor, Platform("amd64", "linux"), [])
    with pytest.raises(DigestMismatch, match=rf"^blob {digest(LAYER)} in the store is corrupt"):
        b"".join(write_archive([image], blobs))
