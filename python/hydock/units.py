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


_DECIMAL = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15}
# go-units' sizeRegex: ASCII digits, at most one space, the `i` and `b` both optional whatever the unit.
_HUMAN_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)*) ?([kKmMgGtTpP])?[iI]?[bB]?")


def from_human_size(text: str) -> int:
    """Docker's units.FromHumanSize (`--log-opt max-size`): decimal units, so 10k is 10000 and so is 10KiB."""
    match = _HUMAN_SIZE.fullmatch(text)
    if match is None:
        raise InvalidArgument(f"invalid size: '{text}'")
    number, unit = match.group(1), (match.group(2) or "").lower()
    if number.count(".") > 1:
        raise InvalidArgument(f'strconv.ParseFloat: parsing "{number}": invalid syntax')
    size = float(number) * _DECIMAL[unit]
    # Go's int64 conversion of a float out of range gives the most negative int64.
    return int(size) if size < 2**63 else -(2**63)


def human_size(size: float, precision: int = 4) -> str:
    """Docker's units.HumanSizeWithPrecision (decimal): 1.234MB, 4.2kB; HumanSize is precision 4, and docker stats
    shows I/O with 3."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.{precision}g}{unit}"
        size /= 1000
    return f"{size:.{precision}g}TB"


def binary_size(size: float) -> str:
    """Docker's units.BytesSize (binary): 1.5MiB, 64MiB."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.4g}{unit}"
        size /= 1024
    return f"{size:.4g}TiB"
