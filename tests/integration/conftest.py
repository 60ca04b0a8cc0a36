"""Fixtures for tests that run real containers (root): an engine on a private root, cleaned up after."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hydock import Engine
from tests.integration.leaks import container_cgroups, mounts_under, shim_processes


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.root)


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    """A store root; at teardown every container in it is removed and nothing may be left behind."""
    path = tmp_path / "root"
    path.mkdir()
    yield path
    engine = Engine(path)
    seen = {p.name for p in (path / "containers").iterdir() if len(p.name) == 64}
    for record in engine.container_service.list_records(all=True):
        engine.container_service.remove(record.id, force=True)
    assert mounts_under(path) == []
    assert container_cgroups(seen) == []
    assert shim_processes(path) == []


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
    return Cli(root)
