"""Flags given as repeated key=value: `--filter`, `--label`, `--opt`."""

from __future__ import annotations

import click


def key_values(values: tuple[str, ...]) -> dict[str, str]:
    """`--label`/`--opt` pairs; a value without "=" is a key with an empty value."""
    return dict(value.partition("=")[::2] for value in values)


def parse_filters(values: tuple[str, ...]) -> dict[str, list[str]]:
    """`--filter name=value` flags as the API's filters: each name with all its values."""
    wanted: dict[str, list[str]] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep:
            raise click.UsageError(f"bad format of filter (expected name=value): {value}")
        wanted.setdefault(key, []).append(rest)
    return wanted
