"""Column output the way Docker's tabwriter prints it: left-aligned, three spaces between columns."""

from __future__ import annotations

import click

PADDING = 3


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for row in [headers, *rows]:
        cells = [cell.ljust(width + PADDING) for cell, width in zip(row[:-1], widths, strict=False)] + [row[-1]]
        click.echo("".join(cells).rstrip())


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def short_id(full_id: str) -> str:
    return full_id.removeprefix("sha256:")[:12]
