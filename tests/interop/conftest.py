"""A real hydockd on a private root, for the real docker CLI and docker-py to talk to."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.leaks import container_cgroups, mounts_under, network_leftovers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/interop/" in str(item.fspath):
            item.add_marker(pytest.mark.root)


class Daemon:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "hydock.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *options: str) -> None:
        log = open(self.root / "hydockd.log", "ab")  # noqa: SIM115 - owned by the daemon process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hydock.daemon.main", "--root", str(self.root), *options], stdout=log, stderr=log
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.socket(socket.AF_UNIX) as probe:
                    probe.connect(str(self.socket))
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"hydockd exited: {(self.root / 'hydockd.log').read_text()}") from None
                time.sleep(0.05)
        raise RuntimeError("hydockd did not open its socket within 20 s")

    def kill(self, signum: int = signal.SIGKILL) -> None:
        assert self.process is not None
        self.process.send_signal(signum)
        self.process.wait(timeout=20)

    def docker(self, *args: str, input: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "DOCKER_HOST": self.url, "DOCKER_CONFIG": str(self.root / ".docker")}
        return subprocess.run(["docker", *args], input=input, capture_output=True, timeout=timeout, env=env)


@pytest.fixture
def daemon(tmp_path: Path, busybox_tar: Path) -> Iterator[Daemon]:
    if shutil.which("docker") is None:
        pytest.fail("the docker CLI is required for interop tests (it ships on this machine kind)")
    root = tmp_path / "root"
    root.mkdir()
    daemon = Daemon(root)
    daemon.start()
    try:
        imported = daemon.docker("import", str(busybox_tar), "busybox:latest")
        assert imported.returncode == 0, imported.stderr
        yield daemon
    finally:
        if daemon.process and daemon.process.poll() is None:
            for line in daemon.docker("ps", "-aq").stdout.split():
                daemon.docker("rm", "-f", line.decode())
            for line in daemon.docker("volume", "ls", "-q").stdout.split():
                daemon.docker("volume", "rm", "-f", line.decode())
            daemon.kill(signal.SIGTERM)
        else:
            from hydock import Engine

            engine = Engine(root)
            for record in engine.container_service.list_records(all=True):
                engine.container_service.remove(record.id, force=True)
            engine.container_service.networking.shutdown(running=set())
    mounts = mounts_under(root)
    ids = {p.name for p in (root / "containers").iterdir() if len(p.name) == 64}
    if not mounts:
        shutil.rmtree(root)  # with nothing mounted below it, even when a check below fails
    assert mounts == []
    assert network_leftovers(root) == []
    assert container_cgroups(ids) == []
