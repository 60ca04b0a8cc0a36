"""Errors and warnings as people read them: an error as `Dockerfile:3: message` with the line and a caret,
warnings as `docker build --check` prints them (rule, documentation, message, the lines around)."""

from __future__ import annotations

from collections.abc import Sequence

from hydock.dockerfile.rules import RULES, Finding
from hydock.dockerfile.source_lines import physical_lines
from hydock.errors import DockerfileError

_GUTTER = 5
_RULE_LINE = "-" * 20


def render_error(error: DockerfileError, text: str) -> str:
    """The error's one-line message, then (when the line is known) the line with a caret under the fault."""
    head = str(error)
    lines = physical_lines(text)
    if not 0 < error.line <= len(lines):
        return head
    line = lines[error.line - 1].rstrip("\r\n")
    column = error.column or len(line) - len(line.lstrip()) + 1
    # Keep the line's own tabs before the caret so it lands under the same character.
    lead = "".join(ch if ch == "\t" else " " for ch in line[: column - 1])
    return f"{head}\n{error.line:>{_GUTTER}} | {line}\n{'':>{_GUTTER}} | {lead}^"


def render_warnings(findings: Sequence[Finding], text: str, filename: str = "Dockerfile") -> str:
    """The count, then each warning with its rule's documentation and the lines it points at."""
    if not findings:
        return "Check complete, no warnings found."
    count = "1 warning has" if len(findings) == 1 else f"{len(findings)} warnings have"
    out = [f"Check complete, {count} been found!"]
    # BuildKit shows the source split on "\n" only, so a final newline gives one more (empty) line.
    lines = text.split("\n")
    for finding in findings:
        out += ["", f"WARNING: {finding.rule} - {RULES[finding.rule].url}", finding.message]
        out += _snippet(lines, finding.line, finding.end_line or finding.line, filename)
    return "\n".join(out)


def _snippet(lines: list[str], start: int, end: int, filename: str) -> list[str]:
    """BuildKit's source excerpt: the pointed-at lines marked `>>>`, up to two lines of context each side."""
    if not 0 < start <= len(lines):
        return []
    first, last = start, min(end, len(lines))
    padding, added = (4 if last == first else 2), 0
    while added < padding:
        if first > 1:
            first, added = first - 1, added + 1
        if last != len(lines):
            last, added = last + 1, added + 1
        added += 1
    out = [f"{filename}:{start}", _RULE_LINE]
    for number in range(first, last + 1):
        marker = ">>>" if start <= number <= end else "   "
        out.append(f" {number:3d} | {marker} {lines[number - 1]}")
    out.append(_RULE_LINE)
    return out
