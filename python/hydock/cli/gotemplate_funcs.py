"""The functions a Docker --format template can call: Go's builtins and docker/cli's basicFunctions.

Each function declares its parameters by Go type, because the executor converts and checks
arguments as Go's does (a string literal given for an int is an error, a missing value is nil).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hydock.cli.gotemplate_fmt import MISSING, go_type, sprint, sprintf, sprintln
from hydock.cli.gotemplate_json import json_marshal

ANY = "interface {}"
VALUE = "reflect.Value"  # like ANY, but a missing value stays missing rather than becoming nil
STRING = "string"
INT = "int"
STRINGS = "[]string"


class FuncError(Exception):
    """A function's failure; execution reports it as `error calling NAME: MESSAGE`."""


class GoFunc:
    """A callable with Go parameter types; a `lazy` one gets its arguments as thunks (and/or stop early)."""

    __slots__ = ("call", "params", "variadic", "lazy")

    def __init__(
        self, call: Callable[..., Any], params: tuple[str, ...], variadic: str | None = None, lazy: bool = False
    ) -> None:
        self.call = call
        self.params = params
        self.variadic = variadic
        self.lazy = lazy


def is_true(value: Any) -> bool:
    """Go's template truth: the zero value of a type and nil are false, structs are true."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, bool | int | float | complex):
        return value != 0
    if isinstance(value, str | list | tuple | dict):
        return len(value) > 0
    return True


def _and(*thunks: Callable[[], Any]) -> Any:
    """The first false argument, or the last; later arguments are not evaluated."""
    for thunk in thunks:
        value = thunk()
        if not is_true(value):
            return value
    return value


def _or(*thunks: Callable[[], Any]) -> Any:
    """The first true argument, or the last; later arguments are not evaluated."""
    for thunk in thunks:
        value = thunk()
        if is_true(value):
            return value
    return value


def _not(value: Any) -> bool:
    return not is_true(value)


def _index_arg(index: Any, cap: int) -> int:
    if index is None or index is MISSING:
        raise FuncError("cannot index slice/array with nil")
    if isinstance(index, bool) or not isinstance(index, int):
        raise FuncError(f"cannot index slice/array with type {go_type(index)}")
    if index < 0 or index > cap:
        raise FuncError(f"index out of range: {index}")
    return index


def _zero_of(mapping: dict[Any, Any] | None) -> Any:
    """What Go's index yields for a missing key: "" from a string map (such as Labels), else nil."""
    if not mapping or all(isinstance(value, str) for value in mapping.values()):
        return ""
    return None


def _index(item: Any, *indexes: Any) -> Any:
    if item is MISSING:
        raise FuncError("index of untyped nil")
    for index in indexes:
        if item is None or isinstance(item, dict):
            if index is None or index is MISSING:
                raise FuncError("value is nil; should be of type string")
            if not isinstance(index, str):
                raise FuncError(f"value has type {go_type(index)}; should be string")
            item = item[index] if item and index in item else _zero_of(item)
        elif isinstance(item, str | list | tuple):
            sequence = item.encode() if isinstance(item, str) else item
            position = _index_arg(index, len(sequence))
            if position == len(sequence):
                raise FuncError(f"reflect: {'string' if isinstance(item, str) else 'slice'} index out of range")
            item = sequence[position]
        else:
            raise FuncError(f"can't index item of type {go_type(item)}")
    return item


def _slice(item: Any, *indexes: Any) -> Any:
    if item is None or item is MISSING:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str) and len(indexes) == 3:
        raise FuncError("cannot 3-index slice a string")
    if not isinstance(item, str | list | tuple):
        raise FuncError(f"can't slice item of type {go_type(item)}")
    sequence = item.encode() if isinstance(item, str) else item
    bounds = [0, len(sequence), 0]
    for position, index in enumerate(indexes):
        bounds[position] = _index_arg(index, len(sequence))
    if bounds[0] > bounds[1]:
        raise FuncError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if len(indexes) == 3 and bounds[1] > bounds[2]:
        raise FuncError(f"invalid slice index: {bounds[1]} > {bounds[2]}")
    part = sequence[bounds[0] : bounds[1]]
    return part.decode(errors="replace") if isinstance(part, bytes) else list(part)


