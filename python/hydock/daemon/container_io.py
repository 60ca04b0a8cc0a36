"""Live output of containers this daemon started: pipes from the shim, fanned out to attach clients.

The shim copies a container's stdout/stderr to its log and, while the daemon lives, to two pipes
whose read ends are here. A container started by an earlier daemon has no pipes: attaching to it
reads the output from its shim's control socket when it is interactive (`shim_output`), and
follows its log otherwise (see routes_containers).
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator

from hydock.runtime.shim_control import MAX_OUTPUT_MESSAGE, WATCH_OUTPUT

STDOUT, STDERR = 1, 2


class OutputHub:
    """Reads one container's two output pipes and hands every chunk to each subscriber."""

    def __init__(self) -> None:
        self._fds: dict[int, int] = {}
        self._subscribers: set[asyncio.Queue[tuple[int, bytes] | None]] = set()
        self._open = 0
        self.closed = asyncio.Event()
        self.started = asyncio.Event()

    def connect(self, stdout_fd: int, stderr_fd: int) -> None:
        """Starts reading the container's output pipes (the read ends; the hub owns them)."""
        self._fds = {stdout_fd: STDOUT, stderr_fd: STDERR}
        self._open = len(self._fds)
        loop = asyncio.get_running_loop()
        for fd in self._fds:
            os.set_blocking(fd, False)
            loop.add_reader(fd, self._readable, fd)
        self.started.set()

    async def wait_started(self) -> bool:
        """Waits until a started container feeds this hub (True) or it is aborted (False)."""
        closed = asyncio.ensure_future(self.closed.wait())
        started = asyncio.ensure_future(self.started.wait())
        try:
            await asyncio.wait({closed, started}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            started.cancel()
        return self.started.is_set()

    def output(self) -> AsyncIterator[tuple[int, bytes]]:
        """(stream, data) from now (subscribed at once, so nothing written after this call is missed) until the
        container's output ends."""
        return self._follow(self.subscribe())

    async def _follow(self, queue: asyncio.Queue[tuple[int, bytes] | None]) -> AsyncIterator[tuple[int, bytes]]:
        try:
            while (item := await queue.get()) is not None:
                yield item
        finally:
            self.unsubscribe(queue)

    @property
    def connected(self) -> bool:
        """Whether a started container feeds this hub (else it waits for the next start)."""
        return bool(self._fds)

    def subscribe(self) -> asyncio.Queue[tuple[int, bytes] | None]:
        queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        if self.closed.is_set():
            queue.put_nowait(None)
        else:
            self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[tuple[int, bytes] | None]) -> None:
        self._subscribers.discard(queue)

    def abort(self) -> None:
        """Ends every subscription: the container this hub waited for will not start."""
        self.closed.set()
        for queue in self._subscribers:
            queue.put_nowait(None)
        self._subscribers.clear()

    def _readable(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            for queue in self._subscribers:
                queue.put_nowait((self._fds[fd], data))
            return
        asyncio.get_running_loop().remove_reader(fd)
        os.close(fd)
        self._open -= 1
        if self._open == 0:
            self.abort()


async def shim_output(control: socket.socket) -> AsyncIterator[tuple[int, bytes]]:
    """(stream, data) as the shim sends them on its control socket (non-blocking, closed here) from now until the
    process's output ends."""
    loop = asyncio.get_running_loop()
    try:
        await loop.sock_sendall(control, WATCH_OUTPUT)
        while message := await loop.sock_recv(control, MAX_OUTPUT_MESSAGE):
            yield message[0], message[1:]
    except OSError:
        return  # the shim is gone: so is the output
    finally:
        control.close()


def frame(stream: int, data: bytes) -> bytes:
    """Docker's multiplexed stream framing: [stream, 0, 0, 0, size (big-endian u32)] + data."""
    return bytes((stream, 0, 0, 0)) + len(data).to_bytes(4, "big") + data
