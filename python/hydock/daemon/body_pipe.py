"""Request bodies too large to hold (image archives, build contexts) streamed through a pipe to a worker thread
that reads them as they arrive."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from hydock.daemon.blocking import run_blocking

T = TypeVar("T")
CHUNK = 1 << 20


async def pipe_body(request: web.Request, consume: Callable[[int], T]) -> asyncio.Future[T]:
    """Runs `consume(read_fd)` on a worker thread (it owns the fd) while the body is written to the pipe; once the
    whole body is taken, the future of what `consume` returns or raises. If it stops reading early, the rest of
    the body is taken unread."""
    read_fd, write_fd = os.pipe()
    consuming = asyncio.ensure_future(run_blocking(consume, read_fd))
    try:
        async for chunk in request.content.iter_chunked(CHUNK):
            if write_fd < 0:
                continue
            try:
                await run_blocking(_write_all, write_fd, chunk)
            except BrokenPipeError:
                os.close(write_fd)
                write_fd = -1
    finally:
        if write_fd >= 0:
            os.close(write_fd)
    return consuming


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
