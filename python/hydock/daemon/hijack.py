"""Docker's connection hijacking (attach, exec start): the HTTP connection becomes a raw stream.

aiohttp closes a connection when the client half-closes it, but the docker CLI shuts down its
write side as soon as it has no stdin to send, and then still expects the output. So the
hijacked transport gets a protocol of our own that keeps it open on EOF.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

RAW_STREAM = "application/vnd.docker.raw-stream"


class _HijackProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.input: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.lost = asyncio.Event()

    def data_received(self, data: bytes) -> None:
        self.input.put_nowait(data)

    def eof_received(self) -> bool:
        self.input.put_nowait(None)
        return True  # keep the transport open: the client only closed its side

    def connection_lost(self, exc: Exception | None) -> None:
        self.input.put_nowait(None)
        self.lost.set()


class HijackedStream:
    """Takes the request's connection away from aiohttp and answers 101 (or 200 for old clients)."""

    def __init__(self, request: web.Request) -> None:
        transport = request.transport
        assert transport is not None
        self._request = request
        self._transport = transport
        self._protocol = _HijackProtocol()
        transport.set_protocol(self._protocol)
        upgrade = request.headers.get("Upgrade", "").lower() == "tcp"
        lines = ["HTTP/1.1 101 UPGRADED" if upgrade else "HTTP/1.1 200 OK", f"Content-Type: {RAW_STREAM}"]
        if upgrade:
            lines += ["Connection: Upgrade", "Upgrade: tcp"]
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    @property
    def closed(self) -> bool:
        return self._transport.is_closing()

    async def lost(self) -> None:
        """Returns once the client has gone."""
        await self._protocol.lost.wait()

    @property
    def input(self) -> asyncio.Queue[bytes | None]:
        """What the client sends (stdin); None once it has closed its side."""
        return self._protocol.input

    def write(self, data: bytes) -> None:
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> web.Response:
        """Ends the stream; returns the response aiohttp needs from the handler (never sent)."""
        self._transport.close()
        self._request.protocol.force_close()
        return web.Response(status=204)
