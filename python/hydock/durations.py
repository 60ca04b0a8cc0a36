"""Go's time.ParseDuration, which Docker uses for HEALTHCHECK --interval and friends ("1m30s", "1.5h")."""

from __future__ import annotations


class DurationError(ValueError):
    """A duration Go's time.ParseDuration refuses; the message is Go's."""


_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX = 1 << 63


def parse_duration(text: str) -> int:
    """Nanoseconds; raises with Go's messages (`time: unknown unit "x" in duration "1x"`)."""
    rest = text
    negative = False
    if rest[:1] in ("-", "+"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise _invalid(text)
    total = 0
    while rest:
        if not (rest[0] == "." or rest[0].isascii() and rest[0].isdigit()):
            raise _invalid(text)
        whole, rest = _leading_digits(rest)
        if whole is not None and whole > _MAX:
            raise _invalid(text)
        fraction, scale = 0, 1
        has_fraction = False
        if rest.startswith("."):
            digits, rest = _split_digits(rest[1:])
            has_fraction = bool(digits)
            fraction, scale = _fraction(digits)
        if whole is None and not has_fraction:
            raise _invalid(text)
        unit_end = next((i for i, ch in enumerate(rest) if ch == "." or ch.isascii() and ch.isdigit()), len(rest))
        if unit_end == 0:
            raise DurationError(f"time: missing unit in duration {_quote(text)}")
        unit, rest = rest[:unit_end], rest[unit_end:]
        if unit not in _UNITS:
            raise DurationError(f"time: unknown unit {_quote(unit)} in duration {_quote(text)}")
        size = _UNITS[unit]
        value = (whole or 0) * size
        if (whole or 0) > _MAX // size:
            raise _invalid(text)
        if fraction:
            value += int(fraction * (size / scale))
        total += value
        if total > _MAX:
            raise _invalid(text)
    if negative:
        return -total
    if total > _MAX - 1:
        raise _invalid(text)
    return total


def _invalid(text: str) -> DurationError:
    return DurationError(f"time: invalid duration {_quote(text)}")


def _quote(text: str) -> str:
    """Go's %q of the text, as its messages have it."""
    import json  # only when a duration is refused: `hydock run` imports this module on every start

    return json.dumps(text, ensure_ascii=False)


def _split_digits(text: str) -> tuple[str, str]:
    end = next((i for i, ch in enumerate(text) if not (ch.isascii() and ch.isdigit())), len(text))
    return text[:end], text[end:]


def _leading_digits(text: str) -> tuple[int | None, str]:
    digits, rest = _split_digits(text)
    return (int(digits) if digits else None), rest


def _fraction(digits: str) -> tuple[int, int]:
    """Go keeps fraction digits only while they fit in an int64; later ones are dropped."""
    value, scale = 0, 1
    for digit in digits:
        if value > (_MAX - 1) // 10:
            break
        value, scale = value * 10 + int(digit), scale * 10
    return value, scale


def format_duration(nanoseconds: int) -> str:
    """Go's Duration.String: "0s", "1.5s", "1m30s", "2h0m0s", "250ms", "3µs"."""
    if nanoseconds == 0:
        return "0s"
    sign, value = ("-" if nanoseconds < 0 else ""), abs(nanoseconds)
    if value < 1_000_000_000:
        unit, size = ("ns", 1) if value < 1_000 else ("µs", 1_000) if value < 1_000_000 else ("ms", 1_000_000)
        return sign + _decimal(value, size) + unit
    hours, rest = divmod(value, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "")
    return sign + text + _decimal(rest, 1_000_000_000) + "s"


def _decimal(value: int, size: int) -> str:
    whole, fraction = divmod(value, size)
    digits = str(fraction).rjust(len(str(size)) - 1, "0").rstrip("0") if fraction else ""
    return f"{whole}.{digits}" if digits else str(whole)
