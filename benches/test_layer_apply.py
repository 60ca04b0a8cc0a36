"""Layer unpack throughput: hydock's apply_layer vs GNU tar, both from a ~200 MB gzip layer into tmpfs."""

from __future__ import annotations

import gzip
import io
import os
import random
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from benches.conftest import CACHE, record
from hydock import _core

TARGET_BYTES = 200 * 1024 * 1024
TMPFS = Path("/dev/shm")


@pytest.fixture(scope="module")
def big_layer() -> Path:
    """A reproducible layer: a few thousand files from 1 KiB to 4 MiB, half text, half random."""
    path = CACHE / "layer-200m.tar.gz"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = random.Random(42)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wb", compresslevel=6) as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        written, index = 0, 0
        while written < TARGET_BYTES:
            size = min(int(rng.paretovariate(1.2) * 1024), 4 << 20)
            data = rng.randbytes(size) if index % 2 else (b"hydock layer text line %d\n" % index) * (size // 26 + 1)
            info = tarfile.TarInfo(f"dir{index % 97}/file{index}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            written += len(data)
            index += 1
    os.rename(tmp, path)
    return path


@pytest.fixture
def target() -> Path:
    path = TMPFS / "hydock-bench-target"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _fresh(target: Path) -> None:
    shutil.rmtree(target)
    target.mkdir()


def test_hydock_apply_layer(benchmark, big_layer: Path, target: Path) -> None:
    stats = benchmark.pedantic(
        lambda: _core.apply_layer(str(big_layer), str(target)), setup=lambda: _fresh(target), rounds=5
    )
    assert stats.size > TARGET_BYTES
    median = record(benchmark, "hydock apply_layer (gzip, 200 MB)")
    if median:
        benchmark.extra_info["MB/s"] = stats.size / median / 1e6


def test_gnu_tar_extract(benchmark, big_layer: Path, target: Path) -> None:
    benchmark.pedantic(
        lambda: subprocess.run(["tar", "-xzf", str(big_layer), "-C", str(target)], check=True),
        setup=lambda: _fresh(target),
        rounds=5,
    )
    record(benchmark, "tar -xzf (gzip, 200 MB)")
