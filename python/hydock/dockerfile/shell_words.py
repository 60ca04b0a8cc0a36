"""Docker's word lexer for Dockerfiles: quote removal and $VAR expansion as BuildKit's shell/lex does it.

This is not a shell: it knows quotes, the escape character, `$name`, `${name}` and the modifiers
`:-  -  :+  +  :?  ?  #  ##  %  %%  /  //`, and nothing else (no command substitution, no globbing).
"""

from __future__ import annotations

from collections.abc import Mapping

from hydock.dockerfile.problem import Problem, go_quote
from hydock.dockerfile.shell_patterns import pattern_regex, replace_all, trim_prefix, trim_suffix

_SPECIAL_PARAMS = frozenset("@*#?-$!0")
_GO_SPACES = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(
    map(chr, range(0x2000, 0x200B))
)
_HEREDOC_SPACE = frozenset("\t\r ")


def is_space(ch: str) -> bool:
    """Go's unicode.IsSpace, which decides where Docker splits words (Python's isspace differs)."""
    return ch in _GO_SPACES


def trim_left_space(text: str) -> str:
    pos = 0
    while pos < len(text) and is_space(text[pos]):
        pos += 1
    return text[pos:]


def trim_space(text: str) -> str:
    """Go's strings.TrimSpace."""
    end = len(text)
    while end > 0 and is_space(text[end - 1]):
        end -= 1
    return trim_left_space(text[:end])


class Expansion:
    """One expanded word: the text, the words it splits into, and which variables were found or not."""

    __slots__ = ("matched", "result", "unmatched", "words")

    def __init__(self, result: str, words: list[str], matched: set[str], unmatched: set[str]) -> None:
        self.result = result
        self.words = words
        self.matched = matched
        self.unmatched = unmatched


class Lexer:
    """Expands words against an environment. The flags reproduce BuildKit's lexer modes:

    raw_quotes keeps quote characters in the result, raw_escapes keeps escape characters,
    skip_quotes treats quotes as ordinary characters and skip_unset leaves unset variables as written.
    """

    def __init__(
        self,
        escape: str = "\\",
        *,
        raw_quotes: bool = False,
        raw_escapes: bool = False,
        skip_quotes: bool = False,
        skip_unset: bool = False,
    ) -> None:
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_quotes = skip_quotes
        self.skip_unset = skip_unset

    def expand(self, word: str, env: Mapping[str, str]) -> Expansion:
        scan = _Scan(self, word, env)
        try:
            result, words = scan.until(None, self.raw_escapes)
        except Problem as exc:
            raise Problem(f"failed to process {go_quote(word)}: {exc.message}") from None
        return Expansion(result, words, scan.matched, scan.unmatched)


_DEFAULT = Lexer()


