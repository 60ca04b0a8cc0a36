"""save and load between hydockd and other tools: the docker CLI, docker-py, skopeo and umoci."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import docker
import pytest

from tests.interop.conftest import Daemon


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is required for this interop test (tools/install.sh installs it)")
    return path


def skopeo(*args: str) -> None:
    result = subprocess.run([tool("skopeo"), "--insecure-policy", *args], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()


def test_docker_save_piped_into_docker_load(daemon: Daemon, tmp_path: Path) -> None:
    since = time.time()
    ok(daemon.docker("tag", "busybox", "piped:1"))
    env = {**os.environ, "DOCKER_HOST": daemon.url, "DOCKER_CONFIG": str(daemon.root / ".docker")}
    saving = subprocess.Popen(["docker", "save", "busybox", "piped:1"], stdout=subprocess.PIPE, env=env)
    loading = subprocess.run(["docker", "load"], stdin=saving.stdout, capture_output=True, env=env, timeout=60)
    assert saving.wait(timeout=60) == 0
    assert ok(loading) == "Loaded image: busybox:latest\nLoaded image: piped:1\n"

    archive = tmp_path / "busybox.tar"
    ok(daemon.docker("save", "-o", str(archive), "busybox"))
    ok(daemon.docker("rmi", "busybox", "piped:1"))
    assert ok(daemon.docker("load", "-i", str(archive))) == "Loaded image: busybox:latest\n"
    assert ok(daemon.docker("run", "--rm", "busybox", "echo", "loaded")) == "loaded\n"
    actions = ok(
        daemon.docker("events", "--since", str(since), "--until", str(time.time()), "--filter", "type=image",
                      "--format", "{{.Action}}")
    ).split()  # fmt: skip
    assert actions.count("save") == 2 and actions.count("load") == 3, actions

    truncated = archive.read_bytes()[: archive.stat().st_size // 2]
    broken = daemon.docker("load", input=truncated)
    assert broken.returncode == 1
    assert b"the archive ends inside this file" in broken.stderr and broken.stderr.count(b"\n") == 1


def test_docker_py_save_and_load(daemon: Daemon) -> None:
    client = docker.DockerClient(base_url=daemon.url, version="auto")
    try:
        image = client.images.get("busybox")
        by_id = b"".join(image.save())
        named = b"".join(image.save(named=True))
        client.images.remove("busybox")
        [loaded] = client.images.load(by_id)
        assert (loaded.id, loaded.tags) == (image.id, [])
        [tagged] = client.images.load(named)
        assert (tagged.id, tagged.tags) == (image.id, ["busybox:latest"])
        with pytest.raises(docker.errors.ImageLoadError):
            client.images.load(by_id[: len(by_id) // 2])
        with pytest.raises(docker.errors.NotFound):
            b"".join(client.api.get_image("missing:1"))
    finally:
        client.close()


def test_skopeo_reads_a_hydock_save(daemon: Daemon, tmp_path: Path) -> None:
    archive = tmp_path / "busybox.tar"
    ok(daemon.docker("save", "-o", str(archive), "busybox"))
    skopeo("copy", f"docker-archive:{archive}", f"oci:{tmp_path / 'from-docker-archive'}:latest")
    skopeo("copy", f"oci-archive:{archive}", f"oci:{tmp_path / 'from-oci-archive'}:latest")
    for layout in ("from-docker-archive", "from-oci-archive"):
        assert (tmp_path / layout / "index.json").exists()


@pytest.mark.parametrize("transport", ["oci-archive", "docker-archive"])
def test_hydock_loads_what_skopeo_writes(daemon: Daemon, tmp_path: Path, transport: str) -> None:
    archive = tmp_path / "busybox.tar"
    ok(daemon.docker("save", "-o", str(archive), "busybox"))
    copied = tmp_path / f"{transport}.tar"
    skopeo("copy", f"docker-archive:{archive}", f"{transport}:{copied}:skopeo/{transport}:1")
    assert ok(daemon.docker("load", "-i", str(copied))) == f"Loaded image: skopeo/{transport}:1\n"
    assert ok(daemon.docker("run", "--rm", f"skopeo/{transport}:1", "echo", transport)) == f"{transport}\n"


def test_umoci_unpacks_the_oci_layout_of_a_save(daemon: Daemon, tmp_path: Path) -> None:
    archive = tmp_path / "busybox.tar"
    ok(daemon.docker("save", "-o", str(archive), "busybox"))
    layout = tmp_path / "layout"
    layout.mkdir()
    subprocess.run(["tar", "-xf", str(archive), "-C", str(layout)], check=True)
    bundle = tmp_path / "bundle"
    result = subprocess.run(
        [tool("umoci"), "unpack", "--image", f"{layout}:latest", str(bundle)], capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode()
    assert (bundle / "config.json").exists()
    assert (bundle / "rootfs" / "bin" / "busybox").stat().st_size > 0
