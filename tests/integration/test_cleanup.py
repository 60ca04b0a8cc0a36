"""Containers leave nothing behind: no mount, no cgroup, no directory, no shim."""

from __future__ import annotations

import time
from pathlib import Path

from hydock import Engine
from tests.integration.leaks import container_cgroups, mounts_under, shim_processes


def test_rm_leaves_nothing(cli, image: str, root: Path) -> None:
    result = cli("run", "--rm", "--name", "gone", image, "echo", "bye")
    assert result.stdout == b"bye\n"
    assert [p.name for p in (root / "containers").iterdir() if not p.name.startswith(".")] == []
    assert list((root / "containers" / ".names").iterdir()) == []
    assert mounts_under(root) == []
    assert shim_processes(root) == []


def test_detached_rm_cleans_up_when_it_exits(cli, image: str, root: Path, engine: Engine) -> None:
    container_id = cli("run", "-d", "--rm", image, "sh", "-c", "sleep 0.3").stdout.decode().strip()
    deadline = time.monotonic() + 10
    while (root / "containers" / container_id).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not (root / "containers" / container_id).exists()
    assert container_cgroups({container_id}) == []
    assert mounts_under(root) == []


def test_fifty_containers_in_a_row_leak_nothing(engine: Engine, image: str, root: Path) -> None:
    ids = set()
    for i in range(50):
        container = engine.containers.run(image, ["sh", "-c", f"echo {i}"], detach=True)
        ids.add(container.id)
        assert container.wait()["StatusCode"] == 0
        assert container.logs() == f"{i}\n".encode()
        container.remove()
    assert mounts_under(root) == []
    assert container_cgroups(ids) == []
    assert shim_processes(root) == []
    assert [p for p in (root / "containers").iterdir() if not p.name.startswith(".")] == []
