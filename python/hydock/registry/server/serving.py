"""Running an aiohttp application on a TCP address (TLS optional) until SIGTERM or SIGINT: the registry and its
token issuer alike."""

from __future__ import annotations

import asyncio
import signal
import ssl
from collections.abc import Callable

from aiohttp import web

from hydock.errors import InvalidArgument


def parse_address(text: str) -> tuple[str, int]:
    """`host:port`, `[v6]:port` or `:port` (all interfaces)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise InvalidArgument(f"invalid address {text!r}: expected host:port")
    return host.strip("[]") or "0.0.0.0", int(port)


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def serve(
    app: web.Application, address: str, tls: ssl.SSLContext | None, announce: Callable[[str], None]
) -> None:
    """Serves until signalled; `announce` is told the URL once the socket listens (port 0 picks a free one)."""
    host, port = parse_address(address)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=tls)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        host_text = f"[{bound_host}]" if ":" in bound_host else bound_host
        announce(f"{'https' if tls else 'http'}://{host_text}:{bound_port}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
