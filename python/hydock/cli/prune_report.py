"""The report every `prune` prints, as the docker CLI prints it."""

from __future__ import annotations

import click


def print_deleted(heading: str, deleted: list[str] | None) -> None:
    """What the prune deleted, one per line under `heading` and followed by a blank line; nothing if it deleted
    nothing."""
    if deleted:
        click.echo(f"{heading}:")
        for item in deleted:
            click.echo(item)
        click.echo()


def print_reclaimed(space: int) -> None:
    from hydock.units import human_size

    click.echo(f"Total reclaimed space: {human_size(space)}")
