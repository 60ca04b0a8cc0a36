"""A Debian bookworm root filesystem (debootstrap --variant=minbase) made once per machine and kept under
/var/tmp/hydock-test-cache, as a tar to import: a real distribution for tests that install packages."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

import pytest

CACHE = Path("/var/tmp/hydock-test-cache")
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"


def debian_rootfs() -> Path:
    """The debootstrapped directory (minutes the first time; a lock keeps parallel runs from racing)."""
    rootfs = CACHE / f"debian-{SUITE}-minbase"
    done = CACHE / f"debian-{SUITE}-minbase.done"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".debian.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            if shutil.which("debootstrap") is None:
                pytest.fail("debootstrap is needed (tools/install.sh installs it)")
            shutil.rmtree(rootfs, ignore_errors=True)
            subprocess.run(["debootstrap", "--variant=minbase", SUITE, str(rootfs), MIRROR], check=True,
                           capture_output=True, timeout=1800)  # fmt: skip
            done.touch()
    return rootfs


def debian_tar() -> Path:
    """The root filesystem as a tar (numeric owners, device nodes and all), ready for `import`."""
    tar = CACHE / f"debian-{SUITE}-minbase.tar"
    if not tar.exists():
        rootfs = debian_rootfs()
        partial = tar.with_suffix(".tar.partial")
        subprocess.run(["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(partial), "."],
                       check=True, capture_output=True)  # fmt: skip
        partial.rename(tar)
    return tar