def _len(item: Any) -> int:
    if item is MISSING:
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    if item is None:
        return 0
    if isinstance(item, str):
        return len(item.encode())
    if isinstance(item, list | tuple | dict):
        return len(item)
    raise FuncError(f"len of type {go_type(item)}")


# --- comparison ---


def _basic_kind(value: Any) -> str | None:
    for kind, name in ((bool, "bool"), (int, "int"), (float, "float"), (complex, "complex"), (str, "string")):
        if isinstance(value, kind):
            return name
    return None


def _is_nil(value: Any) -> bool:
    return value is None or value is MISSING


def _same_kind(first: Any, second: Any) -> bool:
    """reflect kinds match, or one is nil (None also stands for nil slices and maps)."""
    if _is_nil(first) or _is_nil(second):
        return True
    sequences = (list, tuple)
    if isinstance(first, sequences) or isinstance(second, sequences):
        return isinstance(first, sequences) and isinstance(second, sequences)
    return isinstance(first, dict) == isinstance(second, dict)


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise FuncError("missing argument for comparison")
    first_kind = _basic_kind(first)
    for other in others:
        other_kind = _basic_kind(other)
        if first_kind != other_kind:
            if first is not MISSING and other is not MISSING:
                raise FuncError(f"incompatible types for comparison: {go_type(first)} and {go_type(other)}")
            continue
        if first_kind is None:
            if not _same_kind(first, other):
                raise FuncError(
                    f"non-comparable types {sprint([first])}: {go_type(first)}, {go_type(other)}: {sprint([other])}"
                )
            if _is_nil(first) or _is_nil(other):
                if _is_nil(first) and _is_nil(other):
                    return True
                continue
            if isinstance(other, list | tuple | dict):
                raise FuncError(f"non-comparable type {sprint([other])}: {go_type(other)}")
        if first == other:
            return True
    return False


def _ne(first: Any, second: Any) -> bool:
    return not _eq(first, second)


def _lt(first: Any, second: Any) -> bool:
    first_kind, second_kind = _basic_kind(first), _basic_kind(second)
    if first_kind is None or second_kind is None:
        raise FuncError("invalid type for comparison")
    if first_kind != second_kind:
        raise FuncError(f"incompatible types for comparison: {go_type(first)} and {go_type(second)}")
    if first_kind in ("bool", "complex"):
        raise FuncError("invalid type for comparison")
    return bool(first < second)


def _le(first: Any, second: Any) -> bool:
    return _lt(first, second) or _eq(first, second)


def _gt(first: Any, second: Any) -> bool:
    return not _le(first, second)


def _ge(first: Any, second: Any) -> bool:
    return not _lt(first, second)


# --- escapers ---


