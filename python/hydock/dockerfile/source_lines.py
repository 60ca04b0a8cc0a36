"""From text to raw instructions: directives, comments, line continuations and here-document bodies.

This is BuildKit's `parser` stage: each logical line is split into keyword, flags and arguments,
with no meaning given to them yet (that is `instructions`).
"""

from __future__ import annotations

import re

import msgspec

from hydock.dockerfile.directives import DirectiveScanner
from hydock.dockerfile.nodes import Heredoc
from hydock.dockerfile.problem import Problem, located
from hydock.dockerfile.shell_words import Lexer, trim_left_space, trim_space
from hydock.dockerfile.words import Arguments, split_arguments, split_command

HEREDOC_INSTRUCTIONS = frozenset({"run", "copy", "add"})
# RE2's \d and \s are ASCII-only: [0-9] and [\t\n\f\r ].
_HEREDOC_WORD = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)")
# Words of a whole line, quotes and escapes kept, unset variables left as written: only `<<WORD` matters here.
_LINE_WORDS = Lexer(raw_quotes=True, raw_escapes=True, skip_unset=True)
_DELIMITER = Lexer(skip_unset=True)
_DELIMITER_RAW = Lexer(raw_quotes=True, skip_unset=True)


class RawInstruction:
    """One logical line split as its instruction's line parser splits it."""

    __slots__ = (
        "arguments",
        "child",
        "comments",
        "empty_continuation",
        "end",
        "flags",
        "heredocs",
        "keyword",
        "original",
        "start",
    )

    def __init__(self, keyword: str, flags: list[str], arguments: Arguments, original: str) -> None:
        self.keyword = keyword
        self.flags = flags
        self.arguments = arguments
        self.original = original
        self.child: RawInstruction | None = None
        self.start = self.end = 0
        self.comments: tuple[str, ...] = ()
        self.heredocs: tuple[Heredoc, ...] = ()
        self.empty_continuation = False

    def can_contain_heredoc(self) -> bool:
        node = self.child if self.keyword.lower() == "onbuild" and self.child is not None else self
        return node.keyword.lower() in HEREDOC_INSTRUCTIONS and not node.arguments.json


class ScannedFile:
    __slots__ = ("directives", "escape", "instructions", "lines")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.directives: dict[str, tuple[str, int]] = {}
        self.escape = "\\"
        self.instructions: list[RawInstruction] = []


def physical_lines(text: str) -> list[str]:
    """The lines of `text`, each with its "\\n" (only "\\n" ends a line, as in Docker)."""
    lines = [line + "\n" for line in text.removeprefix("\ufeff").split("\n")]
    last = lines.pop()
    if last != "\n":
        lines.append(last[:-1])
    return lines


def scan(text: str, file: str = "Dockerfile") -> ScannedFile:
    """Every instruction of `text` with its lines, preceding comments and here-documents."""
    scanned = ScannedFile(physical_lines(text))
    _Scanner(scanned, file).run()
    if not scanned.instructions:
        raise located(Problem("file with no instructions"), scanned.lines, len(scanned.lines), 0, file)
    return scanned


