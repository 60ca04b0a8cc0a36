"""The real docker CLI (classic builder, DOCKER_BUILDKIT=0) and docker-py's images.build against hydockd."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import docker
import pytest

from tests.interop.conftest import Daemon

DOCKERFILE = """\
FROM busybox AS base
ARG NAME=nobody
WORKDIR /app
COPY . .
RUN echo "built for $NAME" > /app/built.txt
FROM base
LABEL stage=final
CMD ["cat", "/app/built.txt"]
"""


@pytest.fixture
def context(tmp_path: Path) -> Path:
    path = tmp_path / "context"
    path.mkdir()
    (path / "Dockerfile").write_text(DOCKERFILE)
    (path / "app.conf").write_text("conf\n")
    (path / "notes.tmp").write_text("ignored\n")
    (path / ".dockerignore").write_text("*.tmp\n")
    return path


@pytest.fixture
def classic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The docker CLI speaks the classic builder's protocol (POST /build), as without buildx."""
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")


def _docker_build(daemon: Daemon, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return daemon.docker("build", *args, input=input, timeout=120)


def test_docker_cli_classic_build(daemon: Daemon, context: Path, classic: None) -> None:
    built = _docker_build(daemon, "-t", "cli-built:1", "--build-arg", "NAME=docker", str(context))
    assert built.returncode == 0, built.stderr
    out = built.stdout.decode()
    assert "Step 1/8 : FROM busybox AS base" in out and "Successfully tagged cli-built:1" in out
    assert daemon.docker("run", "--rm", "cli-built:1").stdout == b"built for docker\n"
    listing = daemon.docker("run", "--rm", "cli-built:1", "ls", "-A", "/app").stdout.decode().split()
    assert listing == [".dockerignore", "Dockerfile", "app.conf", "built.txt"]
    inspected = daemon.docker("inspect", "-f", "{{.Config.Labels.stage}} {{.Config.WorkingDir}}", "cli-built:1")
    assert inspected.stdout == b"final /app\n"
    history = daemon.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", "cli-built:1").stdout.decode()
    assert '|1 NAME=docker /bin/sh -c echo "built for $NAME" > /app/built.txt' in history

    again = _docker_build(daemon, "-q", "-t", "cli-built:1", "--build-arg", "NAME=docker", str(context))
    assert again.returncode == 0, again.stderr
    image_id = daemon.docker("inspect", "-f", "{{.Id}}", "cli-built:1").stdout.decode().strip()
    assert again.stdout.decode().strip() == image_id

    (context / "Dockerfile").write_text("FROM busybox\nRUN exit 5\n")
    failed = _docker_build(daemon, str(context))
    assert failed.returncode == 5
    assert b"The command '/bin/sh -c exit 5' returned a non-zero code: 5" in failed.stderr


def test_docker_cli_stdin_dockerfile(daemon: Daemon, context: Path, classic: None) -> None:
    built = _docker_build(daemon, "-q", "-f-", str(context), input=b"FROM busybox\nCOPY app.conf /\n")
    assert built.returncode == 0, built.stderr
    image = built.stdout.decode().strip()
    assert daemon.docker("run", "--rm", image, "cat", "/app.conf").stdout == b"conf\n"


def test_docker_py_build(daemon: Daemon, context: Path) -> None:
    client = docker.DockerClient(base_url=daemon.url, version="1.41")
    try:
        image, logs = client.images.build(path=str(context), tag="py-built:1", buildargs={"NAME": "docker-py"}, rm=True)
        assert "py-built:1" in image.tags
        assert any("Successfully built" in entry.get("stream", "") for entry in logs)
        assert client.containers.run("py-built:1", remove=True) == b"built for docker-py\n"

        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            data = b"FROM busybox\nRUN echo from a fileobj > /f\n"
            info = tarfile.TarInfo("Dockerfile")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        archive.seek(0)
        image, _ = client.images.build(fileobj=archive, custom_context=True, tag="py-built:2")
        assert client.containers.run("py-built:2", ["cat", "/f"], remove=True) == b"from a fileobj\n"

        with pytest.raises(docker.errors.BuildError, match="returned a non-zero code: 3"):
            client.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN exit 3\n"))
        pruned = client.api.prune_builds()
        assert "SpaceReclaimed" in pruned
    finally:
        client.close()
