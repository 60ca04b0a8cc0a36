"""Raw instructions given their meaning: one typed, frozen node per instruction, checked as Docker checks it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hydock.dockerfile import nodes
from hydock.dockerfile.flags import FlagKind, FlagValue, parse_flags
from hydock.dockerfile.problem import Problem, go_quote
from hydock.dockerfile.run_mounts import parse_mount
from hydock.dockerfile.shell_words import trim_space
from hydock.dockerfile.source_lines import RawInstruction, parse_heredoc_word
from hydock.dockerfile.suggest import did_you_mean
from hydock.durations import DurationError, parse_duration

NAMES = (
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
    "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
)  # fmt: skip
_STAGE_NAME = re.compile(r"[a-z][a-z0-9-_.]*")
_ONBUILD_PREFIX = re.compile(r"^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*", re.IGNORECASE)
_GO_INT = re.compile(r"[+-]?[0-9]+")
_MINIMUM_INTERVAL = 1_000_000


def build_instruction(raw: RawInstruction) -> nodes.AnyInstruction:
    """The typed node for `raw`; raises Problem with Docker's message when it is malformed."""
    if not raw.keyword:
        raise Problem("the file ends with a line continuation that nothing follows")
    builder = _BUILDERS.get(raw.keyword.lower())
    if builder is None:
        message = did_you_mean(f"unknown instruction: {raw.keyword}", raw.keyword, NAMES, case_sensitive=False)
        raise Problem(message, raw.keyword)
    return builder(raw)


def _common(raw: RawInstruction) -> dict[str, Any]:
    return {
        "keyword": raw.keyword,
        "line": raw.start,
        "end_line": raw.end,
        "source": trim_space(raw.original),
        "flags": tuple(raw.flags),
        "comments": raw.comments,
        "heredocs": raw.heredocs,
        "empty_continuation": raw.empty_continuation,
    }


def _flags(raw: RawInstruction, allowed: dict[str, FlagKind] | None = None) -> dict[str, FlagValue]:
    return parse_flags(raw.flags, allowed or {})


def _exactly_one(raw: RawInstruction) -> str:
    if len(raw.arguments.values) != 1:
        raise Problem(f"{raw.keyword.upper()} requires exactly one argument")
    _flags(raw)
    return raw.arguments.values[0]


def _at_least_one(raw: RawInstruction, values: list[Any]) -> None:
    if not values:
        raise Problem(f"{raw.keyword.upper()} requires at least one argument")


def _command(raw: RawInstruction) -> nodes.CommandLine:
    return nodes.CommandLine(tuple(raw.arguments.values), raw.arguments.json)


def _from(raw: RawInstruction) -> nodes.From:
    args = raw.arguments.values
    stage_name = as_keyword = ""
    if len(args) == 3 and args[1].lower() == "as":
        as_keyword, stage_name = args[1], args[2].lower()
        if not _STAGE_NAME.fullmatch(stage_name):
            message = (
                f"invalid name for build stage: {go_quote(args[2])}, name can't start with a number or contain symbols"
            )
            raise Problem(message, args[2])
    elif len(args) != 1:
        raise Problem("FROM requires either one or three arguments")
    given = _flags(raw, {"platform": "string"})
    return nodes.From(
        **_common(raw),
        base=args[0],
        stage_name=stage_name,
        as_keyword=as_keyword,
        platform=str(given.get("platform", "")),
    )


def _run(raw: RawInstruction) -> nodes.Run:
    given = _flags(raw, {"mount": "strings", "network": "string", "security": "string"})
    mounts = tuple(parse_mount(spec) for spec in _strings(given.get("mount")))
    network = str(given.get("network", "default"))
    if network not in ("default", "none", "host"):
        raise Problem(f"invalid network mode {go_quote(network)}", f"--network={network}")
    security = str(given.get("security", "sandbox"))
    if security not in ("sandbox", "insecure"):
        raise Problem(f"security {go_quote(security)} is not valid", f"--security={security}")
    _at_least_one(raw, raw.arguments.values)
    return nodes.Run(**_common(raw), command=_command(raw), mounts=mounts, network=network, security=security)


def _cmd(raw: RawInstruction) -> nodes.Cmd:
    _flags(raw)
    return nodes.Cmd(**_common(raw), command=_command(raw))


def _entrypoint(raw: RawInstruction) -> nodes.Entrypoint:
    _flags(raw)
    return nodes.Entrypoint(**_common(raw), command=_command(raw))


