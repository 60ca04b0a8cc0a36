"""`parse`: Dockerfile text to its syntax tree (stages, the ARGs before them), or a DockerfileError. No I/O."""

from __future__ import annotations

from hydock.dockerfile import nodes
from hydock.dockerfile.instructions import build_instruction
from hydock.dockerfile.problem import Problem, go_quote, located
from hydock.dockerfile.source_lines import RawInstruction, ScannedFile, scan


def parse(text: str, filename: str = "Dockerfile") -> nodes.Dockerfile:
    """The file's stages, each a FROM and its instructions; errors carry the file name and line."""
    scanned = scan(text, filename)
    meta_args: list[nodes.Arg] = []
    stages: list[tuple[nodes.From, list[nodes.AnyInstruction]]] = []
    seen_names: set[str] = set()
    for raw in scanned.instructions:
        instruction = _build(raw, scanned, filename)
        if isinstance(instruction, nodes.From):
            if instruction.stage_name and instruction.stage_name in seen_names:
                message = f"Duplicate stage name {go_quote(instruction.stage_name)}, stage names should be unique"
                raise located(Problem(message, raw.arguments.values[2]), scanned.lines, raw.start, raw.end, filename)
            seen_names.add(instruction.stage_name)
            stages.append((instruction, []))
        elif stages:
            stages[-1][1].append(instruction)
        elif isinstance(instruction, nodes.Arg):
            meta_args.append(instruction)
        else:
            problem = Problem("no build stage in current context", raw.keyword)
            raise located(problem, scanned.lines, raw.start, raw.end, filename)
    if not stages:
        raise located(Problem("dockerfile contains no stages to build"), scanned.lines, 1, 1, filename)
    return nodes.Dockerfile(
        filename=filename,
        directives=_directives(scanned),
        meta_args=tuple(meta_args),
        stages=tuple(
            nodes.Stage(index=index, header=header, instructions=tuple(body))
            for index, (header, body) in enumerate(stages)
        ),
    )


def _build(raw: RawInstruction, scanned: ScannedFile, filename: str) -> nodes.AnyInstruction:
    try:
        return build_instruction(raw)
    except Problem as problem:
        raise located(problem, scanned.lines, raw.start, raw.end, filename) from None


def _directives(scanned: ScannedFile) -> nodes.Directives:
    syntax, _ = scanned.directives.get("syntax", ("", 0))
    check, check_line = scanned.directives.get("check", ("", 0))
    return nodes.Directives(syntax=syntax, escape=scanned.escape, check=check, check_line=check_line)
