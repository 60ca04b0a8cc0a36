"""How Go sees and prints template values: type names, fmt's %v and Printf verbs, strconv.Quote.

Python values stand for Go values: None is a nil pointer, str/int/float/bool their Go kinds, lists and
tuples slices, dicts maps, other objects structs (their fields as `object_fields` finds them).
MISSING stands for Go's invalid value: what a missing map key yields, printed `<no value>`.
"""

from __future__ import annotations

import math
from typing import Any


class _Missing:
    __slots__ = ()

    def __str__(self) -> str:
        return "<no value>"


MISSING: Any = _Missing()


def go_type(value: Any) -> str:
    """The Go type name of a value, as error messages and %T print it."""
    if value is None or value is MISSING:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    for kind, name in ((int, "int"), (float, "float64"), (complex, "complex128"), (str, "string")):
        if isinstance(value, kind):
            return name
    if isinstance(value, list | tuple):
        return "[]string" if value and all(isinstance(item, str) for item in value) else "[]interface {}"
    if isinstance(value, dict):
        plain = value and all(isinstance(item, str) for item in value.values())
        return "map[string]string" if plain else "map[string]interface {}"
    return type(value).__name__


def object_fields(obj: Any) -> list[tuple[str, Any]] | None:
    """A struct-like object's fields in order, named as they encode (msgspec renames); None if it has none."""
    cls = type(obj)
    struct_fields = getattr(cls, "__struct_fields__", None)
    if struct_fields is not None:
        names = getattr(cls, "__struct_encode_fields__", struct_fields)
        return [(name, getattr(obj, attr)) for name, attr in zip(names, struct_fields, strict=True)]
    dataclass_fields = getattr(cls, "__dataclass_fields__", None)
    if dataclass_fields is not None:
        return [(name, getattr(obj, name)) for name in dataclass_fields]
    attrs = getattr(obj, "__dict__", None)
    if attrs is None:
        return None
    return [(name, value) for name, value in attrs.items() if not name.startswith("_")]


def _sort_key(key: Any) -> tuple[int, Any]:
    """Go's fmtsort order for map keys: numbers numerically, strings lexically."""
    if isinstance(key, bool):
        return (0, key)
    if isinstance(key, int | float):
        return (1, key)
    return (2, str(key))


def sorted_keys(mapping: dict[Any, Any]) -> list[Any]:
    return sorted(mapping, key=_sort_key)


# --- strconv.Quote --------------------------------------------------------------------------

_SHORT_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _quote_with(text: str, quote: str, ascii_only: bool) -> str:
    if text.isascii() and text.isprintable() and quote not in text and "\\" not in text:
        return quote + text + quote
    out = [quote]
    for char in text:
        code = ord(char)
        if char == quote or char == "\\":
            out.append("\\" + char)
        elif char.isprintable() and (code < 0x80 or not ascii_only):
            out.append(char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append(quote)
    return "".join(out)


def go_quote(text: str, ascii_only: bool = False) -> str:
    """strconv.Quote: a double-quoted Go string literal."""
    return _quote_with(text, '"', ascii_only)


def _can_backquote(text: str) -> bool:
    return "`" not in text and "\ufeff" not in text and all(char == "\t" or char >= " " for char in text)


# --- numbers ---------------------------------------------------------------------------------


def shortest_digits(number: float) -> tuple[str, int]:
    """The shortest decimal digits of abs(number) and the point's place: abs(number) = 0.DIGITS x 10**place."""
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    place = len(whole) + (int(exponent) if exponent else 0)
    significant = digits.lstrip("0")
    place -= len(digits) - len(significant)
    significant = significant.rstrip("0")
    return (significant, place) if significant else ("0", 1)


def exponent_form(digits: str, place: int, upper: bool = False) -> str:
    exponent = place - 1
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{head}{'E' if upper else 'e'}{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def point_form(digits: str, place: int) -> str:
    if place <= 0:
        return "0." + "0" * -place + digits
    if place >= len(digits):
        return digits + "0" * (place - len(digits))
    return digits[:place] + "." + digits[place:]


def _unsigned_float(number: float, verb: str, precision: int | None) -> str:
    """strconv.FormatFloat of abs(number) for verb e, E, f, F, g or G (None precision: the shortest)."""
    if precision is not None:
        return format(abs(number), f".{precision}{verb}")
    digits, place = shortest_digits(number)
    if verb in "eE":
        return exponent_form(digits, place, verb == "E")
    if verb in "fF":
        return point_form(digits, place)
    if place - 1 < -4 or place - 1 >= 6:
        return exponent_form(digits, place, verb == "G")
    return point_form(digits, place)


# --- fmt verbs -------------------------------------------------------------------------------


class _Spec:
    __slots__ = ("minus", "plus", "sharp", "space", "zero", "width", "precision")

    def __init__(self) -> None:
        self.minus = self.plus = self.sharp = self.space = self.zero = False
        self.width: int | None = None
        self.precision: int | None = None

    def pad(self, text: str) -> str:
        if self.width is None or len(text) >= self.width:
            return text
        fill = " " * (self.width - len(text))
        return text + fill if self.minus else fill + text

    def signed(self, negative: bool, body: str) -> str:
        """Sign then body, zero-padded between them to the width when the 0 flag asks."""
        sign = "-" if negative else "+" if self.plus else " " if self.space else ""
        if self.zero and not self.minus and self.width is not None:
            body = body.rjust(self.width - len(sign), "0")
        return self.pad(sign + body)


_PLAIN = _Spec()


def _bad_verb(value: Any, verb: str, spec: _Spec) -> str:
    if value is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type(value)}={_format(value, 'v', spec)})"


