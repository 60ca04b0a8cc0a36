"""A 15-step multi-stage Dockerfile with a context of 3000 small files, built by `hydock build` (through its
daemon) and by `docker build` (classic builder: the machine's docker has no buildx) side by side: a first build,
a rebuild with nothing changed, and a rebuild after one source file changed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benches.conftest import have, missing, record

DOCKERFILE = """\
FROM {base} AS base
ENV APP=/app MODE=bench
WORKDIR /app
COPY src/ /app/src/
RUN find /app/src -type f | wc -l > /app/count
RUN cat /app/src/d00/f000.txt > /app/first
FROM base AS tools
RUN mkdir -p /tools && echo tool > /tools/t
RUN for i in 1 2 3; do echo $i; done > /tools/n
FROM {base}
LABEL purpose=bench
COPY --from=base /app /app
COPY --from=tools /tools /tools
RUN ls /app/src | wc -l > /app/listed
CMD ["sh"]
"""
DIRECTORIES, FILES_PER_DIRECTORY = 30, 100
DOCKER_BASE = "hydock-bench-busybox"
DOCKER_TAG = "hydock-bench-build:latest"
TOUCHED = Path("src/d07/f042.txt")

FIRST = "{} build: first (15 steps, 3000 files)"
UNCHANGED = "{} build: rebuild, nothing changed"
ONE_FILE = "{} build: rebuild, one file changed"


def _context(path: Path, base: str) -> Path:
    for d in range(DIRECTORIES):
        directory = path / "src" / f"d{d:02d}"
        directory.mkdir(parents=True)
        for f in range(FILES_PER_DIRECTORY):
            (directory / f"f{f:03d}.txt").write_text(f"file {d}/{f}\n" * (10 + (d * f) % 90))
    (path / "Dockerfile").write_text(DOCKERFILE.format(base=base))
    return path


class Builds:
    """How one tool builds the bench context: from nothing (no cache) and with its cache."""

    def __init__(self, argv: list[str], context: Path, env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.context = context
        self.env = env
        self.touched = 0

    def cached(self) -> None:
        _run([*self.argv, str(self.context)], self.env)

    def uncached(self) -> None:
        _run([*self.argv, "--no-cache", str(self.context)], self.env)

    def touch(self) -> None:
        """One source file changed (its content, so the cache cannot keep it)."""
        self.touched += 1
        with open(self.context / TOUCHED, "a") as out:
            out.write(f"round {self.touched}\n")


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(argv, capture_output=True, env=env)
    assert done.returncode == 0, done.stderr.decode()


@pytest.fixture(scope="module")
def hydock_builds(tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path) -> Iterator[Builds]:
    root = tmp_path_factory.mktemp("bench-build-root")
    _run(_hydock(root, "import", str(busybox_tar), "busybox:latest"))
    context = _context(tmp_path_factory.mktemp("bench-build-hydock"), "busybox")
    yield Builds(_hydock(root, "build", "-q", "-t", "bench:latest"), context)
    pidfile = root / "hydockd.pid"
    if pidfile.exists():
        subprocess.run(["kill", pidfile.read_text().strip()], check=False)


def _hydock(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "hydock", "--root", str(root), *args]


@pytest.fixture(scope="module")
def docker_builds(tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path) -> Iterator[Builds | None]:
    if not have("docker") or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        yield None
        return
    _run(["docker", "import", str(busybox_tar), DOCKER_BASE])
    context = _context(tmp_path_factory.mktemp("bench-build-docker"), DOCKER_BASE)
    # This machine's dockerd has no working bridge, so its RUN steps use the host's network; hydock's keep the
    # default bridge (docker is spared setting up one per step).
    argv = ["docker", "build", "--network", "host", "-q", "-t", DOCKER_TAG]
    yield Builds(argv, context, {**os.environ, "DOCKER_BUILDKIT": "0"})
    subprocess.run(["docker", "rmi", "-f", DOCKER_TAG, DOCKER_BASE], capture_output=True)


def _builds(request: pytest.FixtureRequest, who: str, kind: str) -> Builds | None:
    builds = request.getfixturevalue(f"{who}_builds")
    if builds is None:
        missing(kind.format(who), "no dockerd answers on this machine")
    return builds


@pytest.mark.parametrize("who", ["hydock", "docker"])
def test_first_build(benchmark, request: pytest.FixtureRequest, who: str) -> None:
    builds = _builds(request, who, FIRST)
    if builds is not None:
        benchmark.pedantic(builds.uncached, rounds=3, warmup_rounds=1)
        record(benchmark, FIRST.format(who))


@pytest.mark.parametrize("who", ["hydock", "docker"])
def test_rebuild_nothing_changed(benchmark, request: pytest.FixtureRequest, who: str) -> None:
    builds = _builds(request, who, UNCHANGED)
    if builds is not None:
        builds.cached()
        benchmark.pedantic(builds.cached, rounds=5, warmup_rounds=1)
        record(benchmark, UNCHANGED.format(who))


@pytest.mark.parametrize("who", ["hydock", "docker"])
def test_rebuild_one_file_changed(benchmark, request: pytest.FixtureRequest, who: str) -> None:
    builds = _builds(request, who, ONE_FILE)
    if builds is not None:
        builds.cached()
        benchmark.pedantic(builds.cached, setup=builds.touch, rounds=5, warmup_rounds=0)
        record(benchmark, ONE_FILE.format(who))
