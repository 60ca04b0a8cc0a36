"""Pull and push of a ~300 MB multi-layer Debian image through a local docker-registry: hydock (through its
daemon), docker (when a dockerd answers), and skopeo + umoci, side by side."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from benches.conftest import CACHE, figure, have, hydock_command, missing, record
from tests.interop.registry_support import DockerRegistry, skopeo_copy

MIRROR = "http://deb.debian.org/debian"
# Each layer holds the paths under these prefixes (the last takes everything else), so the image has the
# layer structure of a real one: libraries, shared data, programs, the rest.
LAYER_PREFIXES = [("usr/lib",), ("usr/share",), ("usr/bin", "usr/sbin", "usr/libexec"), ()]


def _debian_rootfs() -> Path:
    rootfs = CACHE / "debian-rootfs"
    done = CACHE / "debian-rootfs.done"
    if not done.exists():
        if not have("debootstrap"):
            pytest.skip("debootstrap is not installed (apt-get install debootstrap)")
        shutil.rmtree(rootfs, ignore_errors=True)
        subprocess.run(["debootstrap", "--variant=minbase", "--include=python3,perl,ca-certificates", "bookworm",
                        str(rootfs), MIRROR], check=True, capture_output=True)  # fmt: skip
        done.touch()
    return rootfs


def _oci_layout(rootfs: Path, layout: Path) -> int:
    """The rootfs split into gzip layers, as an OCI layout; returns the uncompressed size."""
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    members: list[list[str]] = [[] for _ in LAYER_PREFIXES]
    for directory, dirs, files in os.walk(rootfs):
        for name in dirs + files:
            relative = os.path.relpath(os.path.join(directory, name), rootfs)
            index = next((i for i, prefixes in enumerate(LAYER_PREFIXES)
                          if any(relative == p or relative.startswith(p + "/") for p in prefixes)), len(LAYER_PREFIXES) - 1)  # fmt: skip
            members[index].append(relative)
    layers, diff_ids, total = [], [], 0
    for names in members:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for relative in sorted(names):
                tar.add(rootfs / relative, arcname=relative, recursive=False)
        data = raw.getvalue()
        total += len(data)
        compressed = gzip.compress(data, compresslevel=6, mtime=0)
        digest = hashlib.sha256(compressed).hexdigest()
        (blobs / digest).write_bytes(compressed)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": f"sha256:{digest}",
                       "size": len(compressed)})  # fmt: skip
        diff_ids.append("sha256:" + hashlib.sha256(data).hexdigest())

    def blob(document: dict) -> dict:
        data = json.dumps(document).encode()
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    config = blob({"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
                   "config": {"Cmd": ["bash"]}, "rootfs": {"type": "layers", "diff_ids": diff_ids}})  # fmt: skip
    manifest = blob({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                     "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config}, "layers": layers})  # fmt: skip
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
         "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}))  # fmt: skip
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return total


@pytest.fixture(scope="module")
def debian_image() -> tuple[Path, int]:
    layout = CACHE / "debian-layout"
    size_file = CACHE / "debian-layout.size"
    if not size_file.exists():
        shutil.rmtree(layout, ignore_errors=True)
        size_file.write_text(str(_oci_layout(_debian_rootfs(), layout)))
    return layout, int(size_file.read_text())


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, debian_image: tuple[Path, int]) -> Iterator[str]:
    root = tmp_path_factory.mktemp("bench-registry")
    registry = DockerRegistry(root)
    skopeo_copy(f"oci:{debian_image[0]}:latest", f"docker://{registry.address}/debian:bench")
    yield f"{registry.address}/debian:bench"
    registry.stop()


@pytest.fixture(scope="module")
def hydock_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("bench-pull-root")
    yield root
    pidfile = root / "hydockd.pid"
    if pidfile.exists():
        subprocess.run(["kill", pidfile.read_text().strip()], check=False)


def _hydock(root: Path, *args: str) -> list[str]:
    return [*hydock_command(), "--root", str(root), *args]


def _throughput(name: str, median: float | None, size: int) -> None:
    if median:
        figure(name, f"{size / median / 1e6:.0f} MB/s (of {size / 1e6:.0f} MB uncompressed)")


def test_hydock_pull(benchmark, registry: str, hydock_root: Path, debian_image: tuple[Path, int]) -> None:
    def setup() -> None:
        subprocess.run(_hydock(hydock_root, "rmi", registry), capture_output=True)

    benchmark.pedantic(lambda: subprocess.run(_hydock(hydock_root, "pull", "-q", registry), check=True,
                                              capture_output=True), setup=setup, rounds=5, warmup_rounds=1)  # fmt: skip
    median = record(benchmark, "hydock pull (300 MB Debian, 4 layers)")
    _throughput("hydock pull throughput", median, debian_image[1])


def test_docker_pull(benchmark, registry: str, debian_image: tuple[Path, int]) -> None:
    if not have("docker") or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        missing("docker pull (300 MB Debian, 4 layers)", "no dockerd answers on this machine")
        return

    def setup() -> None:
        _docker_forget(registry)

    benchmark.pedantic(lambda: subprocess.run(["docker", "pull", "-q", registry], check=True, capture_output=True),
                       setup=setup, rounds=5, warmup_rounds=1)  # fmt: skip
    median = record(benchmark, "docker pull (300 MB Debian, 4 layers)")
    _throughput("docker pull throughput", median, debian_image[1])
    subprocess.run(["docker", "rmi", "-f", registry], capture_output=True)


def _docker_forget(name: str) -> None:
    """Removes the image from dockerd by ID, whatever other names (from earlier runs' pushes) it has, so the next
    pull fetches and unpacks every layer again."""
    found = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", name], capture_output=True, text=True)
    if found.returncode == 0:
        subprocess.run(["docker", "rmi", "-f", found.stdout.strip()], capture_output=True)


def test_skopeo_umoci_pull(benchmark, registry: str, tmp_path: Path, debian_image: tuple[Path, int]) -> None:
    if not (have("skopeo") and have("umoci")):
        missing("skopeo copy + umoci unpack", "skopeo or umoci is not installed")
        return
    work = tmp_path / "work"

    def setup() -> None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()

    def pull() -> None:
        skopeo_copy(f"docker://{registry}", f"oci:{work / 'layout'}:latest")
        subprocess.run(["umoci", "unpack", "--image", f"{work / 'layout'}:latest", str(work / "bundle")], check=True,
                       capture_output=True)  # fmt: skip

    benchmark.pedantic(pull, setup=setup, rounds=3, warmup_rounds=0)
    record(benchmark, "skopeo copy + umoci unpack")
    shutil.rmtree(work, ignore_errors=True)


def _fresh_registry(tmp_path: Path) -> DockerRegistry:
    root = tmp_path / f"push-{len(list(tmp_path.glob('push-*')))}"
    root.mkdir()
    return DockerRegistry(root)


def test_hydock_push(benchmark, registry: str, hydock_root: Path, tmp_path: Path) -> None:
    subprocess.run(_hydock(hydock_root, "pull", "-q", registry), check=True, capture_output=True)
    targets: list[DockerRegistry] = []

    def setup() -> tuple[tuple[str], dict]:
        targets.append(_fresh_registry(tmp_path))
        target = f"{targets[-1].address}/debian:pushed"
        subprocess.run(_hydock(hydock_root, "tag", registry, target), check=True)
        return (target,), {}

    def push(target: str) -> None:
        subprocess.run(_hydock(hydock_root, "push", "-q", target), check=True, capture_output=True)

    try:
        benchmark.pedantic(push, setup=setup, rounds=3, warmup_rounds=0)
    finally:
        for target in targets:
            target.stop()
    record(benchmark, "hydock push (300 MB Debian, 4 layers)")


def test_docker_push(benchmark, registry: str, tmp_path: Path) -> None:
    if not have("docker") or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        missing("docker push (300 MB Debian, 4 layers)", "no dockerd answers on this machine")
        return
    subprocess.run(["docker", "pull", "-q", registry], check=True, capture_output=True)
    targets: list[DockerRegistry] = []

    def setup() -> tuple[tuple[str], dict]:
        targets.append(_fresh_registry(tmp_path))
        target = f"{targets[-1].address}/debian:pushed"
        subprocess.run(["docker", "tag", registry, target], check=True)
        return (target,), {}

    try:
        benchmark.pedantic(lambda target: subprocess.run(["docker", "push", "-q", target], check=True,
                                                         capture_output=True), setup=setup, rounds=3)  # fmt: skip
    finally:
        for target in targets:
            target.stop()
        subprocess.run(["docker", "rmi", "-f", registry], capture_output=True)
    record(benchmark, "docker push (300 MB Debian, 4 layers)")
