"""The docker CLI and docker-py against hydockd: volumes, run -v/--mount/--tmpfs, cp, diff, export, and docker-py's
volumes collection and put_archive/get_archive."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

import docker
import pytest

from tests.interop.conftest import Daemon


def _ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_docker_volume_commands(daemon: Daemon) -> None:
    assert _ok(daemon.docker("volume", "create", "--label", "k=v", "stash")) == "stash\n"
    listed = _ok(daemon.docker("volume", "ls", "--format", "{{.Driver}} {{.Name}} {{.Labels}}"))
    assert listed == "local stash k=v\n"
    inspected = json.loads(_ok(daemon.docker("volume", "inspect", "stash")))[0]
    assert inspected["Mountpoint"] == str(daemon.root / "volumes/stash/_data") and inspected["Scope"] == "local"
    assert _ok(daemon.docker("volume", "ls", "-q", "--filter", "dangling=true")) == "stash\n"
    _ok(daemon.docker("create", "--name", "user", "-v", "stash:/s", "busybox", "true"))
    in_use = daemon.docker("volume", "rm", "stash")
    assert in_use.returncode == 1 and b"remove stash: volume is in use - [" in in_use.stderr
    missing = daemon.docker("volume", "inspect", "nope")
    assert missing.returncode == 1 and b"get nope: no such volume" in missing.stderr
    _ok(daemon.docker("rm", "user"))
    # API 1.41 (docker's CLI talking to a 20.10-level daemon): prune takes every unused volume.
    assert "stash" in _ok(daemon.docker("volume", "prune", "-f"))
    assert _ok(daemon.docker("volume", "ls", "-q")) == ""


def test_docker_run_with_volumes_binds_and_tmpfs(daemon: Daemon, tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "in").write_text("host\n")
    run = ["run", "--rm", "--network", "none"]
    _ok(daemon.docker(*run, "-v", "kept:/k", "busybox", "sh", "-c", "echo one > /k/f"))
    assert _ok(daemon.docker(*run, "-v", "kept:/k:ro", "busybox", "cat", "/k/f")) == "one\n"
    refused = daemon.docker(*run, "-v", f"{host}:/h:ro", "busybox", "sh", "-c", "cat /h/in; touch /h/x")
    assert refused.returncode == 1 and refused.stdout == b"host\n" and b"Read-only file system" in refused.stderr
    mounted = _ok(daemon.docker(*run, "--mount", f"type=bind,src={host},dst=/m,readonly", "busybox", "ls", "/m"))
    assert mounted == "in\n"
    full = daemon.docker(
        *run, "--tmpfs", "/t:size=64k", "busybox", "dd", "if=/dev/zero", "of=/t/f", "bs=1k", "count=100"
    )
    assert full.returncode == 1 and b"No space left on device" in full.stderr
    bad = daemon.docker(*run, "--mount", "type=bind,src=/nonexistent-hydock,dst=/x", "busybox", "true")
    assert bad.returncode == 125
    assert b'invalid mount config for type "bind": bind source path does not exist: /nonexistent-hydock' in bad.stderr
    _ok(daemon.docker("create", "--name", "anon", "-v", "/scratch", "busybox", "true"))
    mounts = json.loads(_ok(daemon.docker("inspect", "-f", "{{json .Mounts}}", "anon")))
    assert [(m["Type"], m["Destination"], m["Driver"], m["RW"]) for m in mounts] == [
        ("volume", "/scratch", "local", True)
    ]
    _ok(daemon.docker("rm", "-v", "anon"))
    assert _ok(daemon.docker("volume", "ls", "-q")) == "kept\n"


def test_docker_cp_diff_and_export(daemon: Daemon, tmp_path: Path) -> None:
    script = "mkdir -p /d/sub && echo a > /d/a && ln -s /d/a /d/link && rm /etc/group"
    _ok(daemon.docker("run", "--name", "box", "--network", "none", "busybox", "sh", "-c", script))
    _ok(daemon.docker("cp", "box:/d", str(tmp_path / "out")))
    assert (tmp_path / "out/a").read_text() == "a\n" and (tmp_path / "out/link").readlink() == Path("/d/a")
    (tmp_path / "up").write_text("up\n")
    _ok(daemon.docker("cp", str(tmp_path / "up"), "box:/d/sub/"))
    streamed = subprocess.run(
        ["docker", "cp", "box:/d/sub", "-"], capture_output=True, check=True, env=_env(daemon)
    ).stdout
    assert tarfile.open(fileobj=io.BytesIO(streamed)).getnames() == ["sub", "sub/up"]
    missing = daemon.docker("cp", "box:/nope", str(tmp_path))
    assert missing.returncode == 1 and b"Could not find the file /nope in container box" in missing.stderr
    assert _ok(daemon.docker("diff", "box")).splitlines() == ["A /d", "A /d/a", "A /d/link", "A /d/sub", "A /d/sub/up",
                                                           "C /etc", "D /etc/group"]  # fmt: skip
    _ok(daemon.docker("export", "-o", str(tmp_path / "box.tar"), "box"))
    with tarfile.open(tmp_path / "box.tar") as exported:
        names = exported.getnames()
    assert "bin/busybox" in names and "d/sub/up" in names and "etc/group" not in names


def _env(daemon: Daemon) -> dict[str, str]:
    import os

    return {**os.environ, "DOCKER_HOST": daemon.url, "DOCKER_CONFIG": str(daemon.root / ".docker")}


def test_docker_py_volumes_and_archives(daemon: Daemon) -> None:
    client = docker.DockerClient(base_url=daemon.url, version="auto")
    try:
        volume = client.volumes.create("pyvol", labels={"from": "docker-py"})
        assert volume.name == "pyvol" and client.volumes.get("pyvol").attrs["Labels"] == {"from": "docker-py"}
        assert [v.name for v in client.volumes.list()] == ["pyvol"]
        container = client.containers.run(
            "busybox",
            ["sleep", "30"],
            detach=True,
            network_mode="none",
            volumes={"pyvol": {"bind": "/v", "mode": "rw"}},
        )
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tar:
            info = tarfile.TarInfo("hello.txt")
            info.size = 6
            tar.addfile(info, io.BytesIO(b"hello\n"))
        assert container.put_archive("/v", data.getvalue()) is True
        chunks, stat = container.get_archive("/v/hello.txt")
        assert stat["name"] == "hello.txt" and stat["size"] == 6
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
            assert tar.extractfile("hello.txt").read() == b"hello\n"  # type: ignore[union-attr]
        assert container.exec_run(["cat", "/v/hello.txt"]).output == b"hello\n"
        with pytest.raises(docker.errors.APIError) as in_use:
            volume.remove()
        assert in_use.value.status_code == 409
        assert {"Kind": 1, "Path": "/v"} in container.diff()
        container.remove(force=True)
        volume.remove()
        assert client.volumes.list() == []
        with pytest.raises(docker.errors.NotFound):
            client.volumes.get("pyvol")
    finally:
        client.close()
