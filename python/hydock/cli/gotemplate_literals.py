"""Go's literal syntax in templates: strconv.Unquote for strings and runes, and numbers as ideal constants."""

from __future__ import annotations

import math

from hydock.cli.gotemplate_fmt import go_quote
from hydock.cli.gotemplate_lex import CHAR_CONSTANT, COMPLEX
from hydock.cli.gotemplate_nodes import Number

_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_HEX_LENGTHS = {"x": 2, "u": 4, "U": 8}
_INVALID = "invalid syntax"


def unquote_char(text: str, quote: str) -> tuple[str, str]:
    """strconv.UnquoteChar: the first (possibly escaped) character of `text` and the rest."""
    if not text or (text[0] == quote and quote in "'\""):
        raise ValueError(_INVALID)
    if text[0] != "\\":
        return text[0], text[1:]
    kind = text[1:2]
    if kind in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[kind], text[2:]
    if kind in _HEX_LENGTHS:
        digits = text[2 : 2 + _HEX_LENGTHS[kind]]
        if len(digits) != _HEX_LENGTHS[kind] or not all(d in "0123456789abcdefABCDEF" for d in digits):
            raise ValueError(_INVALID)
        code = int(digits, 16)
        if kind != "x" and (code > 0x10FFFF or 0xD800 <= code <= 0xDFFF):
            raise ValueError(_INVALID)
        return chr(code), text[2 + len(digits) :]
    if "0" <= kind <= "7":
        digits = text[1:4]
        if len(digits) != 3 or not all("0" <= d <= "7" for d in digits) or int(digits, 8) > 255:
            raise ValueError(_INVALID)
        return chr(int(digits, 8)), text[4:]
    if kind in "'\"" and kind == quote:
        return kind, text[2:]
    raise ValueError(_INVALID)


def unquote(quoted: str) -> str:
    """strconv.Unquote of a "double-quoted" or `raw` string literal."""
    quote, body = quoted[:1], quoted[1:-1]
    if len(quoted) < 2 or quoted[-1] != quote:
        raise ValueError(_INVALID)
    if quote == "`":
        if "`" in body:
            raise ValueError(_INVALID)
        return body.replace("\r", "")
    out = []
    while body:
        char, body = unquote_char(body, quote)
        out.append(char)
    return "".join(out)


def _underscores_ok(text: str) -> bool:
    """Go's rule for digit separators: each _ between digits (a base prefix counts as a digit)."""
    body = text[1:] if text[:1] in "+-" else text
    hexadecimal = body[:2].lower() == "0x"
    saw = "0" if body[:2].lower() in ("0x", "0o", "0b") else "^"
    for char in body[2:] if saw == "0" else body:
        if "0" <= char <= "9" or (hexadecimal and "a" <= char.lower() <= "f"):
            saw = "0"
        elif char == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def _parse_int(text: str, signed: bool) -> int | None:
    """strconv.ParseInt/ParseUint with base 0 (prefixes 0x, 0o, 0b and a leading 0 for octal)."""
    sign, body = 1, text
    if body[:1] in ("+", "-"):
        if not signed:
            return None
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    base, digits = 10, body
    if body[:2].lower() in ("0x", "0o", "0b"):
        base, digits = {"x": 16, "o": 8, "b": 2}[body[1].lower()], body[2:]
    elif body[:1] == "0" and len(body) > 1:
        base, digits = 8, body[1:]
    if "_" in text and not _underscores_ok(text):
        return None
    digits = digits.replace("_", "")
    if not digits or not digits.isascii() or not digits.isalnum():
        return None
    try:
        return sign * int(digits, base)
    except ValueError:
        return None


def _parse_float(text: str) -> float | None:
    if "_" in text and not _underscores_ok(text):
        return None
    try:
        body = text.lstrip("+-")
        value = float.fromhex(text) if body[:2].lower() == "0x" else float(text.replace("_", ""))
    except ValueError:
        return None
    return None if math.isinf(value) else value


def _fits_int64(value: float) -> bool:
    return -(2.0**63) <= value < 2.0**63 and float(int(value)) == value


def _set_from_complex(number: Number, value: complex) -> None:
    number.is_complex, number.complex_value = True, value
    number.is_float = value.imag == 0
    if number.is_float:
        number.float_value = value.real
        number.is_int = _fits_int64(value.real)
        number.is_uint = number.is_int and value.real >= 0
        number.int_value = int(value.real) if number.is_int else 0


def _complex_number(number: Number, text: str, typ: str) -> Number:
    imaginary = _parse_float(text[:-1]) if typ != COMPLEX else None
    try:
        value = complex(0, imaginary) if imaginary is not None else complex(text.replace("i", "j"))
    except ValueError:
        raise ValueError(f"illegal number syntax: {go_quote(text)}") from None
    _set_from_complex(number, value)
    return number


def new_number(pos: int, text: str, typ: str) -> Number:
    """A number node with every type its text can stand for; ValueError (Go's message) if none."""
    number = Number(pos, text)
    if typ == CHAR_CONSTANT:
        char, tail = unquote_char(text[1:], text[0])
        if tail != "'":
            raise ValueError(f"malformed character constant: {text}")
        number.is_int = number.is_uint = number.is_float = True
        number.int_value, number.float_value = ord(char), float(ord(char))
        return number
    if typ == COMPLEX or text.endswith("i"):
        return _complex_number(number, text, typ)
    unsigned, signed = _parse_int(text, signed=False), _parse_int(text, signed=True)
    number.is_uint = unsigned is not None and 0 <= unsigned < 2**64
    number.is_int = signed is not None and -(2**63) <= signed < 2**63
    if signed is not None and number.is_int:
        number.int_value, number.float_value = signed, float(signed)
        number.is_uint = number.is_uint or signed == 0
        number.is_float = True
        return number
    if unsigned is not None and number.is_uint:
        number.is_float, number.float_value = True, float(unsigned)
        return number
    real = _parse_float(text)
    if real is None:
        raise ValueError(f"illegal number syntax: {go_quote(text)}")
    if not any(char in text for char in ".eEpP"):
        raise ValueError(f"integer overflow: {go_quote(text)}")
    number.is_float, number.float_value = True, real
    number.is_int = _fits_int64(real)
    number.is_uint = number.is_int and real >= 0
    number.int_value = int(real) if number.is_int else 0
    return number