def expand(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """The word with quotes removed and variables replaced, as Docker expands ENV, COPY, WORKDIR... words."""
    return (_DEFAULT if escape == "\\" else Lexer(escape)).expand(word, env).result


def expand_words(word: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """The expanded word split on unquoted whitespace, as Docker splits EXPOSE arguments."""
    return (_DEFAULT if escape == "\\" else Lexer(escape)).expand(word, env).words


class _Words:
    """Splits the expansion into words: whitespace from plain text or variables separates, quoted text never does."""

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if is_space(ch):
            if self.in_word and self.buf:
                self.words.append("".join(self.buf))
                self.buf.clear()
                self.in_word = False
        else:
            self.add_raw(ch)

    def add_raw(self, text: str) -> None:
        self.buf.append(text)
        self.in_word = True

    def add_text(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def finish(self) -> list[str]:
        if self.buf:
            self.words.append("".join(self.buf))
            self.buf.clear()
        return self.words


class _Scan:
    def __init__(self, lexer: Lexer, text: str, env: Mapping[str, str]) -> None:
        self.lexer = lexer
        self.text = text
        self.pos = 0
        self.env = env
        self.raw_escapes = lexer.raw_escapes
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1 if ch else 0
        return ch

    def lookup(self, name: str) -> str | None:
        value = self.env.get(name)
        (self.unmatched if value is None else self.matched).add(name)
        return value

    def until(self, stop: str | None, raw_escapes: bool) -> tuple[str, list[str]]:
        """Processes text up to `stop` (consumed) or the end; `stop` None means the end of the word."""
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self._until(stop)
        finally:
            self.raw_escapes = saved

    def _until(self, stop: str | None) -> tuple[str, list[str]]:
        result: list[str] = []
        words = _Words()
        escape = self.lexer.escape
        while (ch := self.peek()) != "":
            if stop is not None and ch == stop:
                self.next()
                return "".join(result), words.finish()
            if ch == "$":
                value = self.dollar()
                result.append(value)
                words.add_text(value)
            elif ch == "<":
                value = self.possible_heredoc()
                result.append(value)
                words.add_raw(value)
            elif ch in "'\"" and not self.lexer.skip_quotes:
                value = self.single_quoted() if ch == "'" else self.double_quoted()
                result.append(value)
                words.add_raw(value)
            else:
                self.next()
                if ch == escape:
                    if self.raw_escapes:
                        words.add_raw(ch)
                        result.append(ch)
                    ch = self.next()
                    if ch == "":
                        break
                    words.add_raw(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
        if stop is not None:
            raise Problem(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.finish()

    def single_quoted(self) -> str:
        # Nothing can be escaped between single quotes, not even a single quote.
        quote = self.next()
        out = [quote] if self.lexer.raw_quotes else []
        while True:
            ch = self.next()
            if ch == "":
                raise Problem("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.lexer.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def double_quoted(self) -> str:
        quote = self.next()
        out = [quote] if self.lexer.raw_quotes else []
        escape = self.lexer.escape
        while True:
            ch = self.peek()
            if ch == "":
                raise Problem("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                if self.lexer.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == escape:
                if self.raw_escapes:
                    out.append(ch)
                following = self.peek()
                if following == "":
                    continue
                # Only these can be escaped inside double quotes; any other escape character stays.
                if following in ('"', "$", escape):
                    ch = self.next()
            out.append(ch)

    def possible_heredoc(self) -> str:
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        spaces = []
        while self.peek() in _HEREDOC_SPACE:
            spaces.append(self.next())
        return "<<" + "".join(spaces)

    def name(self) -> str:
        """A variable name: letters, digits and _; or all leading digits; or one special parameter."""
        ch = self.peek()
        if ch.isdecimal():
            start = self.pos
            while self.peek().isdecimal():
                self.next()
            return self.text[start : self.pos]
        if ch and ch in _SPECIAL_PARAMS:
            return self.next()
        start = self.pos
        while (ch := self.peek()) and (ch.isalpha() or ch.isdecimal() or ch == "_"):
            self.next()
        return self.text[start : self.pos]

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            value = self.lookup(name)
            if value is None and self.lexer.skip_unset:
                return "$" + name
            return value or ""
        self.next()
        first = self.peek()
        if first == "":
            raise Problem("syntax error: missing '}'")
        if first in "{}:":
            raise Problem("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            value = self.lookup(name)
            if value is None and self.lexer.skip_unset:
                return "${" + name + "}"
            return value or ""
        if ch == "":
            raise Problem("syntax error: missing '}'")
        if ch == "/":
            return self.replace(name)
        modifier = ch
        null_is_unset = ch == ":"
        if null_is_unset:
            ch = self.next()
            modifier += ch
        elif ch not in "+-?#%":
            raise Problem(f"unsupported modifier ({modifier}) in substitution")
        pattern_like = ch in ("#", "%")
        if null_is_unset and pattern_like:
            raise Problem(f"unsupported modifier ({modifier}) in substitution")
        word = self.until_brace(pattern_like)
        value = self.lookup(name)
        if value is None and self.lexer.skip_unset:
            return "${" + name + modifier + word + "}"
        return _apply_modifier(name, ch, modifier, null_is_unset, value, word)

    def until_brace(self, raw_escapes: bool) -> str:
        try:
            return self.until("}", raw_escapes)[0]
        except Problem:
            if self.peek() == "":
                raise Problem("syntax error: missing '}'") from None
            raise

    def replace(self, name: str) -> str:
        every = self.peek() == "/"
        if every:
            self.next()
        try:
            pattern = self.until("/", True)[0]
        except Problem:
            if self.peek() == "":
                raise Problem("syntax error: missing '/' in ${}") from None
            raise
        replacement = self.until_brace(True)
        value = self.lookup(name)
        if value is None and self.lexer.skip_unset:
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        regex = pattern_regex(pattern, greedy=True, anchored=False)
        if every:
            return replace_all(regex, value or "", replacement)
        found = regex.search(value or "")
        if found is None:
            return value or ""
        return (value or "")[: found.start()] + replacement + (value or "")[found.end() :]


def _apply_modifier(name: str, ch: str, modifier: str, null_is_unset: bool, value: str | None, word: str) -> str:
    unset = value is None or (null_is_unset and value == "")
    if ch == "-":
        return word if unset else value or ""
    if ch == "+":
        return "" if unset else word
    if ch == "?":
        if value is None:
            raise Problem(f"{name}: {word or 'is not allowed to be unset'}")
        if null_is_unset and value == "":
            raise Problem(f"{name}: {word or 'is not allowed to be empty'}")
        return value
    if ch in ("#", "%"):
        greedy = word.startswith(ch)
        pattern = word[1:] if greedy else word
        if ch == "%":
            return trim_suffix(pattern, value or "", greedy)
        return trim_prefix(pattern, value or "", greedy)
    raise Problem(f"unsupported modifier ({modifier}) in substitution")
