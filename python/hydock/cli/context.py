"""How commands reach the daemon (one API client per invocation, from -H/HYDOCK_HOST or --root) and act on
several targets."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from hydock.errors import HydockError

if TYPE_CHECKING:
    from hydock.client.api import APIClient

# hydockd's own rule (hydock.daemon.main.default_endpoints), restated so the CLI need not import aiohttp.
DEFAULT_ROOT = "/var/lib/hydock"
DEFAULT_SOCKET = "/run/hydock/hydock.sock"
START_TIMEOUT = 10.0


class Target:
    """Where the daemon is: an explicit address, or the socket of a root whose daemon the CLI may start."""

    def __init__(self, host: str | None, root: str | None) -> None:
        self.explicit = host is not None
        self.root = os.path.abspath(root or DEFAULT_ROOT)
        if host is not None:
            self.url = host
        elif self.root == DEFAULT_ROOT:
            self.url = f"unix://{DEFAULT_SOCKET}"
        else:
            self.url = f"unix://{os.path.join(self.root, 'hydock.sock')}"


def api() -> APIClient:
    ctx = click.get_current_context()
    cached = ctx.meta.get("hydock.api")
    if cached is None:
        cached = ctx.meta["hydock.api"] = connect(ctx.find_root().obj)
    return cached


def connect(target: Target) -> APIClient:
    """A client whose API version is settled; the default daemon is started if it does not answer."""
    from hydock.client.api import APIClient
    from hydock.client.errors import DaemonUnavailable
    from hydock.client.transport import Transport

    transport = Transport(target.url)
    try:
        transport.negotiate()
    except DaemonUnavailable:
        if target.explicit:
            raise
        _start_daemon(target)
        transport.negotiate()
    return APIClient(transport)


def _start_daemon(target: Target) -> None:
    import subprocess

    from hydock.client.errors import DaemonUnavailable
    from hydock.client.transport import Transport

    os.makedirs(target.root, exist_ok=True)
    with open(os.path.join(target.root, "hydockd.log"), "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "hydock.daemon.main", "--root", target.root],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    probe = Transport(target.url, timeout=1.0)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            probe.ping()
            break
        except DaemonUnavailable:
            if time.monotonic() > deadline:
                raise DaemonUnavailable(
                    f"started hydockd (pid {process.pid}) for {target.root} but it did not answer on {target.url} "
                    f"within {START_TIMEOUT:.0f} s; see {target.root}/hydockd.log"
                ) from None
            time.sleep(0.05)
        finally:
            probe.close()
    # If another invocation won the race for the root, our daemon exited on its lock: say nothing.
    if process.poll() is None:
        click.echo(f"hydock: started hydockd (pid {process.pid}) for {target.root}", err=True)


def for_each_target(names: tuple[str, ...], action: Callable[[str], object]) -> None:
    """Docker's multi-target commands: act on each, report each failure, exit 1 if any failed."""
    failed = False
    for name in names:
        try:
            action(name)
        except HydockError as exc:
            click.echo(f"Error response from daemon: {exc}", err=True)
            failed = True
    if failed:
        raise click.exceptions.Exit(1)


def inspect_each(names: tuple[str, ...], inspect: Callable[[str], Any], fmt: str) -> None:
    """Docker's multi-target inspect: what was found as one JSON array (or each through the `fmt` template), then
    each failure; exit 1 if any failed."""
    found, failed = [], []
    for name in names:
        try:
            found.append(inspect(name))
        except HydockError as exc:
            failed.append(str(exc))
    if fmt:
        from hydock.cli.gotemplate import format_objects

        click.echo(format_objects(fmt, found), nl=False)
    else:
        import json

        click.echo(json.dumps(found, indent=4))
    for message in failed:
        click.echo(f"Error response from daemon: {message}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


@contextmanager
def exits_1_on_refusal() -> Iterator[None]:
    """Like most docker CLI commands (not run and create, which exit 125), a refusal of the daemon exits 1."""
    try:
        yield
    except HydockError as exc:
        exc.exit_code = 1
        raise