def _escaper_text(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(["<no value>" if arg is None else arg for arg in args])


_HTML_ESCAPES = str.maketrans({"\0": "\ufffd", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _html(*args: Any) -> str:
    return _escaper_text(args).translate(_HTML_ESCAPES)


def _js(*args: Any) -> str:
    special = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}
    out = []
    for char in _escaper_text(args):
        if char in special:
            out.append(special[char])
        elif char < " " or (not char.isascii() and not char.isprintable()):
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def _urlquery(*args: Any) -> str:
    from urllib.parse import quote_plus

    return quote_plus(_escaper_text(args), safe="")


# --- docker/cli's basicFunctions ---


def _json(value: Any) -> str:
    try:
        return json_marshal(value)
    except ValueError:
        return ""  # Docker ignores the encoder's error and prints what it produced: nothing


def _split(text: str, separator: str) -> list[str]:
    return list(text) if separator == "" else text.split(separator)


def _join(items: list[str], separator: str) -> str:
    return separator.join(items)


def _map_runes(text: str, convert: Callable[[str], str]) -> str:
    """Go's rune-by-rune case mapping: a rune never becomes two (Python's 'ß'.upper() would)."""
    out = []
    for char in text:
        mapped = convert(char)
        out.append(mapped if len(mapped) == 1 else char)
    return "".join(out)


def _lower(text: str) -> str:
    return text.lower() if text.isascii() else _map_runes(text, str.lower)


def _upper(text: str) -> str:
    return text.upper() if text.isascii() else _map_runes(text, str.upper)


def _is_separator(char: str) -> bool:
    if char.isascii():
        return not (char.isalnum() or char == "_")
    if char.isalpha() or char.isdecimal():
        return False
    return char.isspace()


def _title(text: str) -> str:
    """strings.Title: the first letter of each word in title case, the rest left alone."""
    out = []
    previous = " "
    for char in text:
        out.append(_map_runes(char, str.title) if _is_separator(previous) else char)
        previous = char
    return "".join(out)


def _pad(text: str, prefix: int, suffix: int) -> str:
    if text == "":
        return text
    if prefix < 0 or suffix < 0:
        raise FuncError("strings: negative Repeat count")
    return " " * prefix + text + " " * suffix


def _truncate(text: str, length: int) -> str:
    data = text.encode()
    if len(data) < length:
        return text
    if length < 0:
        raise FuncError(f"runtime error: slice bounds out of range [:{length}]")
    return data[:length].decode(errors="replace")


def _same(text: str, *_ignored: Any) -> str:
    return text


FUNCTIONS: dict[str, GoFunc] = {
    "and": GoFunc(_and, (VALUE,), VALUE, lazy=True),
    "or": GoFunc(_or, (VALUE,), VALUE, lazy=True),
    "not": GoFunc(_not, (VALUE,)),
    "len": GoFunc(_len, (VALUE,)),
    "index": GoFunc(_index, (VALUE,), VALUE),
    "slice": GoFunc(_slice, (VALUE,), VALUE),
    "print": GoFunc(lambda *args: sprint(list(args)), (), ANY),
    "printf": GoFunc(lambda text, *args: sprintf(text, list(args)), (STRING,), ANY),
    "println": GoFunc(lambda *args: sprintln(list(args)), (), ANY),
    "html": GoFunc(_html, (), ANY),
    "js": GoFunc(_js, (), ANY),
    "urlquery": GoFunc(_urlquery, (), ANY),
    "eq": GoFunc(_eq, (VALUE,), VALUE),
    "ne": GoFunc(_ne, (VALUE, VALUE)),
    "lt": GoFunc(_lt, (VALUE, VALUE)),
    "le": GoFunc(_le, (VALUE, VALUE)),
    "gt": GoFunc(_gt, (VALUE, VALUE)),
    "ge": GoFunc(_ge, (VALUE, VALUE)),
    "json": GoFunc(_json, (ANY,)),
    "split": GoFunc(_split, (STRING, STRING)),
    "join": GoFunc(_join, (STRINGS, STRING)),
    "title": GoFunc(_title, (STRING,)),
    "lower": GoFunc(_lower, (STRING,)),
    "upper": GoFunc(_upper, (STRING,)),
    "pad": GoFunc(_pad, (STRING, INT, INT)),
    "truncate": GoFunc(_truncate, (STRING, INT)),
}

# docker/cli's HeaderFunctions: a table's header row shows column titles unchanged (pad still pads).
HEADER_FUNCTIONS: dict[str, GoFunc] = {
    **FUNCTIONS,
    "json": GoFunc(_same, (STRING,)),
    "split": GoFunc(_same, (STRING, STRING)),
    "join": GoFunc(_same, (STRING, STRING)),
    "title": GoFunc(_same, (STRING,)),
    "lower": GoFunc(_same, (STRING,)),
    "upper": GoFunc(_same, (STRING,)),
    "truncate": GoFunc(_same, (STRING, INT)),
}
