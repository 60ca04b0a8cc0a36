"""Docker's "(did you mean X?)": the closest known name within an edit distance of two."""

from __future__ import annotations

from collections.abc import Iterable


def closest(value: str, options: Iterable[str], *, case_sensitive: bool = True) -> str:
    """The option nearest to `value` (distance below 3), "" when none is, or when `value` is one of them."""
    wanted = value if case_sensitive else value.lower()
    best, best_distance = "", 3
    for option in options:
        candidate = option if case_sensitive else option.lower()
        if candidate == wanted:
            return ""
        distance = _levenshtein(wanted, candidate)
        if distance < best_distance:
            best, best_distance = (candidate if case_sensitive else _match_case(candidate, value)), distance
    return best


def did_you_mean(message: str, value: str, options: Iterable[str], *, case_sensitive: bool = True) -> str:
    match = closest(value, options, case_sensitive=case_sensitive)
    return f"{message} (did you mean {match}?)" if match else message


def _match_case(option: str, typed: str) -> str:
    if typed == typed.lower():
        return option.lower()
    if typed == typed.upper():
        return option.upper()
    return option


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
