"""A mistake found inside one instruction, before the parser gives it its place in the file."""

from __future__ import annotations

import json

from hydock.errors import DockerfileError


class Problem(Exception):
    """Raised by the word-level code; `token` is the text at fault, so its column can be found."""

    def __init__(self, message: str, token: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.token = token


def go_quote(text: str) -> str:
    """Go's %q for the printable text Dockerfiles hold, so messages read as BuildKit's do."""
    return json.dumps(text, ensure_ascii=False)


def located(problem: Problem, lines: list[str], start: int, end: int, file: str) -> DockerfileError:
    """The error at its place: the line and column of the problem's token when it can be found
    within the instruction's lines, otherwise the instruction's whole range."""
    if problem.token:
        for number in range(max(start, 1), min(end, len(lines)) + 1):
            column = lines[number - 1].find(problem.token)
            if column >= 0:
                return DockerfileError(problem.message, file=file, line=number, column=column + 1)
    return DockerfileError(problem.message, file=file, line=start, end_line=end)
