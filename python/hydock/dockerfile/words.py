"""Splitting one instruction line into keyword, --flags and arguments, each instruction's way (JSON, words, pairs)."""

from __future__ import annotations

import json
import re

from hydock.dockerfile.problem import Problem, go_quote
from hydock.dockerfile.shell_words import is_space, trim_left_space, trim_space

# Go's regexp class [\t\v\f\r ]: the separator Docker uses between whitespace-delimited arguments.
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")


def split_command(line: str, escape: str) -> tuple[str, list[str], str]:
    """The keyword, the leading `--flag` words and the rest of a logical line."""
    parts = _WHITESPACE.split(trim_space(line), maxsplit=1)
    if len(parts) < 2:
        return parts[0], [], ""
    rest, flags = extract_flags(parts[1], escape)
    return parts[0], flags, trim_space(rest)


def extract_flags(line: str, escape: str) -> tuple[str, list[str]]:
    """Leading words that start with `--` (quotes and escapes allowed inside them); `--` alone ends them."""
    flags: list[str] = []
    pos = 0
    while True:
        while pos < len(line) and is_space(line[pos]):
            pos += 1
        if not line.startswith("--", pos):
            return line[pos:], flags
        word, pos = _flag_word(line, pos, escape)
        if word == "--":
            return line[pos:], flags
        flags.append(word)
        if pos >= len(line):
            return "", flags


def _flag_word(line: str, pos: int, escape: str) -> tuple[str, int]:
    """One flag word from `pos`, its quotes removed and escapes applied, and where it ends."""
    out: list[str] = []
    quote = ""
    while pos < len(line):
        ch = line[pos]
        if quote:
            if ch == quote:
                quote = ""
                pos += 1
                continue
        elif is_space(ch):
            return "".join(out), pos
        elif ch in ("'", '"'):
            quote = ch
            pos += 1
            continue
        if ch == escape:
            if pos + 1 == len(line):
                quote = ""
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        out.append(ch)
        pos += 1
    return "".join(out), pos


def split_whitespace(rest: str) -> list[str]:
    """Arguments separated by whitespace, quotes not considered (FROM, EXPOSE, COPY and ADD in shell form)."""
    return _WHITESPACE.split(rest) if rest else []


def parse_words(rest: str, escape: str) -> list[str]:
    """Words separated by whitespace outside quotes, quotes and escapes kept for the later expansion (ENV, LABEL, ARG)."""
    words: list[str] = []
    buf: list[str] = []
    in_word = blank_ok = False
    quote = ""
    pos = 0
    while pos < len(rest):
        ch = rest[pos]
        pos += 1
        if not in_word and not quote:
            if is_space(ch):
                continue
            in_word = True
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                if pos == len(rest):
                    continue
                buf.append(ch)
                ch = rest[pos]
                pos += 1
            buf.append(ch)
            continue
        if is_space(ch):
            if blank_ok or buf:
                words.append("".join(buf))
            buf.clear()
            in_word = blank_ok = False
            continue
        if ch in ("'", '"'):
            quote, blank_ok = ch, True
        elif ch == escape:
            if pos == len(rest):
                continue
            # An escaped character, even a quote, is kept with its escape for the expansion to remove.
            buf.append(ch)
            ch = rest[pos]
            pos += 1
        buf.append(ch)
    if blank_ok or buf:
        words.append("".join(buf))
    return words


def parse_json_array(rest: str) -> list[str] | None:
    """The strings of a JSON array (exec form); None when `rest` is not valid JSON, which makes it shell form."""
    text = rest.lstrip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(item, str) for item in value):
        # Unlike invalid JSON (shell form), a JSON array of other things is an error.
        raise Problem("when using JSON array syntax, arrays must be comprised of strings only")
    return value


def _reject_constant(name: str) -> object:
    # Go's JSON has no NaN or Infinity: such text is not JSON, so the line is shell form.
    raise ValueError(name)


def parse_name_values(rest: str, keyword: str, escape: str) -> list[tuple[str, str, bool]]:
    """ENV and LABEL pairs as (name, value, legacy): `K=V ...`, or the legacy `K V` (the value is the rest)."""
    words = parse_words(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise Problem(f"{keyword} must have two arguments")
        return [(parts[0], parts[1], True)]
    pairs = []
    for word in words:
        if "=" not in word:
            raise Problem(f"Syntax error - can't find = in {go_quote(word)}. Must be of the form: name=value", word)
        name, _, value = word.partition("=")
        pairs.append((name, value, False))
    return pairs


class Arguments:
    """An instruction's arguments as its line parser splits them, before any meaning is given to them."""

    __slots__ = ("json", "pairs", "values")

    def __init__(self, values: list[str], *, json: bool = False, pairs: list[tuple[str, str, bool]] | None = None):
        self.values = values
        self.json = json
        self.pairs = pairs or []


_MAYBE_JSON = frozenset({"run", "cmd", "entrypoint", "shell"})
_JSON_OR_LIST = frozenset({"add", "copy", "volume"})
_WHITESPACE_LIST = frozenset({"expose", "from"})
_ONE_STRING = frozenset({"maintainer", "stopsignal", "user", "workdir"})


def split_arguments(keyword: str, rest: str, escape: str) -> Arguments:
    """Docker's per-instruction line parsers: which instructions take JSON, words, pairs or one string."""
    name = keyword.lower()
    if name in _MAYBE_JSON:
        return _maybe_json(rest)
    if name in _JSON_OR_LIST:
        values = parse_json_array(rest)
        return Arguments(values, json=True) if values is not None else Arguments(split_whitespace(rest))
    if name in _WHITESPACE_LIST:
        return Arguments(split_whitespace(rest))
    if name in _ONE_STRING:
        return Arguments([rest] if rest else [])
    if name in ("env", "label"):
        return Arguments([], pairs=parse_name_values(rest, name.upper(), escape))
    if name == "arg":
        return Arguments(parse_words(rest, escape))
    if name == "healthcheck":
        return _healthcheck(rest)
    return Arguments([])


def _maybe_json(rest: str) -> Arguments:
    if not rest:
        return Arguments([])
    values = parse_json_array(rest)
    return Arguments(values, json=True) if values is not None else Arguments([rest])


def _healthcheck(rest: str) -> Arguments:
    """HEALTHCHECK's first word is its type (CMD or NONE); the command after it may be JSON."""
    if not rest:
        return Arguments([])
    sep = next((i for i, ch in enumerate(rest) if is_space(ch)), len(rest))
    kind, command = rest[:sep], trim_left_space(rest[sep:])
    parsed = _maybe_json(command)
    return Arguments([kind, *parsed.values], json=parsed.json)
