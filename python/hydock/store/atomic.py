"""Crash-safe file writes: a temp file in the same directory renamed over the target."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def temp_sibling(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{secrets.token_hex(6)}")


def write_atomic(path: Path, data: bytes, *, durable: bool = True, mode: int = 0o644) -> None:
    """Replace `path` with `data` so that a crash leaves the old or the new content, never a mix.

    `durable` also fsyncs the data before the rename; records that are rebuilt from the
    running system (container state) skip it to stay off the container start path.
    """
    tmp = temp_sibling(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
