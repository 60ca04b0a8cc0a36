"""The lexer of Go's text/template: template text into tokens, with Go's trim markers and error wording."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from hydock.cli.gotemplate_fmt import go_quote

EOF = "EOF"
ERROR = "error"
TEXT = "text"
LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"
LEFT_PAREN = "("
RIGHT_PAREN = ")"
PIPE = "|"
ASSIGN = "="
DECLARE = ":="
CHAR = "char"
SPACE = "space"
BOOL = "bool"
NUMBER = "number"
COMPLEX = "complex"
CHAR_CONSTANT = "charconst"
STRING = "string"
RAW_STRING = "rawstring"
FIELD = "field"
VARIABLE = "variable"
IDENTIFIER = "identifier"
# Keywords print as <word> in parse errors, like Go's items above itemKeyword.
KEYWORDS = frozenset(
    ("block", "break", "continue", ".", "define", "else", "end", "if", "nil", "range", "template", "with")
)

_SPACES = " \t\r\n"
_TERMINATORS = frozenset(".,|:()")
_ONE_CHAR_TOKENS = {"=": ASSIGN, "|": PIPE}

_State: TypeAlias = "Callable[[], _State] | None"


class Token:
    __slots__ = ("typ", "pos", "val", "line")

    def __init__(self, typ: str, pos: int, val: str, line: int) -> None:
        self.typ = typ
        self.pos = pos
        self.val = val
        self.line = line

    def __str__(self) -> str:
        if self.typ == EOF:
            return "EOF"
        if self.typ == ERROR:
            return self.val
        if self.typ in KEYWORDS:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


def _is_space(char: str) -> bool:
    return char != "" and char in _SPACES


def _has_left_trim_marker(text: str, pos: int) -> bool:
    return text[pos : pos + 1] == "-" and _is_space(text[pos + 1 : pos + 2])


def _alphanumeric(char: str) -> bool:
    return char == "_" or char.isalpha() or char.isdecimal()


def _go_rune(char: str) -> str:
    """Go's %#U: U+0041 'A' (the quoted rune only when printable)."""
    code = f"U+{ord(char):04X}"
    return f"{code} '{char}'" if char.isprintable() else code


