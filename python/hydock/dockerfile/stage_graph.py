"""Which stages a build needs: the target, the stages it is built FROM, COPY --from and RUN --mount from=."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hydock.dockerfile import nodes
from hydock.dockerfile.problem import go_quote
from hydock.dockerfile.shell_words import Lexer
from hydock.dockerfile.suggest import did_you_mean
from hydock.errors import DockerfileError

# strconv.Atoi's syntax: COPY --from=1 names the second stage.
_STAGE_INDEX = re.compile(r"[+-]?[0-9]+")


def target_index(dockerfile: nodes.Dockerfile, target: str) -> int:
    """The stage `--target` names (the last one when empty); names compare case-insensitively."""
    if not target:
        return len(dockerfile.stages) - 1
    for stage in dockerfile.stages:
        if stage.name and stage.name == target.lower():
            return stage.index
    names = [stage.name for stage in dockerfile.stages if stage.name]
    message = did_you_mean(f"target stage {go_quote(target)} could not be found", target, names)
    raise DockerfileError(message, file=dockerfile.filename)


def parent_stages(dockerfile: nodes.Dockerfile, bases: Sequence[str]) -> list[int | None]:
    """For each stage, the earlier stage its (expanded) base name is, or None for an image."""
    parents: list[int | None] = []
    named: dict[str, int] = {}
    for stage, base in zip(dockerfile.stages, bases, strict=True):
        parents.append(named.get(base))
        if stage.name:
            named[stage.name] = stage.index
    return parents


def required_stages(dockerfile: nodes.Dockerfile, parents: Sequence[int | None], target: int) -> list[int]:
    """The indexes of the stages building `target` needs, in file order; cycles are errors."""
    edges = [_dependencies(dockerfile, stage, parents[stage.index]) for stage in dockerfile.stages]
    needed: set[int] = set()
    _visit(dockerfile, edges, target, needed, [])
    return sorted(needed)


def _visit(
    dockerfile: nodes.Dockerfile,
    edges: list[list[tuple[int, nodes.AnyInstruction | None]]],
    index: int,
    needed: set[int],
    path: list[int],
) -> None:
    if index in path:
        stage = dockerfile.stages[path[-1]]
        instruction = next(ins for dep, ins in edges[path[-1]] if dep == index) or stage.header
        name = dockerfile.stages[index].name or f"stage-{index}"
        raise DockerfileError(
            f"circular dependency detected on stage: {name}",
            file=dockerfile.filename,
            line=instruction.line,
            end_line=instruction.end_line,
        )
    if index in needed:
        return
    needed.add(index)
    for dependency, _ in edges[index]:
        _visit(dockerfile, edges, dependency, needed, [*path, index])


def _dependencies(
    dockerfile: nodes.Dockerfile, stage: nodes.Stage, parent: int | None
) -> list[tuple[int, nodes.AnyInstruction | None]]:
    deps: list[tuple[int, nodes.AnyInstruction | None]] = [] if parent is None else [(parent, None)]
    by_name = {s.name: s.index for s in dockerfile.stages if s.name}
    for instruction in stage.instructions:
        if isinstance(instruction, nodes.Copy) and instruction.from_:
            source = copy_source(dockerfile, instruction, by_name)
            if source is not None:
                deps.append((source, instruction))
        elif isinstance(instruction, nodes.Run):
            for mount in instruction.mounts:
                index = by_name.get(mount.from_.lower()) if mount.from_ else None
                if index is not None:
                    deps.append((index, instruction))
    return deps


def copy_source(dockerfile: nodes.Dockerfile, copy: nodes.Copy, by_name: dict[str, int]) -> int | None:
    """The stage COPY --from names (by name or index), or None when it names an image."""
    if Lexer(dockerfile.escape).expand(copy.from_, {}).result != copy.from_:
        raise _error(
            dockerfile,
            copy,
            "variable expansion is not supported for --from, "
            "define a new stage with FROM using ARG from global scope as a workaround",
        )
    if _STAGE_INDEX.fullmatch(copy.from_):
        index = int(copy.from_)
        if not 0 <= index < len(dockerfile.stages):
            raise _error(dockerfile, copy, f"invalid stage index {index}")
        return index
    return by_name.get(copy.from_.lower())


def _error(dockerfile: nodes.Dockerfile, instruction: nodes.AnyInstruction, message: str) -> DockerfileError:
    return DockerfileError(message, file=dockerfile.filename, line=instruction.line, end_line=instruction.end_line)