def _shell(raw: RawInstruction) -> nodes.Shell:
    _flags(raw)
    _at_least_one(raw, raw.arguments.values)
    if not raw.arguments.json:
        raise Problem(f"{raw.keyword.upper()} requires the arguments to be in JSON form")
    return nodes.Shell(**_common(raw), args=tuple(raw.arguments.values))


def _pairs(raw: RawInstruction) -> tuple[nodes.KeyValue, ...]:
    _flags(raw)
    _at_least_one(raw, raw.arguments.pairs)
    if any(not key for key, _, _ in raw.arguments.pairs):
        raise Problem(f"{raw.keyword.upper()} names can not be blank")
    return tuple(nodes.KeyValue(key, value, legacy) for key, value, legacy in raw.arguments.pairs)


def _label(raw: RawInstruction) -> nodes.Label:
    return nodes.Label(**_common(raw), pairs=_pairs(raw))


def _env(raw: RawInstruction) -> nodes.Env:
    return nodes.Env(**_common(raw), pairs=_pairs(raw))


def _expose(raw: RawInstruction) -> nodes.Expose:
    _at_least_one(raw, raw.arguments.values)
    _flags(raw)
    return nodes.Expose(**_common(raw), ports=tuple(raw.arguments.values))


def _sources_and_dest(raw: RawInstruction) -> dict[str, Any]:
    """COPY/ADD arguments: the last is the destination, the others paths or here-documents."""
    *sources, dest = raw.arguments.values
    if _heredoc(dest) is not None:
        raise Problem(f"{raw.keyword.upper()} cannot accept a heredoc as a destination", dest)
    bodies = {heredoc.name: heredoc for heredoc in raw.heredocs}
    paths: list[str] = []
    inline: list[nodes.InlineSource] = []
    for source in sources:
        opened = _heredoc(source)
        if opened is None:
            paths.append(source)
            continue
        body = bodies.get(opened.name)
        content = body.content if body is not None else ""
        heredoc = nodes.Heredoc(name=opened.name, content=content, expand=opened.expand, chomp=opened.chomp)
        inline.append(nodes.InlineSource(opened.name, heredoc.text(), opened.expand))
    return {"sources": tuple(paths), "inline_sources": tuple(inline), "dest": dest}


def _heredoc(word: str) -> nodes.Heredoc | None:
    try:
        return parse_heredoc_word(word)
    except Problem:
        return None


def _require_destination(raw: RawInstruction) -> None:
    if len(raw.arguments.values) < 2:
        raise Problem(
            f"{raw.keyword.upper()} requires at least two arguments, but only one was provided. "
            "Destination could not be determined"
        )


def _add(raw: RawInstruction) -> nodes.Add:
    _require_destination(raw)
    given = _flags(
        raw,
        {
            "chown": "string",
            "chmod": "string",
            "link": "bool",
            "keep-git-dir": "bool",
            "checksum": "string",
            "unpack": "bool",
            "exclude": "strings",
        },
    )
    return nodes.Add(
        **_common(raw),
        **_sources_and_dest(raw),
        chown=str(given.get("chown", "")),
        chmod=str(given.get("chmod", "")),
        checksum=str(given.get("checksum", "")),
        keep_git_dir=_optional_bool(given.get("keep-git-dir")),
        unpack=_optional_bool(given.get("unpack")),
        link=given.get("link") is True,
        excludes=tuple(_strings(given.get("exclude"))),
    )


def _copy(raw: RawInstruction) -> nodes.Copy:
    _require_destination(raw)
    given = _flags(
        raw,
        {
            "chown": "string",
            "from": "string",
            "chmod": "string",
            "link": "bool",
            "exclude": "strings",
            "parents": "bool",
        },
    )
    return nodes.Copy(
        **_common(raw),
        **_sources_and_dest(raw),
        from_=str(given.get("from", "")),
        chown=str(given.get("chown", "")),
        chmod=str(given.get("chmod", "")),
        link=given.get("link") is True,
        parents=given.get("parents") is True,
        excludes=tuple(_strings(given.get("exclude"))),
    )


def _volume(raw: RawInstruction) -> nodes.Volume:
    _at_least_one(raw, raw.arguments.values)
    _flags(raw)
    paths = tuple(trim_space(path) for path in raw.arguments.values)
    if not all(paths):
        raise Problem("VOLUME specified can not be an empty string")
    return nodes.Volume(**_common(raw), paths=paths)


def _user(raw: RawInstruction) -> nodes.User:
    return nodes.User(**_common(raw), user=_exactly_one(raw))


def _workdir(raw: RawInstruction) -> nodes.Workdir:
    return nodes.Workdir(**_common(raw), path=_exactly_one(raw))


