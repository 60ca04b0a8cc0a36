"""`hydockd`: start the daemon on a store root, listen on its sockets, restore running containers."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import ssl
import sys
from pathlib import Path

import click
from aiohttp import web

from hydock.daemon.app import build_app
from hydock.engine import Engine
from hydock.registry.client import Registries, RegistrySettings
from hydock.registry.endpoints import DEFAULT_CERTS_DIR
from hydock.registry.pull import DEFAULT_MAX_DOWNLOADS
from hydock.store import DEFAULT_ROOT

DEFAULT_SOCKET = "/run/hydock/hydock.sock"
SOCKET_MODE = 0o660
log = logging.getLogger("hydockd")


MAX_HEADER_FIELD = 1 << 20


def default_endpoints(root: str | None) -> tuple[str, str]:
    """The socket and pid file of a root: /run/hydock for the default root, else inside the root."""
    if root is None or os.path.abspath(root) == DEFAULT_ROOT:
        return f"unix://{DEFAULT_SOCKET}", "/run/hydock/hydockd.pid"
    return f"unix://{os.path.join(os.path.abspath(root), 'hydock.sock')}", os.path.join(
        os.path.abspath(root), "hydockd.pid"
    )


def _lock_root(root: Path) -> int:
    """One daemon per root: an exclusive lock held for the daemon's life."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / "hydockd.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = os.read(fd, 32).decode().strip() or "?"
        os.close(fd)
        raise click.ClickException(f"another hydockd (pid {owner}) is already running on root {root}") from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def _tls_context(ca: str | None, cert: str | None, key: str | None) -> ssl.SSLContext:
    if not (ca and cert and key):
        raise click.ClickException("--tlsverify needs --tlscacert, --tlscert and --tlskey")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=ca)
    context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


async def _serve(
    engine: Engine,
    hosts: list[str],
    tls: ssl.SSLContext | None,
    insecure_tcp: bool,
    pidfile: str,
    registries: Registries,
    max_downloads: int,
) -> None:
    app = build_app(engine, registries, max_downloads)
    # Streams (logs -f, events, attach) would hold a shutdown for minutes; containers do not need them. A build's
    # secrets come in a header (X-Build-Secrets), which may be longer than aiohttp's 8 KiB default.
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=1.0, max_field_size=MAX_HEADER_FIELD
    )
    await runner.setup()
    sockets: list[str] = []
    for host in hosts:
        if host.startswith("unix://"):
            path = host.removeprefix("unix://")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if os.path.exists(path):
                os.unlink(path)  # the root lock proves no live daemon owns it
            await web.UnixSite(runner, path).start()
            os.chmod(path, SOCKET_MODE)
            sockets.append(path)
        elif host.startswith("tcp://"):
            address, _, port = host.removeprefix("tcp://").rpartition(":")
            if tls is None and not insecure_tcp:
                raise click.ClickException(f"refusing to listen on {host} without --tlsverify (or --insecure-tcp)")
            await web.TCPSite(runner, address or "127.0.0.1", int(port), ssl_context=tls).start()
        else:
            raise click.ClickException(f"unsupported -H {host!r}: use unix:///path or tcp://host:port")
    Path(pidfile).parent.mkdir(parents=True, exist_ok=True)
    Path(pidfile).write_text(f"{os.getpid()}\n")
    await app["lifecycle"].restore()
    await app["dns"].sync()
    log.info("hydockd listening on %s", ", ".join(hosts))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        # Containers keep running under their shims (live restore); only the API goes away.
        await app["lifecycle"].close()
        app["dns"].close()
        await runner.cleanup()
        for path in sockets:
            Path(path).unlink(missing_ok=True)
        Path(pidfile).unlink(missing_ok=True)


@click.command(context_settings={"help_option_names": ["--help"]})
@click.option("--root", envvar="HYDOCK_ROOT", default=None, help="Root of the store [default: /var/lib/hydock].")
@click.option("-H", "--host", "hosts", multiple=True, help="Daemon socket(s): unix:///path or tcp://host:port.")
@click.option("--pidfile", default=None, help="Path of the pid file.")
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warn", "error", "fatal"]))
@click.option("--tlsverify", is_flag=True, help="Require mutual TLS on TCP sockets.")
@click.option("--tlscacert", default=None)
@click.option("--tlscert", default=None)
@click.option("--tlskey", default=None)
@click.option("--insecure-tcp", is_flag=True, help="Allow TCP without TLS (anyone who can connect is root).")
@click.option(
    "--bip",
    default="",
    help="Address and prefix of the default bridge, e.g. 172.26.0.1/16 [default: a free /16 from 172.17-31].",
)
@click.option(
    "--insecure-registry",
    "insecure_registries",
    multiple=True,
    help="Registry (host[:port] or CIDR) that may be plain HTTP or unverified TLS; loopback always may.",
)
@click.option(
    "--registry-certs-dir",
    default=str(DEFAULT_CERTS_DIR),
    show_default=True,
    help="Per-registry CAs and client certificates: DIR/HOST[:PORT]/*.crt, *.cert, *.key.",
)
@click.option(
    "--max-concurrent-downloads",
    default=DEFAULT_MAX_DOWNLOADS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Layers downloaded at once per pull.",
)
def main(
    root: str | None,
    hosts: tuple[str, ...],
    pidfile: str | None,
    log_level: str,
    tlsverify: bool,
    tlscacert: str | None,
    tlscert: str | None,
    tlskey: str | None,
    insecure_tcp: bool,
    insecure_registries: tuple[str, ...],
    registry_certs_dir: str,
    max_concurrent_downloads: int,
    bip: str,
) -> None:
    """The hydock daemon: the Docker Engine API over a unix socket."""
    logging.basicConfig(
        level={"warn": "WARNING", "fatal": "CRITICAL"}.get(log_level, log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    default_socket, default_pidfile = default_endpoints(root)
    engine = Engine(root)
    engine.container_service.networking.default_bridge_cidr = bip
    lock = _lock_root(engine.root)
    tls = _tls_context(tlscacert, tlscert, tlskey) if tlsverify else None
    try:
        registries = Registries(RegistrySettings(insecure_registries, registry_certs_dir))
        endpoints = list(hosts) or [default_socket]
        pidfile = pidfile or default_pidfile
        asyncio.run(_serve(engine, endpoints, tls, insecure_tcp, pidfile, registries, max_concurrent_downloads))
    finally:
        os.close(lock)


if __name__ == "__main__":
    main()
