"""Stages as a graph: which stages each needs first (its FROM, COPY --from, RUN --mount from=), and running
them as soon as those are done, several at once; the first failure cancels the rest."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from hydock.dockerfile import nodes
from hydock.dockerfile.evaluate import Evaluation
from hydock.dockerfile.stage_graph import copy_source

T = TypeVar("T")
MAX_PARALLEL_STAGES = 4


def stage_names(dockerfile: nodes.Dockerfile) -> dict[str, int]:
    return {stage.name: stage.index for stage in dockerfile.stages if stage.name}


def named_stage(dockerfile: nodes.Dockerfile, name: str) -> int | None:
    """The stage `--from=`/`from=` names (by name or index), or None when it names an image."""
    if name.isdigit() and int(name) < len(dockerfile.stages):
        return int(name)
    return stage_names(dockerfile).get(name.lower())


def dependencies(dockerfile: nodes.Dockerfile, evaluation: Evaluation) -> dict[int, set[int]]:
    """For each stage to build, the stages it reads."""
    by_name = stage_names(dockerfile)
    needs: dict[int, set[int]] = {}
    for evaluated in evaluation.stages:
        found = {evaluated.parent} if evaluated.parent is not None else set()
        for step in evaluated.steps:
            instruction = step.instruction
            if isinstance(instruction, nodes.Copy) and instruction.from_:
                index = copy_source(dockerfile, instruction, by_name)
                if index is not None:
                    found.add(index)
            elif isinstance(instruction, nodes.Run):
                for mount in instruction.mounts:
                    index = named_stage(dockerfile, mount.from_) if mount.from_ else None
                    if index is not None:
                        found.add(index)
        needs[evaluated.stage.index] = found
    return needs


def run_stages(needs: dict[int, set[int]], build: Callable[[int], T], cancelled: threading.Event) -> dict[int, T]:
    """Builds every stage once the stages it needs are built; independent ones in parallel."""
    results: dict[int, T] = {}
    pending = sorted(needs)
    running: dict[Future[T], int] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=MAX_PARALLEL_STAGES, thread_name_prefix="hydock-build") as pool:
        while pending or running:
            if failure is None:
                for index in [i for i in pending if needs[i] <= results.keys()]:
                    pending.remove(index)
                    running[pool.submit(build, index)] = index
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index = running.pop(future)
                error = future.exception()
                if error is None:
                    results[index] = future.result()
                elif failure is None:
                    failure = error
                    cancelled.set()
    if failure is not None:
        raise failure
    return results
