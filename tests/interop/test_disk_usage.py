"""The real docker CLI and docker-py on hydockd's disk usage and prune endpoints."""

from __future__ import annotations

from pathlib import Path

import docker

from tests.interop.conftest import Daemon
from tests.interop.test_docker_cli import ok


def test_docker_system_df_ps_size_and_prunes(daemon: Daemon, busybox_tar: Path) -> None:
    ok(daemon.docker("import", str(busybox_tar)))  # dangling: shares busybox's layer
    ok(daemon.docker("run", "--name", "writer", "busybox", "sh", "-c", "head -c 2000 /dev/zero > /f"))

    lines = ok(daemon.docker("system", "df")).splitlines()
    assert lines[1].split()[:3] == ["Images", "2", "1"]
    assert lines[2].split() == ["Containers", "1", "0", "2kB", "2kB", "(100%)"]
    size = daemon.docker("ps", "-a", "-s", "--format", "{{.Size}}")
    assert size.stdout.decode().startswith("2kB (virtual ")

    assert ok(daemon.docker("image", "prune", "-f")).startswith("Deleted Images:\ndeleted: sha256:")
    everything = ok(daemon.docker("system", "prune", "-a", "-f"))
    assert "Deleted Containers:" in everything
    assert "untagged: busybox:latest" in everything
    assert daemon.docker("images", "-q").stdout == b""


def test_docker_py_df_and_image_prune(daemon: Daemon, busybox_tar: Path) -> None:
    client = docker.DockerClient(base_url=daemon.url)
    with open(busybox_tar, "rb") as tar:
        client.api.import_image_from_data(tar.read())
    usage = client.df()
    assert usage["LayersSize"] > 0 and len(usage["Images"]) == 2
    assert client.images.prune()["ImagesDeleted"][0]["Deleted"].startswith("sha256:")
    report = client.images.prune(filters={"dangling": False})
    assert {"Untagged": "busybox:latest"} in report["ImagesDeleted"]
    assert client.images.list() == []