class _Lexer:
    def __init__(self, text: str) -> None:
        self.input = text
        self.pos = 0
        self.start = 0
        self.paren_depth = 0
        self.tokens: list[Token] = []
        self._line_pos = 0
        self._line = 1

    def run(self) -> list[Token]:
        state: _State = self.lex_text
        while state is not None:
            state = state()
        return self.tokens

    def line_at(self, pos: int) -> int:
        if pos < self._line_pos:
            self._line_pos, self._line = 0, 1
        self._line += self.input.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def peek(self) -> str:
        return self.input[self.pos : self.pos + 1]

    def next(self) -> str:
        char = self.input[self.pos : self.pos + 1]
        self.pos += len(char)
        return char

    def accept(self, valid: str) -> bool:
        char = self.peek()
        if char and char in valid:
            self.pos += 1
            return True
        return False

    def accept_run(self, valid: str) -> None:
        while self.accept(valid):
            pass

    def emit(self, typ: str) -> _State:
        self.tokens.append(Token(typ, self.start, self.input[self.start : self.pos], self.line_at(self.start)))
        self.start = self.pos
        return self.lex_inside_action

    def errorf(self, message: str) -> _State:
        self.tokens.append(Token(ERROR, self.start, message, self.line_at(self.start)))
        return None

    def at_right_delim(self) -> tuple[bool, bool]:
        """Whether a right delimiter starts here, and whether it carries a trim marker (" -}}")."""
        text, pos = self.input, self.pos
        if _is_space(text[pos : pos + 1]) and text[pos + 1 : pos + 2] == "-" and text.startswith("}}", pos + 2):
            return True, True
        return text.startswith("}}", pos), False

    def at_terminator(self) -> bool:
        char = self.peek()
        return not char or char in _SPACES or char in _TERMINATORS or self.input.startswith("}}", self.pos)

    def lex_text(self) -> _State:
        text = self.input
        found = text.find("{{", self.pos)
        if found < 0:
            self.pos = len(text)
            if self.pos > self.start:
                self.tokens.append(Token(TEXT, self.start, text[self.start :], self.line_at(self.start)))
            self.tokens.append(Token(EOF, self.pos, "EOF", self.line_at(self.pos)))
            return None
        end = found
        if _has_left_trim_marker(text, found + 2):
            end = self.start + len(text[self.start : found].rstrip(_SPACES))
        if end > self.start:
            self.tokens.append(Token(TEXT, self.start, text[self.start : end], self.line_at(self.start)))
        self.pos = self.start = found
        return self.lex_left_delim

    def lex_left_delim(self) -> _State:
        text = self.input
        self.pos += 2
        after = 2 if _has_left_trim_marker(text, self.pos) else 0
        if text.startswith("/*", self.pos + after):
            self.pos = self.start = self.pos + after
            return self.lex_comment
        self.tokens.append(Token(LEFT_DELIM, self.start, "{{", self.line_at(self.start)))
        self.pos = self.start = self.pos + after
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self) -> _State:
        self.pos += 2
        end = self.input.find("*/", self.pos)
        if end < 0:
            return self.errorf("unclosed comment")
        self.pos = end + 2
        delim, trim = self.at_right_delim()
        if not delim:
            return self.errorf("comment ends before closing delimiter")
        self.pos += 4 if trim else 2
        if trim:
            self.pos = len(self.input) - len(self.input[self.pos :].lstrip(_SPACES))
        self.start = self.pos
        return self.lex_text

    def lex_right_delim(self) -> _State:
        _, trim = self.at_right_delim()
        if trim:
            self.pos = self.start = self.pos + 2
        self.pos += 2
        self.tokens.append(Token(RIGHT_DELIM, self.start, "}}", self.line_at(self.start)))
        self.start = self.pos
        if trim:
            self.pos = self.start = len(self.input) - len(self.input[self.pos :].lstrip(_SPACES))
        return self.lex_text

    def lex_inside_action(self) -> _State:
        delim, _ = self.at_right_delim()
        if delim:
            return self.lex_right_delim if self.paren_depth == 0 else self.errorf("unclosed left paren")
        char = self.next()
        if not char:
            return self.errorf("unclosed action")
        if char in _SPACES:
            self.pos -= 1
            return self.lex_space
        if char in _ONE_CHAR_TOKENS:
            return self.emit(_ONE_CHAR_TOKENS[char])
        if char == ":":
            return self.emit(DECLARE) if self.next() == "=" else self.errorf("expected :=")
        if char == '"':
            return self.lex_quote
        if char == "`":
            return self.lex_raw_quote
        if char == "$":
            return self.lex_variable
        if char == "'":
            return self.lex_char
        if char == "." and self.pos < len(self.input) and not "0" <= self.input[self.pos] <= "9":
            return self.lex_field
        if char in "+-." or "0" <= char <= "9":
            self.pos -= 1
            return self.lex_number
        if _alphanumeric(char):
            self.pos -= 1
            return self.lex_identifier
        if char == "(":
            self.paren_depth += 1
            return self.emit(LEFT_PAREN)
        if char == ")":
            self.paren_depth -= 1
            return self.errorf("unexpected right paren") if self.paren_depth < 0 else self.emit(RIGHT_PAREN)
        if char.isascii() and char.isprintable():
            return self.emit(CHAR)
        return self.errorf(f"unrecognized character in action: {_go_rune(char)}")

    def lex_space(self) -> _State:
        spaces = 0
        while _is_space(self.peek()):
            self.pos += 1
            spaces += 1
        # A trim-marked right delimiter starts with a space: leave that space to it.
        if self.input[self.pos : self.pos + 1] == "-" and self.input.startswith("}}", self.pos + 1):
            self.pos -= 1
            if spaces == 1:
                return self.lex_right_delim
        return self.emit(SPACE)

    def lex_identifier(self) -> _State:
        while _alphanumeric(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            return self.errorf(f"bad character {_go_rune(self.peek())}")
        word = self.input[self.start : self.pos]
        if word in KEYWORDS:
            return self.emit(word)
        return self.emit(BOOL if word in ("true", "false") else IDENTIFIER)

    def lex_field(self) -> _State:
        return self.lex_field_or_variable(FIELD)

    def lex_variable(self) -> _State:
        return self.emit(VARIABLE) if self.at_terminator() else self.lex_field_or_variable(VARIABLE)

    def lex_field_or_variable(self, typ: str) -> _State:
        if self.at_terminator():
            return self.emit(VARIABLE if typ == VARIABLE else ".")
        while _alphanumeric(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            return self.errorf(f"bad character {_go_rune(self.peek())}")
        return self.emit(typ)

    def lex_char(self) -> _State:
        return self._lex_quoted("'", "unterminated character constant", CHAR_CONSTANT)

    def lex_quote(self) -> _State:
        return self._lex_quoted('"', "unterminated quoted string", STRING)

    def _lex_quoted(self, quote: str, message: str, typ: str) -> _State:
        while True:
            char = self.next()
            if char == "\\":
                char = self.next()
                if char and char != "\n":
                    continue
            if not char or char == "\n":
                return self.errorf(message)
            if char == quote:
                return self.emit(typ)

    def lex_raw_quote(self) -> _State:
        end = self.input.find("`", self.pos)
        if end < 0:
            return self.errorf("unterminated raw quoted string")
        self.pos = end + 1
        return self.emit(RAW_STRING)

    def lex_number(self) -> _State:
        if not self.scan_number():
            return self.errorf(f"bad number syntax: {self._quoted_number()}")
        if self.peek() and self.peek() in "+-":
            if not self.scan_number() or self.input[self.pos - 1] != "i":
                return self.errorf(f"bad number syntax: {self._quoted_number()}")
            return self.emit(COMPLEX)
        return self.emit(NUMBER)

    def _quoted_number(self) -> str:
        return go_quote(self.input[self.start : self.pos])

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            for prefix, base_digits in (("xX", "0123456789abcdefABCDEF_"), ("oO", "01234567_"), ("bB", "01_")):
                if self.accept(prefix):
                    digits = base_digits
                    break
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        exponent = {11: "eE", 23: "pP"}.get(len(digits))
        if exponent and self.accept(exponent):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if _alphanumeric(self.peek()):
            self.pos += 1
            return False
        return True


def lex(text: str) -> list[Token]:
    """All tokens of `text`, ending with EOF or with the first ERROR token (Go stops lexing there)."""
    return _Lexer(text).run()
