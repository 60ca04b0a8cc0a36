"""Benchmarks run side by side with the tools hydock competes with; ratios printed at the end.

Run: /opt/hydock/bin/python -m pytest benches --benchmark-enable (as root; the interpreter tools/install.sh
installs hydock for). Each competitor that is not on the machine is reported as missing in the summary, never
silently dropped.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CACHE = Path("/var/tmp/hydock-bench")
MEDIANS: dict[str, float] = {}
MISSING: dict[str, str] = {}
FIGURES: dict[str, str] = {}


def record(benchmark, name: str) -> float | None:
    """The median, kept for the summary; None when benchmarks are disabled (plain pytest runs each once)."""
    if benchmark.stats is None:
        return None
    MEDIANS[name] = median = benchmark.stats.stats.median
    return median


def missing(name: str, reason: str) -> None:
    MISSING[name] = reason


def figure(name: str, value: str) -> None:
    """A measured quantity that is not a duration (memory, throughput)."""
    FIGURES[name] = value


@pytest.fixture(scope="session")
def busybox_tar() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "busybox.tar"
    if not path.exists():
        subprocess.run([sys.executable, str(REPO / "tools/busybox_rootfs.py"), str(path)], check=True)
    return path


RATIOS = [
    ("hydock Engine run --rm --network none true", "runc run (prepared bundle)"),
    ("hydock Engine run --rm true (default bridge)", "hydock Engine run --rm --network none true"),
    ("hydock CLI run --rm true (none)", "docker run --rm true (none)"),
    ("hydock CLI run --rm true (default bridge)", "docker run --rm true (default bridge)"),
    ("hydock CLI run --rm true (none)", "runc run (prepared bundle)"),
    ("hydock apply_layer (gzip, 200 MB)", "tar -xzf (gzip, 200 MB)"),
    ("docker CLI -> hydockd run --rm true", "docker CLI -> dockerd run --rm true"),
    ("hydockd run --rm (default bridge)", "dockerd run --rm (default bridge)"),
    ("hydockd run --rm (default bridge)", "dockerd run --rm (user bridge network)"),
    ("hydockd run --rm (default bridge)", "hydockd run --rm --network none"),
    ("hydockd 127.0.0.1 published port (256 MB)", "dockerd 127.0.0.1 published port (256 MB)"),
    ("hydock pull (300 MB Debian, 4 layers)", "docker pull (300 MB Debian, 4 layers)"),
    ("hydock pull (300 MB Debian, 4 layers)", "skopeo copy + umoci unpack"),
    ("hydock push (300 MB Debian, 4 layers)", "docker push (300 MB Debian, 4 layers)"),
    ("hydock build: first (15 steps, 3000 files)", "docker build: first (15 steps, 3000 files)"),
    ("hydock build: rebuild, nothing changed", "docker build: rebuild, nothing changed"),
    ("hydock build: rebuild, one file changed", "docker build: rebuild, one file changed"),
]


def pytest_terminal_summary(terminalreporter) -> None:
    if not MEDIANS and not MISSING and not FIGURES:
        return
    write = terminalreporter.write_line
    write("")
    write("hydock benchmark medians and ratios (hydock / other; < 1 means hydock is faster)")
    for name, median in sorted(MEDIANS.items()):
        write(f"  {name:45s} {median * 1000:10.2f} ms")
    for ours, theirs in RATIOS:
        if ours in MEDIANS and theirs in MEDIANS:
            write(f"  ratio {ours} / {theirs}: {MEDIANS[ours] / MEDIANS[theirs]:.2f}x")
    for name, value in FIGURES.items():
        write(f"  {name:45s} {value}")
    for name, reason in MISSING.items():
        write(f"  not measured: {name}: {reason}")


def hydock_command() -> list[str]:
    """What a user runs: the `hydock` script pip installed beside this interpreter; `-m hydock` without one."""
    script = Path(sys.executable).with_name("hydock")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hydock"]


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
