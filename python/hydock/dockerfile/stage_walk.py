"""One stage walked instruction by instruction: words expanded against the ARG and ENV values in scope,
the scope updated as ARG and ENV go by, and the dispatch-time checks (UndefinedVar and friends) noted."""

from __future__ import annotations

import re

import msgspec

from hydock.dockerfile import nodes
from hydock.dockerfile.ports import exposed_ports
from hydock.dockerfile.problem import Problem
from hydock.dockerfile.rules import Finding
from hydock.dockerfile.run_mounts import parse_mount
from hydock.dockerfile.shell_words import Lexer
from hydock.dockerfile.suggest import closest
from hydock.errors import DockerfileError

# BuildKit's SBOM scanner arguments never become environment variables.
NON_ENV_ARGS = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})
_SECRET = re.compile(
    r"(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)", re.I
)
_NOT_SECRET = re.compile(r"(?:_|^)(?:public|file|version)(?:_|$)", re.I)
_SIGNALS = (
    frozenset(
        "ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT STOP SYS TERM TRAP "
        "TSTP TTIN TTOU URG USR1 USR2 VTALRM WINCH XCPU XFSZ RTMIN RTMAX".split()
    )
    | {f"RTMIN+{n}" for n in range(1, 16)}
    | {f"RTMAX-{n}" for n in range(1, 15)}
)
# Raw here-document bodies: escapes processed, quotes left alone.
_BODY_LEXER = Lexer(skip_quotes=True)


class Step(msgspec.Struct, frozen=True):
    """An instruction as the build runs it: its words expanded, with the variables in scope when it runs."""

    instruction: nodes.AnyInstruction
    env: tuple[str, ...]
    """`KEY=value` visible to the instruction: the base image's ENV, then ENV and ARG values in order."""
    args: tuple[str, ...]
    """`KEY=value` of the ARGs in scope that have a value (RUN gets them; history records them)."""


