"""Fixtures for tests that run real containers (root): an engine on a private root, cleaned up after."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hydock import Engine
from tests.integration.leaks import container_cgroups, mounts_under, network_leftovers, shim_processes


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.root)


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    """A store root; at teardown every container in it is removed and nothing may be left behind."""
    with scratch_root(tmp_path / "root") as path:
        yield path


@contextmanager
def scratch_root(path: Path) -> Iterator[Path]:
    """A new store root at `path`; afterwards its daemon is stopped, its containers, volumes and networking removed,
    and nothing may be left behind."""
    path.mkdir()
    try:
        yield path
    finally:
        clean_up_root(path)


def clean_up_root(path: Path) -> None:
    stop_daemon(path)
    engine = Engine(path)
    seen = {p.name for p in (path / "containers").iterdir() if len(p.name) == 64}
    for record in engine.container_service.list_records(all=True):
        engine.container_service.remove(record.id, force=True)
    for volume in engine.volume_service.records():
        engine.volume_service.remove(volume.name)
    engine.container_service.networking.shutdown(running=set())
    assert mounts_under(path) == []
    assert network_leftovers(path) == []
    assert container_cgroups(seen) == []
    assert shim_processes(path) == []


def stop_daemon(root: Path) -> None:
    """SIGTERM the hydockd a CLI call started on this root, and wait until it is gone."""
    pidfile = root / "hydockd.pid"
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return  # exited; its parent (a finished CLI) left it to init to reap
        time.sleep(0.05)
    raise AssertionError(f"hydockd (pid {pid}) on {root} did not stop within 20 s")


@pytest.fixture
def engine(root: Path) -> Engine:
    return Engine(root)


@pytest.fixture
def image(engine: Engine, busybox_tar: Path) -> str:
    engine.images.import_image(busybox_tar, "busybox:latest")
    return "busybox"


class Cli:
    """Runs the real `hydock` command (python -m hydock) against a root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "hydock", "--root", str(self.root), *args]

    def __call__(
        self, *args: str, input: bytes | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            self.argv(*args), input=input, capture_output=True, timeout=timeout, env=os.environ.copy()
        )


@pytest.fixture
def cli(root: Path) -> Cli:
    """The CLI with its daemon already started, so that tests see only their own command's output."""
    cli = Cli(root)
    warm_up = cli("ps", "-q")
    assert warm_up.returncode == 0 and b"started hydockd" in warm_up.stderr, warm_up.stderr
    return cli


class BackendCli(Cli):
    """The CLI (and the daemon it starts) with only the tools of one packet filter backend on its PATH (nftables: nft,
    and iptables for the accept rules beside it)."""

    def __init__(self, root: Path, tools: Path, backend: str) -> None:
        super().__init__(root)
        tools.mkdir()
        for tool in {"nftables": ["nft", "iptables"], "iptables": ["iptables", "iptables-restore"]}[backend]:
            found = shutil.which(tool)
            assert found, f"{tool} is needed for this test"
            (tools / tool).symlink_to(found)
        self.env = {**os.environ, "PATH": f"{tools}:/usr/bin:/bin"}

    def __call__(
        self, *args: str, input: bytes | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(self.argv(*args), input=input, capture_output=True, timeout=timeout, env=self.env)
