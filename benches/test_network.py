"""Networking cost: container start on the default bridge (veth, IPAM, rules) vs `--network none`, hydockd vs dockerd
(the same docker CLI for both); and host-to-container throughput through a published port on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benches.conftest import figure, have, missing, record
from benches.test_daemon import hydockd  # noqa: F401 - the fixture, shared rather than copied

DOCKERD = "unix:///var/run/docker.sock"
DOCKER_IMAGE = "hydock-bench-busybox:latest"
DOCKER_NETWORK = "hydock-bench-net"
TRANSFER_MB = 256
SERVE_BIG = (
    f"mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count={TRANSFER_MB} 2>/dev/null && "
    "touch /www/ready && exec httpd -f -p 80 -h /www"
)


def _docker(host: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["docker", *args], env={**os.environ, "DOCKER_HOST": host}, capture_output=True, check=check)


@pytest.fixture(scope="module")
def dockerd(busybox_tar: Path) -> Iterator[str | None]:
    """dockerd's address with the bench image and a user-defined network; None (reported) without one."""
    if not have("docker") or _docker(DOCKERD, "info", check=False).returncode != 0:
        missing("dockerd run --rm (default bridge)", "no dockerd answers on /var/run/docker.sock")
        yield None
        return
    with open(busybox_tar, "rb") as tar:
        subprocess.run(
            ["docker", "-H", DOCKERD, "import", "-", DOCKER_IMAGE], stdin=tar, check=True, capture_output=True
        )
    _docker(DOCKERD, "network", "rm", DOCKER_NETWORK, check=False)
    _docker(DOCKERD, "network", "create", DOCKER_NETWORK)
    try:
        yield DOCKERD
    finally:
        _docker(DOCKERD, "network", "rm", DOCKER_NETWORK, check=False)


def test_start_on_the_default_bridge_and_on_none(benchmark, hydockd: tuple[str, int]) -> None:  # noqa: F811
    host, _ = hydockd
    argv = ["run", "--rm", "busybox", "true"]
    benchmark.pedantic(lambda: _docker(host, *argv), rounds=30, warmup_rounds=3)
    record(benchmark, "hydockd run --rm (default bridge)")


def test_start_with_network_none(benchmark, hydockd: tuple[str, int]) -> None:  # noqa: F811
    host, _ = hydockd
    argv = ["run", "--rm", "--network", "none", "busybox", "true"]
    benchmark.pedantic(lambda: _docker(host, *argv), rounds=30, warmup_rounds=3)
    record(benchmark, "hydockd run --rm --network none")


def test_dockerd_start_on_its_bridges(benchmark, dockerd: str | None) -> None:
    if dockerd is None:
        return
    broken = _docker(dockerd, "run", "--rm", DOCKER_IMAGE, "true", check=False)
    if broken.returncode != 0:
        reason = broken.stderr.decode().strip().splitlines()[0]
        missing("dockerd run --rm (default bridge)", f"dockerd's default bridge does not work here: {reason}")
    else:
        argv = ["run", "--rm", DOCKER_IMAGE, "true"]
        benchmark.pedantic(lambda: _docker(dockerd, *argv), rounds=20, warmup_rounds=2)
        record(benchmark, "dockerd run --rm (default bridge)")


def test_dockerd_start_on_a_user_bridge(benchmark, dockerd: str | None) -> None:
    if dockerd is None:
        missing("dockerd run --rm (user bridge network)", "no dockerd answers on /var/run/docker.sock")
        return
    argv = ["run", "--rm", "--network", DOCKER_NETWORK, DOCKER_IMAGE, "true"]
    benchmark.pedantic(lambda: _docker(dockerd, *argv), rounds=20, warmup_rounds=2)
    record(benchmark, "dockerd run --rm (user bridge network)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def _transfer(benchmark, host: str, image: str, network: str, name: str) -> None:
    port = _free_port()
    container = _docker(host, "run", "-d", "--network", network, "-p", f"{port}:80", image, "sh", "-c", SERVE_BIG)
    container_id = container.stdout.decode().strip()
    try:
        deadline = time.monotonic() + 60
        while _docker(host, "exec", container_id, "test", "-e", "/www/ready", check=False).returncode != 0:
            assert time.monotonic() < deadline, "the container did not write its file within 60 s"
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/big"
        subprocess.run(["curl", "-sf", "-o", "/dev/null", "--retry", "20", "--retry-connrefused", url], check=True)
        benchmark.pedantic(lambda: subprocess.run(["curl", "-sf", "-o", "/dev/null", url], check=True), rounds=5)
        median = record(benchmark, name)
        if median:
            figure(f"{name} rate", f"{TRANSFER_MB / median:.0f} MB/s")
    finally:
        _docker(host, "rm", "-f", container_id, check=False)


def test_published_port_throughput_hydockd(benchmark, hydockd: tuple[str, int]) -> None:  # noqa: F811
    if not have("curl"):
        missing(f"hydockd 127.0.0.1 published port ({TRANSFER_MB} MB)", "curl is not installed")
        return
    _transfer(benchmark, hydockd[0], "busybox", "bridge", f"hydockd 127.0.0.1 published port ({TRANSFER_MB} MB)")


def test_published_port_throughput_dockerd(benchmark, dockerd: str | None) -> None:
    name = f"dockerd 127.0.0.1 published port ({TRANSFER_MB} MB)"
    if dockerd is None or not have("curl"):
        missing(name, "no dockerd answers on /var/run/docker.sock" if dockerd is None else "curl is not installed")
        return
    _transfer(benchmark, dockerd, DOCKER_IMAGE, DOCKER_NETWORK, name)
