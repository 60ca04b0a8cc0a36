"""Column output the way Docker's tabwriter prints it: left-aligned, at least `min_width` wide, three spaces
between columns."""

from __future__ import annotations

import click

from hydock.cli.gotemplate_tabwriter import MIN_WIDTH, align_columns


def print_table(headers: list[str], rows: list[list[str]], min_width: int = MIN_WIDTH) -> None:
    text = "\n".join("\t".join(row) for row in [headers, *rows])
    click.echo(align_columns(text, min_width))


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def short_id(full_id: str) -> str:
    return full_id.removeprefix("sha256:")[:12]
