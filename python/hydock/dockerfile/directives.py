"""Parser directives (`# syntax=`, `# escape=`, `# check=`) and the check options `# check=` carries."""

from __future__ import annotations

import re

import msgspec

from hydock.dockerfile.problem import Problem, go_quote

KNOWN = frozenset({"syntax", "escape", "check"})
# Go's RE2 \s is [\t\n\f\r ]; Python's \s would also take Unicode spaces.
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*")
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


class DirectiveScanner:
    """Recognises directives while they are still allowed: they must come before any instruction,
    blank line or other comment, each at most once; the first line that is not one ends them."""

    def __init__(self) -> None:
        self.done = False
        self.seen: set[str] = set()

    def scan(self, line: str, prefix: str = "#") -> tuple[str, str] | None:
        """(name, value) when `line` is a directive; names are lower-cased."""
        if self.done:
            return None
        if not line.startswith(prefix):
            self.done = True
            return None
        found = _DIRECTIVE.fullmatch(line[len(prefix) :].lstrip())
        if found is None or found.group(1).lower() not in KNOWN:
            self.done = True
            return None
        name = found.group(1).lower()
        if name in self.seen:
            raise Problem(f"only one {name} parser directive can be used")
        self.seen.add(name)
        value = found.group(2)
        if name == "escape" and value not in ("\\", "`"):
            raise Problem(f"invalid escape token '{value}' does not match ` or \\")
        return name, value


class CheckOptions(msgspec.Struct, frozen=True, kw_only=True):
    """Which lint rules run and whether a warning fails the build (`# check=skip=A,B;error=true`)."""

    skip: frozenset[str] = frozenset()
    skip_all: bool = False
    experimental: frozenset[str] = frozenset()
    experimental_all: bool = False
    error: bool = False

    def merged(self, other: CheckOptions) -> CheckOptions:
        """These options with `other`'s skips and experiments added (a comment above an instruction adds its own)."""
        return CheckOptions(
            skip=self.skip | other.skip,
            skip_all=self.skip_all or other.skip_all,
            experimental=self.experimental | other.experimental,
            experimental_all=self.experimental_all or other.experimental_all,
            error=self.error,
        )


def parse_check_options(text: str) -> CheckOptions:
    """BuildKit's check option syntax: `skip=all|R1,R2`, `experimental=all|R1,...`, `error=<bool>`, `;`-separated."""
    text = text.strip()
    if not text:
        return CheckOptions()
    rules: dict[str, frozenset[str]] = {"skip": frozenset(), "experimental": frozenset()}
    everything: set[str] = set()
    error = False
    for part in text.split(";", 2):
        key, sep, value = part.partition("=")
        if not sep:
            raise Problem(f"invalid check option {go_quote(part)}")
        key, value = key.strip(), value.strip()
        if key in rules:
            if value == "all":
                everything.add(key)
            else:
                rules[key] = frozenset(rule.strip() for rule in value.split(","))
        elif key == "error":
            error = _go_bool(value, part)
        else:
            raise Problem(f"invalid check option {go_quote(key)}")
    return CheckOptions(
        skip=rules["skip"],
        skip_all="skip" in everything,
        experimental=rules["experimental"],
        experimental_all="experimental" in everything,
        error=error,
    )


def _go_bool(value: str, part: str) -> bool:
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    raise Problem(
        f"failed to parse check option {go_quote(part)}: strconv.ParseBool: parsing {go_quote(value)}: invalid syntax"
    )
