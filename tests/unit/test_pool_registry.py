"""The host-wide record of chosen address pools holds up when many register at once (a daemon's threads, a build's
stages): no error, and one owner per subnet."""

from __future__ import annotations

import ipaddress
import threading
from pathlib import Path

import pytest

from hydock.network import pool_registry

SUBNET = ipaddress.IPv4Network("198.51.100.0/24")


@pytest.fixture(autouse=True)
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(pool_registry, "POOLS", tmp_path / "pools")
    monkeypatch.setattr(pool_registry, "CLAIMS", tmp_path / "claims")  # no claim held: every other root is dead
    return tmp_path / "pools"


def _at_once(count: int, work) -> list:
    results: list = [None] * count
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_one_root_registering_from_many_threads(registry: Path) -> None:
    assert _at_once(16, lambda _: pool_registry.register(SUBNET, "hydock_aaaaaaaa")) == [True] * 16
    assert sorted(p.name for p in registry.iterdir()) == ["198.51.100.0_24"]


def test_dead_roots_entry_taken_over_by_many_at_once(registry: Path) -> None:
    assert pool_registry.register(SUBNET, "hydock_deaddead")
    results = _at_once(8, lambda i: pool_registry.register(SUBNET, f"hydock_{i:08x}"))
    owner = (registry / "198.51.100.0_24").read_text()
    assert results[int(owner.removeprefix("hydock_"), 16)] is True
    assert sorted(p.name for p in registry.iterdir()) == ["198.51.100.0_24"]  # no temporary file left


def test_unregister_only_removes_ones_own(registry: Path) -> None:
    assert pool_registry.register(SUBNET, "hydock_aaaaaaaa")
    pool_registry.unregister(SUBNET, "hydock_bbbbbbbb")
    assert pool_registry.taken_by_others("hydock_cccccccc") == []  # its owner holds no claim: dead
    assert (registry / "198.51.100.0_24").exists()
    pool_registry.unregister(SUBNET, "hydock_aaaaaaaa")
    assert not (registry / "198.51.100.0_24").exists()