def _format_int(number: int, verb: str, spec: _Spec) -> str:
    if verb == "c":
        return spec.pad(chr(number) if 0 <= number <= 0x10FFFF else "\ufffd")
    if verb == "q":
        return spec.pad(_quote_with(chr(number) if 0 <= number <= 0x10FFFF else "\ufffd", "'", spec.plus))
    if verb == "U":
        text = f"U+{number:04X}"
        if spec.sharp and 0 <= number <= 0x10FFFF and chr(number).isprintable():
            text += f" '{chr(number)}'"
        return spec.pad(text)
    base = {"v": "d", "d": "d", "b": "b", "o": "o", "O": "o", "x": "x", "X": "X"}.get(verb)
    if base is None:
        return _bad_verb(number, verb, spec)
    digits = format(abs(number), base)
    if spec.precision is not None:
        digits = "" if spec.precision == 0 and number == 0 else digits.rjust(spec.precision, "0")
    prefix = "0o" if verb == "O" else ""
    if spec.sharp:
        prefix = {"b": "0b", "x": "0x", "X": "0X"}.get(verb, "0" if verb == "o" and digits[:1] != "0" else prefix)
    sign = "-" if number < 0 else "+" if spec.plus else " " if spec.space else ""
    if spec.precision is None and spec.zero and not spec.minus and spec.width is not None:
        digits = digits.rjust(spec.width - len(sign), "0")
    return spec.pad(sign + prefix + digits)


def _format_float(number: float, verb: str, spec: _Spec) -> str:
    if verb not in "veEfFgG":
        return _bad_verb(number, verb, spec)
    verb = "g" if verb == "v" else verb
    precision = spec.precision if spec.precision is not None else (6 if verb in "eEfF" else None)
    if math.isnan(number):
        return spec.pad("+NaN" if spec.plus else " NaN" if spec.space else "NaN")
    if math.isinf(number):
        return spec.pad("-Inf" if number < 0 else "+Inf" if spec.plus or not spec.space else " Inf")
    return spec.signed(math.copysign(1.0, number) < 0, _unsigned_float(number, verb, precision))


def _format_str(text: str, verb: str, spec: _Spec) -> str:
    if verb in "vs":
        return spec.pad(text if spec.precision is None else text[: spec.precision])
    if verb == "q":
        if spec.sharp and _can_backquote(text):
            return spec.pad("`" + text + "`")
        return spec.pad(go_quote(text, spec.plus))
    if verb in "xX":
        data = text.encode()
        hexes = [format(byte, "02" + verb) for byte in data]
        prefix = ("0X" if verb == "X" else "0x") if spec.sharp else ""
        if spec.space:
            return spec.pad(" ".join(prefix + byte for byte in hexes))
        return spec.pad(prefix + "".join(hexes) if hexes else "")
    return _bad_verb(text, verb, spec)