class _Scanner:
    def __init__(self, scanned: ScannedFile, file: str) -> None:
        self.out = scanned
        self.lines = scanned.lines
        self.file = file
        self.pos = 0
        self.directives = DirectiveScanner()
        self.comments: list[str] = []
        self.continuation = _continuation_regex("\\")

    def run(self) -> None:
        while self.pos < len(self.lines):
            raw = self.lines[self.pos]
            start = self.pos + 1
            self.pos += 1
            if is_comment(raw):
                # Docker trims after dropping the first character, so an indented comment keeps its "#".
                comment = trim_space(raw[1:])
                self.comments = self.comments + [comment] if comment else []
            line = self._first_line(raw, start)
            line, finished = self._trim_continuation(line)
            if finished and not line:
                continue
            instruction = self._instruction(line, finished, start)
            self.out.instructions.append(instruction)
            self.comments = []

    def _first_line(self, raw: str, number: int) -> str:
        line = trim_left_space(raw.rstrip("\r\n"))
        try:
            directive = self.directives.scan(line)
        except Problem as problem:
            raise located(problem, self.lines, number, number, self.file) from None
        if directive is not None:
            name, value = directive
            self.comments = self.comments[:-1]
            self.out.directives[name] = (value, number)
            if name == "escape":
                self.out.escape = value
                self.continuation = _continuation_regex(value)
        return "" if is_comment(line) else line

    def _trim_continuation(self, line: str) -> tuple[str, bool]:
        """The line without its continuation character, and whether the instruction ends here."""
        joined, count = self.continuation.subn(r"\1", line)
        return (joined, False) if count else (line, True)

    def _instruction(self, first: str, finished: bool, start: int) -> RawInstruction:
        parts = [first]
        empty_continuation = False
        while not finished and self.pos < len(self.lines):
            raw = self.lines[self.pos]
            self.pos += 1
            # Comment lines inside a continuation vanish; empty ones are kept out too (with a warning).
            if is_comment(raw):
                continue
            line = raw.rstrip("\r\n")
            if not trim_left_space(line):
                empty_continuation = True
                continue
            line, finished = self._trim_continuation(line)
            parts.append(line)
        text = "".join(parts)
        try:
            instruction = raw_instruction(text, self.out.escape)
            heredocs = heredocs_in(text) if instruction.can_contain_heredoc() and "<<" in text else []
        except Problem as problem:
            raise located(problem, self.lines, start, self.pos, self.file) from None
        instruction.heredocs = tuple(self._heredoc_body(heredoc, start) for heredoc in heredocs)
        instruction.start, instruction.end = start, self.pos
        instruction.comments = tuple(self.comments)
        instruction.empty_continuation = empty_continuation
        return instruction

    def _heredoc_body(self, heredoc: Heredoc, start: int) -> Heredoc:
        body: list[str] = []
        while self.pos < len(self.lines):
            raw = self.lines[self.pos]
            self.pos += 1
            candidate = raw.rstrip("\r\n")
            if heredoc.chomp:
                candidate = candidate.lstrip("\t")
            if candidate == heredoc.name:
                return msgspec.structs.replace(heredoc, content="".join(body))
            body.append(raw)
        raise located(
            Problem(f"unterminated heredoc: no line {heredoc.name} ends it"), self.lines, start, self.pos, self.file
        )


def raw_instruction(line: str, escape: str) -> RawInstruction:
    keyword, flags, rest = split_command(line, escape)
    instruction = RawInstruction(keyword, flags, split_arguments(keyword, rest, escape), line)
    if keyword.lower() == "onbuild" and rest:
        instruction.child = raw_instruction(rest, escape)
    return instruction


def heredocs_in(line: str) -> list[Heredoc]:
    """The `<<WORD` here-documents a line opens, in order, bodies still empty."""
    try:
        words = _LINE_WORDS.expand(line, {}).words
    except Problem:
        return []
    return [heredoc for heredoc in map(parse_heredoc_word, words) if heredoc is not None]


def parse_heredoc_word(word: str) -> Heredoc | None:
    """The here-document `word` opens (`<<EOF`, `<<-EOF`, `2<<"EOF"`), or None if it opens none."""
    found = _HEREDOC_WORD.fullmatch(word)
    if found is None or not found.group(3):
        return None
    rest = found.group(3)
    words = _DELIMITER.expand(rest, {}).words
    if len(words) != 1:
        return None
    raw_words = _DELIMITER_RAW.expand(rest, {}).words
    if len(raw_words) != 1:
        raise Problem(f"internal lexing of heredoc produced inconsistent results: {rest}")
    # A quoted delimiter (any part of it) turns expansion of the body off, as in a shell.
    quoted = _quote_count(raw_words[0]) != _quote_count(words[0])
    fd = int(found.group(1)) if found.group(1) else 0
    return Heredoc(name=words[0], content="", expand=not quoted, chomp=found.group(2) == "-", fd=fd)


def _quote_count(word: str) -> int:
    return word.count("'") + word.count('"')


def _continuation_regex(escape: str) -> re.Pattern[str]:
    # The escape character is a continuation when it ends the line, unless it is escaped itself
    # (only one level deep, as in Docker: `\\\` at the end is not a continuation).
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*\Z|^{e}[ \t]*\Z")


def is_comment(line: str) -> bool:
    return trim_left_space(line).startswith("#")
