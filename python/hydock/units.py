"""Sizes as Docker's flags spell them: `64m`, `1.5g`, `512k`, `100` (bytes)."""

from __future__ import annotations

import re

from hydock.errors import InvalidArgument

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$", re.IGNORECASE)


def parse_bytes(text: str) -> int:
    """Docker's RAMInBytes: binary units, case-insensitive, optional trailing b/ib."""
    match = _SIZE.match(text.strip())
    if match is None:
        raise InvalidArgument(f"invalid size: '{text}'")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def human_size(size: float) -> str:
    """Docker's units.HumanSize (decimal, 3 significant digits): 1.23MB, 4.2kB."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.4g}{unit}" if unit != "B" else f"{int(size)}B"
        size /= 1000
    return f"{size:.4g}TB"


def binary_size(size: float) -> str:
    """Docker's units.BytesSize (binary): 1.5MiB, 64MiB."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.4g}{unit}"
        size /= 1024
    return f"{size:.4g}TiB"