def _format(value: Any, verb: str, spec: _Spec) -> str:
    if verb == "T":
        return spec.pad(go_type(value))
    if value is None:
        return spec.pad("<nil>") if verb == "v" else _bad_verb(None, verb, spec)
    if isinstance(value, bool):
        return spec.pad("true" if value else "false") if verb in "vt" else _bad_verb(value, verb, spec)
    if isinstance(value, int):
        return _format_int(value, verb, spec)
    if isinstance(value, float):
        return _format_float(value, verb, spec)
    if isinstance(value, complex):
        if verb not in "veEfFgG":
            return _bad_verb(value, verb, spec)
        imaginary = _Spec()
        imaginary.plus, imaginary.precision = True, spec.precision
        return spec.pad(f"({_format_float(value.real, verb, _PLAIN)}{_format_float(value.imag, verb, imaginary)}i)")
    if isinstance(value, str):
        return _format_str(value, verb, spec)
    if isinstance(value, list | tuple):
        return "[" + " ".join(_format(item, verb, spec) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{_format(key, verb, spec)}:{_format(value[key], verb, spec)}" for key in sorted_keys(value))
        return "map[" + " ".join(pairs) + "]"
    if type(value).__str__ is not object.__str__ and verb in "vsxXq":
        return _format_str(str(value), verb, spec)
    fields = object_fields(value) or []
    if verb == "v" and spec.plus:
        return "{" + " ".join(f"{name}:{_format(item, verb, spec)}" for name, item in fields) + "}"
    return "{" + " ".join(_format(item, verb, spec) for _, item in fields) + "}"


def format_value(value: Any) -> str:
    """fmt's %v: how an action prints a value."""
    if isinstance(value, str):
        return value
    return _format(value, "v", _PLAIN)


def sprint(args: list[Any]) -> str:
    """fmt.Sprint: spaces only between operands when neither is a string."""
    out: list[str] = []
    previous_string = False
    for index, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if index and not is_string and not previous_string:
            out.append(" ")
        out.append(format_value(arg))
        previous_string = is_string
    return "".join(out)


def sprintln(args: list[Any]) -> str:
    return " ".join(format_value(arg) for arg in args) + "\n"


def _parse_number(text: str, index: int) -> tuple[int | None, int]:
    start = index
    while index < len(text) and text[index].isdigit() and text[index].isascii():
        index += 1
    return (int(text[start:index]) if index > start else None), index


def _star_argument(args: list[Any], argnum: int) -> int | None:
    if argnum < len(args) and isinstance(args[argnum], int) and not isinstance(args[argnum], bool):
        return int(args[argnum])
    return None


def _parse_spec(text: str, index: int, args: list[Any], argnum: int, out: list[str]) -> tuple[_Spec, int, int]:
    """Flags, width and precision of one verb; returns the spec, the index of the verb and the next argument."""
    spec = _Spec()
    while index < len(text) and text[index] in "#0+- ":
        flag = text[index]
        if flag == "-":
            spec.minus, spec.zero = True, False
        elif flag == "0":
            spec.zero = not spec.minus
        else:
            setattr(spec, {"#": "sharp", "+": "plus", " ": "space"}[flag], True)
        index += 1
    if text[index : index + 1] == "*":
        index += 1
        width = _star_argument(args, argnum)
        argnum += 1
        if width is None:
            out.append("%!(BADWIDTH)")
        elif width < 0:
            spec.minus, spec.zero, spec.width = True, False, -width
        else:
            spec.width = width
    else:
        spec.width, index = _parse_number(text, index)
    if text[index : index + 1] == ".":
        index += 1
        if text[index : index + 1] == "*":
            index += 1
            precision = _star_argument(args, argnum)
            argnum += 1
            if precision is None:
                out.append("%!(BADPREC)")
            spec.precision = precision if precision is not None and precision >= 0 else None
        else:
            number, index = _parse_number(text, index)
            spec.precision = number or 0
    return spec, index, argnum


def sprintf(text: str, args: list[Any]) -> str:
    """fmt.Sprintf, with Go's %!verb(...) notes for missing, extra and mistyped arguments."""
    out: list[str] = []
    index = argnum = 0
    while index < len(text):
        percent = text.find("%", index)
        if percent < 0:
            out.append(text[index:])
            break
        out.append(text[index:percent])
        spec, index, argnum = _parse_spec(text, percent + 1, args, argnum, out)
        if index >= len(text):
            out.append("%!(NOVERB)")
            break
        verb = text[index]
        index += 1
        if verb == "%":
            out.append("%")
        elif argnum >= len(args):
            out.append(f"%!{verb}(MISSING)")
        else:
            out.append(_format(args[argnum], verb, spec))
            argnum += 1
    if argnum < len(args):
        extra = ("<nil>" if arg is None else f"{go_type(arg)}={format_value(arg)}" for arg in args[argnum:])
        out.append("%!(EXTRA " + ", ".join(extra) + ")")
    return "".join(out)
