"""Questions the CLI asks before destructive commands, worded and answered as the docker CLI's are."""

from __future__ import annotations

import click


def confirm(warning: str) -> bool:
    """Docker's prompt: the warning, then `Are you sure you want to continue? [y/N] `; anything but y is no."""
    return click.confirm(f"{warning}\nAre you sure you want to continue?", default=False, prompt_suffix=" ")
