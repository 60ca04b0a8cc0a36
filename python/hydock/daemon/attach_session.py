"""One hijacked attach or exec session: the process's output to the client (multiplexed frames, or raw for a tty)
and the client's input to the process's shim (watched for the detach keys on a tty), until one of them ends it.

As in Docker, the end of the client's input closes the process's stdin when asked (`StdinOnce`, every exec) and
ends a tty session; the detach keys end the session and leave the process running.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import msgspec
from aiohttp import web

from hydock.daemon.container_io import frame
from hydock.daemon.hijack import HijackedStream
from hydock.detach_keys import DetachScanner
from hydock.errors import HydockError, InvalidArgument
from hydock.runtime.shim_control import CLOSE_STDIN, stdin_messages


def terminal_size(request: web.Request) -> tuple[int, int]:
    """The `h` and `w` of a resize request, refused as Docker's strconv.Atoi refuses them."""
    values = []
    for key in ("h", "w"):
        text = request.query.get(key, "")
        if not text.lstrip("-").isdigit():
            raise InvalidArgument(f'strconv.Atoi: parsing "{text}": invalid syntax')
        values.append(int(text))
    height, width = values
    if not (0 <= height < 1 << 16 and 0 <= width < 1 << 16):
        raise InvalidArgument(f"invalid terminal size {height}x{width}")
    return height, width


class Ending(enum.Enum):
    OUTPUT_DONE = "the process's output ended"
    DETACHED = "the client typed the detach keys"
    CLIENT_DONE = "the client went, or ended its input on a tty"


class SessionInput(msgspec.Struct, frozen=True):
    """Where the client's input goes: `connect` waits for the process to run and returns a non-blocking connection to
    its shim's control socket (None when the process takes no input)."""

    connect: Callable[[], Awaitable[socket.socket | None]]
    close_on_eof: bool
    detach_keys: bytes | None


async def run_session(
    stream: HijackedStream,
    output: AsyncIterator[tuple[int, bytes]],
    *,
    tty: bool,
    wanted: set[int],
    stdin: SessionInput | None,
) -> Ending:
    """Copies until the output ends, the client detaches or goes, or (on a tty) the client's input ends."""
    output_task = asyncio.ensure_future(_copy_output(stream, output, tty, wanted))
    lost_task = asyncio.ensure_future(stream.lost())
    input_task = asyncio.ensure_future(_forward_input(stream, stdin)) if stdin is not None else None
    waiting = {output_task, lost_task, *([input_task] if input_task else [])}
    try:
        while True:
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if output_task in done:
                return Ending.OUTPUT_DONE
            if lost_task in done:
                return Ending.CLIENT_DONE
            if input_task in done:
                if input_task.result() is Ending.DETACHED:
                    return Ending.DETACHED
                if tty:
                    return Ending.CLIENT_DONE
    finally:
        for task in waiting:
            task.cancel()


async def _copy_output(
    stream: HijackedStream, output: AsyncIterator[tuple[int, bytes]], tty: bool, wanted: set[int]
) -> None:
    async for number, data in output:
        if number in wanted and not stream.closed:
            stream.write(data if tty else frame(number, data))


async def _forward_input(stream: HijackedStream, stdin: SessionInput) -> Ending | None:
    """Forwards the client's input until it ends (None) or brings the detach keys."""
    scanner = DetachScanner(stdin.detach_keys) if stdin.detach_keys else None
    shim = _Shim(stdin.connect)
    try:
        while (data := await stream.input.get()) is not None:
            if scanner is not None:
                data = scanner.feed(data)
            for message in stdin_messages(data):
                await shim.send(message)
            if scanner is not None and scanner.detached:
                return Ending.DETACHED
        if stdin.close_on_eof:
            await shim.send(CLOSE_STDIN)
        return None
    finally:
        shim.close()


class _Shim:
    """The control socket, connected at the first message; once the shim has gone, messages are dropped (the end
    of the process's output ends the session)."""

    def __init__(self, connect: Callable[[], Awaitable[socket.socket | None]]) -> None:
        self._connect: Callable[[], Awaitable[socket.socket | None]] | None = connect
        self._socket: socket.socket | None = None

    async def send(self, message: bytes) -> None:
        if self._connect is not None:
            connect, self._connect = self._connect, None
            with contextlib.suppress(HydockError, OSError):
                self._socket = await connect()
        if self._socket is None:
            return
        try:
            await asyncio.get_running_loop().sock_sendall(self._socket, message)
        except OSError:
            self.close()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
