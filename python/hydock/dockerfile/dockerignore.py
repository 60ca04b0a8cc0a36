"""`.dockerignore` as Docker reads and applies it: Go filepath.Match patterns plus `**`, `!` exceptions (the last
matching pattern wins), a leading `/` meaning the context root, and a file excluded when it or any directory
above it matches. `Dockerfile.dockerignore` beside a Dockerfile takes precedence over the context's."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import msgspec

# Regex metacharacters that mean nothing special to filepath.Match, so stand for themselves.
_LITERAL = set(".$^+(){}|")


class Pattern(msgspec.Struct, frozen=True):
    text: str
    exclusion: bool
    regex: str


def read_patterns(text: str) -> list[str]:
    """The patterns of an ignore file, normalised: comments and blank lines dropped, paths cleaned, a leading
    `/` removed, `!` kept in front."""
    patterns = []
    for number, raw in enumerate(text.splitlines()):
        line = raw.removeprefix("\ufeff") if number == 0 else raw
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        invert = line.startswith("!")
        if invert:
            line = line[1:].strip()
        if line:
            line = posixpath.normpath(line)
            if len(line) > 1 and line.startswith("/"):
                line = line[1:]
        patterns.append("!" + line if invert else line)
    return patterns


def _compile(pattern: str) -> str:
    regex, i = "^", 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < len(pattern) and pattern[i] == "*":
                i += 1
                if i < len(pattern) and pattern[i] == "/":
                    i += 1  # `**/` is `**`
                regex += ".*" if i == len(pattern) else "(.*/)?"
            else:
                regex += "[^/]*"
        elif ch == "?":
            regex += "[^/]"
        elif ch == "[" and i < len(pattern) and pattern[i] == "^":
            regex += "[^"  # a negated class, as filepath.Match spells it
            i += 1
        elif ch in _LITERAL:
            regex += "\\" + ch
        elif ch == "\\":
            if i < len(pattern):
                regex += "\\" + pattern[i]
                i += 1
            else:
                regex += "\\\\"
        else:
            regex += ch
    return regex + "$"


class IgnoreMatcher:
    """Decides which context paths (relative, `/`-separated) a build leaves out."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = []
        for text in patterns:
            exclusion = text.startswith("!")
            body = text[1:] if exclusion else text
            try:
                re.compile(_compile(body))
            except re.error as exc:
                raise ValueError(f"invalid .dockerignore pattern {text!r}: {exc}") from None
            self.patterns.append(Pattern(body, exclusion, _compile(body)))
        self._compiled = [re.compile(p.regex) for p in self.patterns]

    @property
    def has_exceptions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def excluded(self, path: str) -> bool:
        """Whether `path` is left out: the last pattern matching it, or a directory above it, decides."""
        parents = path.split("/")[:-1]
        matched = False
        for pattern, regex in zip(self.patterns, self._compiled, strict=True):
            if pattern.exclusion != matched:
                continue
            hit = regex.match(path) is not None
            if not hit:
                hit = any(regex.match("/".join(parents[: n + 1])) for n in range(len(parents)))
            if hit:
                matched = not pattern.exclusion
        return matched

    def may_include_below(self, directory: str) -> bool:
        """Whether an exception pattern could bring back something inside an excluded `directory`, so that
        the walk must still look inside it."""
        prefix = directory + "/"
        for pattern in self.patterns:
            if pattern.exclusion and (pattern.text.startswith(prefix) or "*" in pattern.text or "?" in pattern.text
                                      or "[" in pattern.text):  # fmt: skip
                return True
        return False


def load_matcher(context: Path, dockerfile: Path | None = None) -> IgnoreMatcher:
    """The matcher for a build: `<dockerfile>.dockerignore` if it exists, else the context's `.dockerignore`."""
    candidates = []
    if dockerfile is not None:
        candidates.append(dockerfile.with_name(dockerfile.name + ".dockerignore"))
    candidates.append(context / ".dockerignore")
    for candidate in candidates:
        if candidate.is_file():
            return IgnoreMatcher(read_patterns(candidate.read_text(errors="replace")))
    return IgnoreMatcher([])
