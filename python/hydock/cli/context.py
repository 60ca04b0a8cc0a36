"""How commands reach the engine (one Engine per invocation, from --root) and act on several targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from hydock.errors import HydockError

if TYPE_CHECKING:
    from hydock.engine import Engine


def engine() -> Engine:
    from hydock.engine import Engine

    ctx = click.get_current_context()
    root = ctx.find_root().obj
    cached = ctx.meta.get("hydock.engine")
    if cached is None:
        cached = ctx.meta["hydock.engine"] = Engine(root)
    return cached


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
