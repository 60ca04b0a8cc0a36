"""Shell wildcard patterns as Docker applies them in `${VAR#pat}`, `${VAR%pat}` and `${VAR/pat/rep}`:
`*` and `?` only (no brackets), matched with Go's regexp semantics."""

from __future__ import annotations

import re

from hydock.dockerfile.problem import Problem


def pattern_regex(pattern: str, *, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """A shell wildcard pattern (* and ?, no brackets) as a regular expression."""
    out = ["^"] if anchored else []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append(".*" if greedy else ".*?")
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            following = pattern[i] if i < len(pattern) else ""
            # Inside ${...}, \} and \/ only protect the delimiter; the backslash is not part of the pattern.
            if following in ("}", "/") and following:
                continue
            i += 1
            if following not in ("*", "?", "\\") or not following:
                shown = following or "\ufffd"
                raise Problem(f"invalid pattern ({pattern}) in substitution: invalid escape '\\{shown}'")
            out.append(re.escape(following))
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out))


def trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    found = pattern_regex(pattern, greedy=greedy, anchored=True).search(value)
    return value[found.end() :] if found else value


def trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    # A regex finds the leftmost match, so the shortest suffix is found by reversing both sides.
    return trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]


def _reverse_pattern(pattern: str) -> str:
    """The pattern reversed, keeping each escape in front of the character it escapes."""
    tokens: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            tokens.append(pattern[i : i + 2])
            i += 2
        else:
            tokens.append(pattern[i])
            i += 1
    return "".join(reversed(tokens))


def replace_all(regex: re.Pattern[str], value: str, replacement: str) -> str:
    """Go's Regexp.ReplaceAllString: an empty match right after a match is not replaced, and
    the replacement is a template where $0 is the match and $$ a dollar."""
    out: list[str] = []
    last_end = 0
    search = 0
    while search <= len(value):
        found = regex.search(value, search)
        if found is None:
            break
        out.append(value[last_end : found.start()])
        if found.end() > last_end or found.start() == 0:
            out.append(_go_template(replacement, found.group(0)))
        last_end = found.end()
        search = max(search + 1, found.end())
    out.append(value[last_end:])
    return "".join(out)


_TEMPLATE_NAME = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def _go_template(template: str, match: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(template):
        if template[i] != "$":
            out.append(template[i])
            i += 1
            continue
        if template.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        named = _TEMPLATE_NAME.match(template, i)
        if named is None:
            out.append("$")
            i += 1
            continue
        if (named.group(1) or named.group(2)) == "0":
            out.append(match)
        i = named.end()
    return "".join(out)
