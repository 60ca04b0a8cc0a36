"""encoding/json's Marshal for template values, as Docker's `json` function encodes them (no HTML escaping)."""

from __future__ import annotations

import math
from typing import Any

from hydock.cli.gotemplate_fmt import MISSING, exponent_form, format_value, object_fields, point_form, shortest_digits


def json_float(number: float) -> str:
    """encoding/json's float64: plain up to 1e21, exponent form (e-7, not e-07) beyond."""
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"json: unsupported value: {format_value(number)}")
    sign = "-" if math.copysign(1.0, number) < 0 else ""
    digits, place = shortest_digits(number)
    if number != 0 and not 1e-6 <= abs(number) < 1e21:
        text = exponent_form(digits, place)
        if text[-4:-1] == "e-0":
            text = text[:-2] + text[-1]
        return sign + text
    return sign + point_form(digits, place)


_json_escapes: dict[int, str] = {}


def _json_string(text: str) -> str:
    """A JSON string as Go encodes it without HTML escaping: U+2028/9 escaped, bad UTF-8 as \\ufffd."""
    if not _json_escapes:
        _json_escapes.update({code: f"\\u{code:04x}" for code in range(0x20)})
        _json_escapes.update({ord(k): v for k, v in {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b"}.items()})
        _json_escapes.update({ord("\f"): "\\f", ord('"'): '\\"', ord("\\"): "\\\\"})
        _json_escapes.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
        _json_escapes.update({code: "\\ufffd" for code in range(0xD800, 0xE000)})
    return '"' + text.translate(_json_escapes) + '"'


def _json_into(value: Any, out: list[str]) -> None:
    if value is None or value is MISSING:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(json_float(value))
    elif isinstance(value, str):
        out.append(_json_string(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            out.append("," if index else "")
            _json_into(item, out)
        out.append("]")
    elif isinstance(value, complex):
        raise ValueError("json: unsupported type: complex128")
    else:
        pairs = value.items() if isinstance(value, dict) else object_fields(value)
        if pairs is None:
            out.append(_json_string(str(value)))
            return
        out.append("{")
        for index, (key, item) in enumerate(pairs):
            out.append(("," if index else "") + _json_string(str(key)) + ":")
            _json_into(item, out)
        out.append("}")


def json_marshal(value: Any) -> str:
    """encoding/json's Marshal (maps keep their order: Python dicts stand for structs as often as maps)."""
    out: list[str] = []
    _json_into(value, out)
    return "".join(out)
