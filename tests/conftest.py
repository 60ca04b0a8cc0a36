"""Shared fixtures: a busybox root filesystem tar built from the host's static busybox."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("images") / "busybox.tar"
    subprocess.run([sys.executable, str(REPO / "tools/busybox_rootfs.py"), str(path)], check=True)
    return path
