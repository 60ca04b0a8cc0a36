"""hydockd under the real docker CLI, side by side with dockerd; daemon and shim memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benches.conftest import figure, have, missing, record

SHIMS = 20


def _kib(path: str, field: str) -> int:
    with open(path) as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


@pytest.fixture(scope="module")
def hydockd(tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path) -> Iterator[tuple[str, int]]:
    root = tmp_path_factory.mktemp("bench-daemon")
    process = subprocess.Popen([sys.executable, "-m", "hydock.daemon.main", "--root", str(root)])
    sock = root / "hydock.sock"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(sock))
            break
        except OSError:
            time.sleep(0.05)
    host = f"unix://{sock}"
    env = {**os.environ, "DOCKER_HOST": host}
    subprocess.run(["docker", "import", str(busybox_tar), "busybox:latest"], env=env, check=True, capture_output=True)
    yield host, process.pid
    process.terminate()
    process.wait(timeout=20)


def test_docker_cli_against_hydockd(benchmark, hydockd: tuple[str, int]) -> None:
    host, pid = hydockd
    env = {**os.environ, "DOCKER_HOST": host}
    figure("hydockd idle RSS", f"{_kib(f'/proc/{pid}/status', 'VmRSS') / 1024:.1f} MiB")
    argv = ["docker", "run", "--rm", "busybox", "true"]
    benchmark.pedantic(lambda: subprocess.run(argv, env=env, check=True), rounds=30, warmup_rounds=3)
    record(benchmark, "docker CLI -> hydockd run --rm true")


def test_docker_cli_against_dockerd(benchmark, busybox_tar: Path) -> None:
    if (
        not have("docker")
        or subprocess.run(["docker", "-H", "unix:///var/run/docker.sock", "info"], capture_output=True).returncode
    ):
        missing("docker CLI -> dockerd run --rm true", "no dockerd answers on /var/run/docker.sock")
        return
    env = {**os.environ, "DOCKER_HOST": "unix:///var/run/docker.sock"}
    with open(busybox_tar, "rb") as tar:
        subprocess.run(
            ["docker", "import", "-", "hydock-bench-busybox:latest"],
            stdin=tar,
            env=env,
            check=True,
            capture_output=True,
        )
    argv = ["docker", "run", "--rm", "hydock-bench-busybox:latest", "true"]
    probe = subprocess.run(argv, env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        missing("docker CLI -> dockerd run --rm true", f"dockerd cannot run it here: {probe.stderr.strip()}")
        return
    benchmark.pedantic(lambda: subprocess.run(argv, env=env, check=True), rounds=30, warmup_rounds=3)
    record(benchmark, "docker CLI -> dockerd run --rm true")


def test_shim_memory(hydockd: tuple[str, int]) -> None:
    """Unshared memory per running container: the PSS of its shim (smaps_rollup)."""
    host, _ = hydockd
    env = {**os.environ, "DOCKER_HOST": host}
    ids = [
        subprocess.run(["docker", "run", "-d", "busybox", "sleep", "60"], env=env, check=True, capture_output=True)
        .stdout.decode()
        .strip()
        for _ in range(SHIMS)
    ]
    try:
        pss = [kib for p in Path("/proc").iterdir() if p.name.isdigit() and (kib := _shim_pss(p, host)) is not None]
        assert len(pss) >= SHIMS
        figure("shim PSS per running container", f"{sum(pss) / len(pss) / 1024:.2f} MiB (mean of {len(pss)})")
    finally:
        subprocess.run(["docker", "rm", "-f", *ids], env=env, capture_output=True)


def _shim_pss(proc: Path, host: str) -> int | None:
    """The PSS (KiB) of a shim of this daemon's root; None for any other (or vanished) process."""
    root = host.removeprefix("unix://").removesuffix("/hydock.sock")
    try:
        if not (proc / "comm").read_text().startswith("hydock-shim") or root not in (proc / "cmdline").read_text():
            return None
        return _kib(str(proc / "smaps_rollup"), "Pss")
    except (OSError, StopIteration):
        return None
