"""Instruction flags (`--name=value` before the arguments), checked as BuildKit checks them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from hydock.dockerfile.problem import Problem
from hydock.dockerfile.suggest import did_you_mean

FlagKind = Literal["bool", "string", "strings"]
FlagValue = bool | str | list[str]


def parse_flags(words: list[str], allowed: Mapping[str, FlagKind]) -> dict[str, FlagValue]:
    """The flags given, by name without dashes; `strings` flags may repeat and collect every value."""
    given: dict[str, FlagValue] = {}
    for word in words:
        if word == "--":
            break
        flag, has_value, value = word.partition("=")
        name = flag[2:]
        kind = allowed.get(name)
        if kind is None:
            raise Problem(did_you_mean(f"unknown flag: {flag}", name, sorted(allowed)), flag)
        if name in given and kind != "strings":
            raise Problem(f"duplicate flag specified: {flag}", flag)
        if kind == "bool":
            given[name] = _boolean(flag, has_value, value)
            continue
        if not has_value:
            raise Problem(f"missing a value on flag: {flag}", flag)
        if kind == "strings":
            previous = given.get(name, [])
            given[name] = [*previous, value] if isinstance(previous, list) else [value]
        else:
            given[name] = value
    return given


def _boolean(flag: str, has_value: str, value: str) -> bool:
    if has_value and not value:
        raise Problem(f"missing a value on flag: {flag}", flag)
    if value.lower() in ("true", ""):
        return True
    if value.lower() == "false":
        return False
    raise Problem(f"expecting boolean value for flag {flag}, not: {value}", flag)
