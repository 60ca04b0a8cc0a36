"""How commands reach the engine: one Engine per invocation, built from the --root option."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

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
