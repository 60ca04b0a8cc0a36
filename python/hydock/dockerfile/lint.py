"""`lint`: BuildKit's Dockerfile checks, honouring `# check=skip=...;error=true` and BUILDKIT_DOCKERFILE_CHECK."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from hydock.dockerfile import nodes
from hydock.dockerfile.directives import CheckOptions, DirectiveScanner, parse_check_options
from hydock.dockerfile.evaluate import ImageEnv, evaluate
from hydock.dockerfile.problem import Problem
from hydock.dockerfile.rules import Finding
from hydock.errors import DockerfileError

CHECK_BUILD_ARG = "BUILDKIT_DOCKERFILE_CHECK"
RESERVED_STAGE_NAMES = frozenset({"context", "scratch"})


class LintResult(msgspec.Struct, frozen=True):
    findings: tuple[Finding, ...]
    """The warnings the check options let through, in line order."""
    options: CheckOptions

    def violation(self) -> str:
        """The error `# check=error=true` turns the warnings into; "" when there is none."""
        if not self.options.error or not self.findings:
            return ""
        rules = sorted({finding.rule for finding in self.findings})
        return f"lint violation found for rules: {', '.join(rules)}"


def lint(
    dockerfile: nodes.Dockerfile,
    build_args: Mapping[str, str] | None = None,
    *,
    target: str = "",
    build_platform: str = "linux/amd64",
    target_platform: str = "",
    image_env: ImageEnv | None = None,
) -> LintResult:
    """The file's warnings: the syntax checks, then those evaluation notices for the stages `target` needs."""
    args = dict(build_args or {})
    options = _options(dockerfile, args)
    found = syntax_findings(dockerfile)
    found += evaluate(
        dockerfile,
        args,
        target=target,
        build_platform=build_platform,
        target_platform=target_platform,
        image_env=image_env,
    ).findings
    comments = {
        line: instruction.comments
        for instruction in dockerfile.instructions()
        for line in range(instruction.line, instruction.end_line + 1)
    }
    kept = [f for f in dict.fromkeys(found) if _enabled(f.rule, options, comments.get(f.line, ()))]
    return LintResult(tuple(sorted(kept, key=lambda f: (f.line, f.rule))), options)


def _options(dockerfile: nodes.Dockerfile, args: Mapping[str, str]) -> CheckOptions:
    if CHECK_BUILD_ARG in args:
        text, where, line = args[CHECK_BUILD_ARG], CHECK_BUILD_ARG, 0
    else:
        text, where, line = (
            dockerfile.directives.check.partition(" ")[0],
            "check options",
            dockerfile.directives.check_line,
        )
    try:
        return parse_check_options(text)
    except Problem as problem:
        raise DockerfileError(
            f"failed to parse {where}: {problem.message}", file=dockerfile.filename, line=line
        ) from None


def _enabled(rule: str, options: CheckOptions, comments: tuple[str, ...]) -> bool:
    options = options.merged(_comment_options(comments))
    return not options.skip_all and rule not in options.skip


def _comment_options(comments: tuple[str, ...]) -> CheckOptions:
    """A `# check=skip=Rule` comment right above an instruction applies to that instruction only."""
    for comment in comments:
        try:
            directive = DirectiveScanner().scan(comment, prefix="")
            if directive is not None and directive[0] == "check":
                return parse_check_options(directive[1].partition(" ")[0])
        except Problem:
            return CheckOptions()
    return CheckOptions()


def syntax_findings(dockerfile: nodes.Dockerfile) -> list[Finding]:
    """Checks that need only the syntax tree: casing, reserved names, MAINTAINER, empty continuations."""
    found: list[Finding] = []
    for instruction in dockerfile.instructions():
        if instruction.empty_continuation:
            found.append(_at(instruction, "NoEmptyContinuation", "Empty continuation line", instruction.end_line))
        if isinstance(instruction, nodes.Maintainer):
            found.append(
                _at(instruction, "MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label")
            )
    for stage in dockerfile.stages:
        found += _stage_name_findings(stage.header)
    found += _casing_findings(dockerfile)
    return found


def _stage_name_findings(header: nodes.From) -> list[Finding]:
    if not header.stage_name:
        return []
    found = []
    written = header.source.split()[-1]
    if written != written.lower():
        found.append(_at(header, "StageNameCasing", f"Stage name '{written}' should be lowercase"))
    keyword, as_keyword = header.keyword, header.as_keyword
    # A FROM of mixed case is ConsistentInstructionCasing's business, not this check's.
    if (keyword == keyword.lower() and as_keyword != as_keyword.lower()) or (
        keyword == keyword.upper() and as_keyword != as_keyword.upper()
    ):
        found.append(_at(header, "FromAsCasing", f"'{as_keyword}' and '{keyword}' keywords' casing do not match"))
    if header.stage_name in RESERVED_STAGE_NAMES:
        message = f'Stage name should not use the same name as reserved stage "{header.stage_name}"'
        found.append(_at(header, "ReservedStageName", message))
    return found


def _casing_findings(dockerfile: nodes.Dockerfile) -> list[Finding]:
    """Instructions whose keyword is not in the casing most of the file's instructions use."""
    staged = [ins for stage in dockerfile.stages for ins in (stage.header, *stage.instructions)]
    lower = sum(1 for ins in staged if ins.keyword == ins.keyword.lower())
    upper = sum(1 for ins in staged if ins.keyword == ins.keyword.upper())
    majority_lower = lower > upper
    found = []
    for ins in staged:
        wanted = ins.keyword.lower() if majority_lower else ins.keyword.upper()
        if ins.keyword != wanted:
            casing = "lowercase" if majority_lower else "uppercase"
            message = f"Command '{ins.keyword}' should match the case of the command majority ({casing})"
            found.append(_at(ins, "ConsistentInstructionCasing", message))
    return found


def _at(instruction: nodes.AnyInstruction, rule: str, message: str, line: int = 0) -> Finding:
    return Finding(rule, message, line or instruction.line, instruction.end_line)
