"""`evaluate`: what a build of a parsed Dockerfile runs, with --build-arg values applied and words expanded.

Scoping follows BuildKit: ARGs before the first FROM are global (FROM lines see them; a stage sees one
only once it redeclares it); inside a stage ARG and ENV values apply from their line on, a later one
overriding an earlier one of the same name; a stage built FROM another inherits its variables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec

from hydock.dockerfile import nodes
from hydock.dockerfile.problem import Problem
from hydock.dockerfile.rules import Finding
from hydock.dockerfile.shell_words import Expansion, Lexer
from hydock.dockerfile.stage_graph import parent_stages, required_stages, target_index
from hydock.dockerfile.stage_walk import StageScope, StageWalk, Step
from hydock.dockerfile.suggest import closest
from hydock.errors import DockerfileError, InvalidReference

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SCRATCH = "scratch"

ImageEnv = Callable[[str, str], Mapping[str, str]]
"""The environment of a base image, given its (expanded) name and platform."""


class EvaluatedStage(msgspec.Struct, frozen=True, kw_only=True):
    stage: nodes.Stage
    header: nodes.From
    """The FROM line with its base image and platform expanded."""
    parent: int | None
    """The index of the stage this one is built FROM, None when built from an image."""
    steps: tuple[Step, ...]


class Evaluation(msgspec.Struct, frozen=True, kw_only=True):
    stages: tuple[EvaluatedStage, ...]
    """The stages the target needs, in file order; the target is the last."""
    findings: tuple[Finding, ...]
    """What the dispatch-time checks noticed (unfiltered: `lint` applies the check options)."""


def platform_args(build_platform: str, target_platform: str, target_stage: str) -> dict[str, str]:
    """The automatic global ARGs BuildKit defines (BUILDPLATFORM, TARGETARCH, TARGETSTAGE...)."""
    args: dict[str, str] = {}
    for prefix, platform in (("BUILD", build_platform), ("TARGET", target_platform)):
        os_name, _, rest = platform.partition("/")
        arch, _, variant = rest.partition("/")
        args |= {f"{prefix}PLATFORM": platform, f"{prefix}OS": os_name, f"{prefix}OSVERSION": ""}
        args |= {f"{prefix}ARCH": arch, f"{prefix}VARIANT": variant}
    args["TARGETSTAGE"] = target_stage or "default"
    return args


def evaluate(
    dockerfile: nodes.Dockerfile,
    build_args: Mapping[str, str] | None = None,
    *,
    target: str = "",
    build_platform: str = "linux/amd64",
    target_platform: str = "",
    image_env: ImageEnv | None = None,
) -> Evaluation:
    """Every instruction of the stages `target` needs, expanded as Docker expands it.

    `image_env` supplies a base image's environment; without it an image is assumed to set only PATH.
    """
    args = dict(build_args or {})
    index = target_index(dockerfile, target)
    automatic = platform_args(build_platform, target_platform or build_platform, target or dockerfile.stages[-1].name)
    automatic |= {key: args[key] for key in automatic if key in args}
    global_env, declared = _meta_args(dockerfile, dict(automatic), args)
    findings = _invalid_default_bases(dockerfile, dict(automatic))
    headers = [_expand_header(dockerfile, stage.header, global_env, declared, findings) for stage in dockerfile.stages]
    parents = parent_stages(dockerfile, [header.base for header in headers])
    scopes: dict[int, StageScope] = {}
    evaluated = []
    for i in required_stages(dockerfile, parents, index):
        parent = parents[i]
        scope = scopes[parent].copy() if parent is not None else StageScope(_image_env(headers[i], image_env))
        walk = StageWalk(dockerfile.filename, dockerfile.escape, scope, args, global_env)
        steps = walk.walk(dockerfile.stages[i])
        findings.extend(walk.findings)
        scopes[i] = scope
        evaluated.append(
            EvaluatedStage(stage=dockerfile.stages[i], header=headers[i], parent=parent, steps=tuple(steps))
        )
    unique = dict.fromkeys(findings)
    return Evaluation(stages=tuple(evaluated), findings=tuple(sorted(unique, key=lambda f: (f.line, f.rule))))


def _image_env(header: nodes.From, image_env: ImageEnv | None) -> dict[str, str]:
    if header.base == SCRATCH:
        return {}
    if image_env is None:
        return {"PATH": DEFAULT_PATH}
    return dict(image_env(header.base, header.platform))


def _meta_args(
    dockerfile: nodes.Dockerfile, env: dict[str, str], build_args: Mapping[str, str]
) -> tuple[dict[str, str], set[str]]:
    """The global scope after the ARGs before the first FROM, and every name they declare."""
    lexer = Lexer(dockerfile.escape)
    declared: set[str] = set()
    for arg in dockerfile.meta_args:
        for definition in arg.args:
            declared.add(definition.key)
            value = build_args.get(definition.key)
            if value is None and definition.default is not None:
                value = _expand(dockerfile, lexer, definition.default, env, arg).result
            if value is not None:
                env[definition.key] = value
    return env, declared


def _expand(
    dockerfile: nodes.Dockerfile, lexer: Lexer, word: str, env: Mapping[str, str], at: nodes.AnyInstruction
) -> Expansion:
    try:
        return lexer.expand(word, env)
    except Problem as problem:
        raise DockerfileError(problem.message, file=dockerfile.filename, line=at.line, end_line=at.end_line) from None


def _expand_header(
    dockerfile: nodes.Dockerfile, header: nodes.From, env: dict[str, str], declared: set[str], findings: list[Finding]
) -> nodes.From:
    """FROM with the global ARGs applied to its base name and --platform."""
    lexer = Lexer(dockerfile.escape)
    known = declared | env.keys()
    base = _expand(dockerfile, lexer, header.base, env, header)
    _undeclared_in_from(base, known, header, findings)
    if not base.result:
        raise _error(dockerfile, header, f"base name ({header.base}) should not be blank")
    platform = header.platform
    if platform:
        expanded = _expand(dockerfile, lexer, platform, env, header)
        _undeclared_in_from(expanded, known, header, findings)
        _platform_checks(header, expanded, env, findings)
        if not expanded.result:
            raise _error(dockerfile, header, f"empty platform value from expression {platform}")
        platform = expanded.result
    return msgspec.structs.replace(header, base=base.result, platform=platform)


def _undeclared_in_from(expansion: Expansion, known: set[str], header: nodes.From, findings: list[Finding]) -> None:
    for name in sorted(expansion.unmatched - known):
        suggestion = closest(name, sorted(known))
        message = f"FROM argument '{name}' is not declared" + (f" (did you mean {suggestion}?)" if suggestion else "")
        findings.append(Finding("UndefinedArgInFrom", message, header.line, header.end_line))


def _platform_checks(header: nodes.From, expansion: Expansion, env: Mapping[str, str], findings: list[Finding]) -> None:
    if expansion.matched == {"TARGETPLATFORM"} and not expansion.unmatched:
        if expansion.result == env.get("TARGETPLATFORM"):
            message = (
                f"Setting platform to predefined {header.platform} in FROM is redundant as this is the default behavior"
            )
            findings.append(Finding("RedundantTargetPlatform", message, header.line, header.end_line))
    if not expansion.matched and not expansion.unmatched:
        os_name, _, rest = expansion.result.partition("/")
        arch = rest.partition("/")[0]
        if os_name and arch and os_name not in header.stage_name and arch not in header.stage_name:
            message = f'FROM --platform flag should not use constant value "{expansion.result}"'
            findings.append(Finding("FromPlatformFlagConstDisallowed", message, header.line, header.end_line))


def _invalid_default_bases(dockerfile: nodes.Dockerfile, automatic: dict[str, str]) -> list[Finding]:
    """Base names that the ARG defaults alone (no --build-arg) leave empty or invalid."""
    headers = [stage.header for stage in dockerfile.stages if "$" in stage.header.base]
    if not headers:
        return []
    # The store package is heavy to import; only variable base names need the reference grammar.
    from hydock.store.reference import parse_reference

    try:
        env, _ = _meta_args(dockerfile, automatic, {})
        lexer = Lexer(dockerfile.escape)
        names = [(header, lexer.expand(header.base, env).result) for header in headers]
    except (DockerfileError, Problem):
        return []
    findings = []
    for header, name in names:
        try:
            parse_reference(name)
        except InvalidReference:
            message = f"Default value for ARG {header.base} results in empty or invalid base image name"
            findings.append(Finding("InvalidDefaultArgInFrom", message, header.line, header.end_line))
    return findings


def _error(dockerfile: nodes.Dockerfile, at: nodes.AnyInstruction, message: str) -> DockerfileError:
    return DockerfileError(message, file=dockerfile.filename, line=at.line, end_line=at.end_line)