def _maintainer(raw: RawInstruction) -> nodes.Maintainer:
    return nodes.Maintainer(**_common(raw), maintainer=_exactly_one(raw))


def _stopsignal(raw: RawInstruction) -> nodes.StopSignal:
    return nodes.StopSignal(**_common(raw), signal=_exactly_one(raw))


def _arg(raw: RawInstruction) -> nodes.Arg:
    _at_least_one(raw, raw.arguments.values)
    _flags(raw)
    definitions = []
    for word in raw.arguments.values:
        key, has_default, default = word.partition("=")
        if has_default and not key:
            raise Problem("ARG names can not be blank", word)
        definitions.append(nodes.ArgDefinition(key, default if has_default else None))
    return nodes.Arg(**_common(raw), args=tuple(definitions))


def _onbuild(raw: RawInstruction) -> nodes.Onbuild:
    if raw.child is None:
        raise Problem("ONBUILD requires at least one argument")
    _flags(raw)
    trigger = raw.child.keyword.upper()
    if trigger == "ONBUILD":
        raise Problem("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
    if trigger in ("MAINTAINER", "FROM"):
        raise Problem(f"{trigger} isn't allowed as an ONBUILD trigger", raw.child.keyword)
    expression = _ONBUILD_PREFIX.sub("", raw.original, count=1)
    expression += "".join(f"\n{heredoc.content}{heredoc.name}" for heredoc in raw.heredocs)
    raw.child.start, raw.child.end, raw.child.heredocs = raw.start, raw.end, raw.heredocs
    common = _common(raw) | {"heredocs": ()}
    return nodes.Onbuild(**common, expression=expression, trigger=build_instruction(raw.child))


def _healthcheck(raw: RawInstruction) -> nodes.Healthcheck:
    _at_least_one(raw, raw.arguments.values)
    kind, *args = raw.arguments.values
    kind = kind.upper()
    given = _flags(
        raw,
        {
            "interval": "string",
            "timeout": "string",
            "start-period": "string",
            "start-interval": "string",
            "retries": "string",
        },
    )
    if kind == "NONE":
        if args:
            raise Problem("HEALTHCHECK NONE takes no arguments")
        return nodes.Healthcheck(**_common(raw), test=("NONE",))
    if kind != "CMD":
        raise Problem(f"Unknown type {go_quote(kind)} in HEALTHCHECK (try CMD)", raw.arguments.values[0])
    if not args:
        raise Problem("Missing command after HEALTHCHECK CMD")
    test = ("CMD", *args) if raw.arguments.json else ("CMD-SHELL", " ".join(args))
    return nodes.Healthcheck(
        **_common(raw),
        test=test,
        interval=_interval(given, "interval"),
        timeout=_interval(given, "timeout"),
        start_period=_interval(given, "start-period"),
        start_interval=_interval(given, "start-interval"),
        retries=_retries(str(given.get("retries", ""))),
    )


def _interval(given: dict[str, FlagValue], name: str) -> int:
    text = str(given.get(name, ""))
    if not text:
        return 0
    try:
        nanoseconds = parse_duration(text)
    except DurationError as error:
        raise Problem(str(error)) from None
    if nanoseconds != 0 and nanoseconds < _MINIMUM_INTERVAL:
        raise Problem(f"Interval {go_quote(name)} cannot be less than 1ms", f"--{name}")
    return nanoseconds


def _retries(text: str) -> int:
    if not text:
        return 0
    if not _GO_INT.fullmatch(text):
        raise Problem(f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax", "--retries")
    retries = int(text)
    if not -(1 << 31) <= retries < 1 << 31:
        raise Problem(f"strconv.ParseInt: parsing {go_quote(text)}: value out of range", "--retries")
    if retries < 0:
        raise Problem(f"--retries cannot be negative ({retries})", "--retries")
    return retries


def _strings(value: FlagValue | None) -> list[str]:
    return value if isinstance(value, list) else []


def _optional_bool(value: FlagValue | None) -> bool | None:
    return value if isinstance(value, bool) else None


_BUILDERS: dict[str, Callable[[RawInstruction], nodes.AnyInstruction]] = {
    "add": _add,
    "arg": _arg,
    "cmd": _cmd,
    "copy": _copy,
    "entrypoint": _entrypoint,
    "env": _env,
    "expose": _expose,
    "from": _from,
    "healthcheck": _healthcheck,
    "label": _label,
    "maintainer": _maintainer,
    "onbuild": _onbuild,
    "run": _run,
    "shell": _shell,
    "stopsignal": _stopsignal,
    "user": _user,
    "volume": _volume,
    "workdir": _workdir,
}
