"""Size and duration formats as Docker prints and parses them."""

from __future__ import annotations

import pytest

from hydock.errors import InvalidArgument
from hydock.timeutil import human_duration, parse_rfc3339
from hydock.units import binary_size, human_size, parse_bytes


@pytest.mark.parametrize(
    "text, value",
    [
        ("64m", 64 << 20),
        ("1g", 1 << 30),
        ("512k", 512 << 10),
        ("100", 100),
        ("1.5g", 3 << 29),
        ("64MB", 64 << 20),
        ("2MiB", 2 << 20),
    ],
)
def test_parse_bytes(text: str, value: int) -> None:
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text", ["", "abc", "-1m", "12q", "1..5m"])
def test_parse_bytes_rejects(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_bytes(text)


def test_human_sizes() -> None:
    assert human_size(999) == "999B"
    assert human_size(2_130_000) == "2.13MB"
    assert binary_size(64 * 1024 * 1024) == "64MiB"


@pytest.mark.parametrize(
    "seconds, text",
    [(0.2, "Less than a second"), (1, "1 second"), (45, "45 seconds"), (61, "About a minute"), (600, "10 minutes"),
     (3600, "About an hour"), (7200, "2 hours"), (3 * 86400, "3 days")],
)  # fmt: skip
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_parse_rfc3339() -> None:
    assert parse_rfc3339("1970-01-01T00:01:00.500000000Z") == 60.5
    assert parse_rfc3339("0001-01-01T00:00:00Z") == 0.0