class StageScope:
    """The variables and settings a stage carries forward (into the stages built FROM it, too)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.args: dict[str, str | None] = {}
        self.workdir_set = False
        self.shell_set = False

    def copy(self) -> StageScope:
        scope = StageScope(dict(self.env))
        scope.args = dict(self.args)
        scope.workdir_set, scope.shell_set = self.workdir_set, self.shell_set
        return scope


class StageWalk:
    def __init__(
        self, filename: str, escape: str, scope: StageScope, build_args: dict[str, str], global_env: dict[str, str]
    ) -> None:
        self.filename = filename
        self.lexer = Lexer(escape)
        self.scope = scope
        self.build_args = build_args
        self.global_env = global_env
        self.findings: list[Finding] = []
        self.last_of_kind: dict[str, nodes.AnyInstruction] = {}
        self.instruction: nodes.AnyInstruction | None = None

    def walk(self, stage: nodes.Stage) -> list[Step]:
        steps = []
        for instruction in stage.instructions:
            self.instruction = instruction
            env = tuple(f"{key}={value}" for key, value in self.scope.env.items())
            args = tuple(f"{key}={value}" for key, value in self.scope.args.items() if value is not None)
            steps.append(Step(_dispatch(self, instruction), env, args))
        return steps

    def error(self, message: str) -> DockerfileError:
        assert self.instruction is not None
        at = self.instruction
        return DockerfileError(message, file=self.filename, line=at.line, end_line=at.end_line)

    def note(self, rule: str, message: str, at: nodes.AnyInstruction | None = None) -> None:
        at = at or self.instruction
        assert at is not None
        self.findings.append(Finding(rule, message, at.line, at.end_line))

    def expand(self, word: str, lexer: Lexer | None = None) -> str:
        try:
            result = (lexer or self.lexer).expand(word, self.scope.env)
        except Problem as problem:
            raise self.error(problem.message) from None
        for name in sorted(result.unmatched - self.scope.args.keys() - NON_ENV_ARGS):
            suggestion = closest(name, self.scope.env)
            message = f"Usage of undefined variable '${name}'" + (
                f" (did you mean ${suggestion}?)" if suggestion else ""
            )
            self.note("UndefinedVar", message)
        return result.result

    def expand_all(self, words: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.expand(word) for word in words)

    def check_secret(self, instruction: str, key: str) -> None:
        if _SECRET.search(key) and not _NOT_SECRET.search(key):
            self.note(
                "SecretsUsedInArgOrEnv",
                f'Do not use ARG or ENV instructions for sensitive data ({instruction} "{key}")',
            )

    def used_once(self, instruction: nodes.AnyInstruction) -> None:
        previous = self.last_of_kind.get(instruction.name)
        if previous is not None:
            # The earlier one is reported: it is the one the build ignores.
            message = (
                f"Multiple {instruction.keyword} instructions should not be used in the same stage "
                "because only the last one will be used"
            )
            self.note("MultipleInstructionsDisallowed", message, previous)
        self.last_of_kind[instruction.name] = instruction


def _pairs(walk: StageWalk, instruction: nodes.Env | nodes.Label) -> tuple[nodes.KeyValue, ...]:
    pairs = tuple(nodes.KeyValue(walk.expand(p.key), walk.expand(p.value), p.legacy) for p in instruction.pairs)
    keyword = instruction.keyword
    for pair in pairs:
        if pair.legacy:
            message = f'"{keyword} key=value" should be used instead of legacy "{keyword} key value" format'
            walk.note("LegacyKeyValueFormat", message)
    return pairs


def _env(walk: StageWalk, env: nodes.Env) -> nodes.Env:
    pairs = _pairs(walk, env)
    for pair in pairs:
        walk.check_secret("ENV", pair.key)
        walk.scope.env[pair.key] = pair.value
    return msgspec.structs.replace(env, pairs=pairs)


def _arg(walk: StageWalk, arg: nodes.Arg) -> nodes.Arg:
    resolved = []
    for definition in arg.args:
        key = definition.key
        walk.check_secret("ARG", key)
        value: str | None
        if key in walk.build_args:
            value = walk.build_args[key]
        elif definition.default is not None:
            value = walk.expand(definition.default)
        else:
            # A bare `ARG NAME` in a stage takes the value of the global ARG of that name.
            value = walk.global_env.get(key)
        if value is not None and key not in NON_ENV_ARGS:
            walk.scope.env[key] = value
        walk.scope.args[key] = value
        resolved.append(nodes.ArgDefinition(key, value))
    return msgspec.structs.replace(arg, args=tuple(resolved))


def _label(walk: StageWalk, label: nodes.Label) -> nodes.Label:
    return msgspec.structs.replace(label, pairs=_pairs(walk, label))


def _inline_sources(walk: StageWalk, sources: tuple[nodes.InlineSource, ...]) -> tuple[nodes.InlineSource, ...]:
    return tuple(
        msgspec.structs.replace(source, data=walk.expand(source.data, _BODY_LEXER)) if source.expand else source
        for source in sources
    )


def _copy(walk: StageWalk, copy: nodes.Copy) -> nodes.Copy:
    return msgspec.structs.replace(
        copy,
        chown=walk.expand(copy.chown),
        chmod=walk.expand(copy.chmod),
        sources=walk.expand_all(copy.sources),
        dest=walk.expand(copy.dest),
        inline_sources=_inline_sources(walk, copy.inline_sources),
    )


def _add(walk: StageWalk, add: nodes.Add) -> nodes.Add:
    return msgspec.structs.replace(
        add,
        chown=walk.expand(add.chown),
        chmod=walk.expand(add.chmod),
        checksum=walk.expand(add.checksum),
        sources=walk.expand_all(add.sources),
        dest=walk.expand(add.dest),
        inline_sources=_inline_sources(walk, add.inline_sources),
    )


def _run(walk: StageWalk, run: nodes.Run) -> nodes.Run:
    try:
        mounts = tuple(parse_mount(mount.spec, walk.expand) for mount in run.mounts)
    except Problem as problem:
        raise walk.error(problem.message) from None
    return msgspec.structs.replace(run, mounts=mounts)


def _command(walk: StageWalk, instruction: nodes.Cmd | nodes.Entrypoint) -> nodes.Cmd | nodes.Entrypoint:
    walk.used_once(instruction)
    if not instruction.command.exec_form and not walk.scope.shell_set:
        message = (
            f"JSON arguments recommended for {instruction.keyword} to prevent unintended behavior related to OS signals"
        )
        walk.note("JSONArgsRecommended", message)
    return instruction


def _healthcheck(walk: StageWalk, healthcheck: nodes.Healthcheck) -> nodes.Healthcheck:
    walk.used_once(healthcheck)
    return healthcheck


def _workdir(walk: StageWalk, workdir: nodes.Workdir) -> nodes.Workdir:
    path = walk.expand(workdir.path)
    if not walk.scope.workdir_set and not path.startswith("/"):
        walk.note(
            "WorkdirRelativePath", f'Relative workdir "{path}" can have unexpected results if the base image changes'
        )
    walk.scope.workdir_set = True
    return msgspec.structs.replace(workdir, path=path)


def _user(walk: StageWalk, user: nodes.User) -> nodes.User:
    return msgspec.structs.replace(user, user=walk.expand(user.user))


def _volume(walk: StageWalk, volume: nodes.Volume) -> nodes.Volume:
    paths = walk.expand_all(volume.paths)
    if not all(paths):
        raise walk.error("VOLUME specified can not be an empty string")
    return msgspec.structs.replace(volume, paths=paths)


def _stopsignal(walk: StageWalk, stop: nodes.StopSignal) -> nodes.StopSignal:
    signal = walk.expand(stop.signal)
    number = int(signal) if re.fullmatch(r"[+-]?[0-9]+", signal) else None
    if number == 0 or (number is None and signal.upper().removeprefix("SIG") not in _SIGNALS):
        raise walk.error(f"invalid signal: {signal}")
    return msgspec.structs.replace(stop, signal=signal)


def _expose(walk: StageWalk, expose: nodes.Expose) -> nodes.Expose:
    ports: list[str] = []
    for written in expose.ports:
        try:
            for spec in walk.lexer.expand(written, walk.scope.env).words:
                exposed, notes = exposed_ports(spec)
                ports.extend(exposed)
                for rule, message in notes:
                    walk.note(rule, message)
        except Problem as problem:
            raise walk.error(problem.message) from None
    return msgspec.structs.replace(expose, ports=tuple(ports))


def _shell(walk: StageWalk, shell: nodes.Shell) -> nodes.Shell:
    walk.scope.shell_set = True
    return shell


def _dispatch(walk: StageWalk, instruction: nodes.AnyInstruction) -> nodes.AnyInstruction:
    """The instruction with the words Docker expands for it expanded (RUN, CMD, ENTRYPOINT, SHELL,
    HEALTHCHECK, MAINTAINER and ONBUILD keep theirs: a shell or a later build reads them)."""
    match instruction:
        case nodes.Env():
            return _env(walk, instruction)
        case nodes.Arg():
            return _arg(walk, instruction)
        case nodes.Label():
            return _label(walk, instruction)
        case nodes.Copy():
            return _copy(walk, instruction)
        case nodes.Add():
            return _add(walk, instruction)
        case nodes.Run():
            return _run(walk, instruction)
        case nodes.Cmd() | nodes.Entrypoint():
            return _command(walk, instruction)
        case nodes.Healthcheck():
            return _healthcheck(walk, instruction)
        case nodes.Workdir():
            return _workdir(walk, instruction)
        case nodes.User():
            return _user(walk, instruction)
        case nodes.Volume():
            return _volume(walk, instruction)
        case nodes.StopSignal():
            return _stopsignal(walk, instruction)
        case nodes.Expose():
            return _expose(walk, instruction)
        case nodes.Shell():
            return _shell(walk, instruction)
    return instruction
