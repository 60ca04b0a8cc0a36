"""One stage, step by step: each step's key from its parent's, the cached result when there is one, else the
step run (config changes, RUN, COPY/ADD, WORKDIR) and its result recorded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import msgspec

from hydock.dockerfile import nodes
from hydock.dockerfile.builder.cache import StepInput, step_key
from hydock.dockerfile.builder.config_steps import StageFlags, apply_metadata, nop_change, workdir_path
from hydock.dockerfile.builder.copy_files import ROOT, Owner, Placement, RootWriter
from hydock.dockerfile.builder.copy_step import CopyPlan, destination, parse_chmod, plan_copy, run_copy
from hydock.dockerfile.builder.fetch import is_git, is_url
from hydock.dockerfile.builder.progress import StageProgress
from hydock.dockerfile.builder.rootfs import MountedRoot
from hydock.dockerfile.builder.run_step import execute_run, run_command, run_history
from hydock.dockerfile.builder.run_step_mounts import mount_inputs
from hydock.dockerfile.builder.sources import SourceTree
from hydock.dockerfile.builder.state import BuildState
from hydock.dockerfile.builder.step_context import StepContext
from hydock.dockerfile.evaluate import EvaluatedStage
from hydock.dockerfile.stage_walk import Step
from hydock.engine.commit import CommittedLayer
from hydock.errors import BuildError, ContainerStartError
from hydock.runtime.users import resolve_user
from hydock.store.records import History, ImageConfig


class StageResult(NamedTuple):
    state: BuildState
    key: str


class StageBuild:
    def __init__(
        self, ctx: StepContext, progress: StageProgress, *, no_cache: bool, created: Callable[[], str]
    ) -> None:
        self.ctx = ctx
        self.progress = progress
        self.no_cache = no_cache
        self.created = created
        self.flags = StageFlags()

    def run(self, stage: EvaluatedStage, base: StageResult, first_number: int, triggers: int) -> StageResult:
        """Builds the stage's steps on `base`; FROM is step `first_number`, its triggers (the first `triggers`
        steps) are part of it."""
        state, key = base
        self.progress.step(first_number, stage.stage.header.source.strip())
        if triggers:
            self.progress.triggers(triggers)
        for position, step in enumerate(stage.steps):
            if position == triggers:
                self._done(state)
            if self.ctx.cancelled.is_set():
                raise BuildError("the build was cancelled")
            if position >= triggers:
                self.progress.step(first_number + 1 + position - triggers, step.instruction.source)
            try:
                state, key = self._step(step, state, key)
            except BaseException:
                self.progress.step_done(failed=True)
                raise
            if position >= triggers:
                self._done(state)
        if len(stage.steps) == triggers:
            self._done(state)
        return StageResult(state, key)

    def _done(self, state: BuildState) -> None:
        self.progress.result(state.image_id)
        self.progress.step_done()

    def _step(self, step: Step, state: BuildState, parent: str) -> StageResult:
        instruction = step.instruction
        if isinstance(instruction, nodes.Cmd):
            self.flags.cmd_set = True
        if isinstance(instruction, (nodes.Copy, nodes.Add)):
            return self._copy(instruction, state, parent)
        if isinstance(instruction, nodes.Run):
            key = step_key(parent, StepInput(instruction, step.env, tuple(mount_inputs(instruction, self.ctx))))
            return self._cached(key) or self._finish(key, state, *self._run(step, state))
        key = step_key(parent, StepInput(instruction))
        cached = self._cached(key)
        if cached is not None:
            return cached
        config = state.editable_config()
        if isinstance(instruction, nodes.Workdir):
            config.config.working_dir = workdir_path(state.config, instruction.path)
            comment = nop_change(config, "WORKDIR " + config.config.working_dir)
            with MountedRoot(self.ctx.store, state) as root:
                RootWriter(root.path).make_dirs(config.config.working_dir, ROOT)
                layer = root.commit(self.ctx.epoch)
            return self._finish(key, state, config, comment, layer)
        comment = apply_metadata(instruction, config, self.flags)
        return self._finish(key, state, config, comment, None)

    def _cached(self, key: str) -> StageResult | None:
        if self.no_cache:
            return None
        state = self.ctx.cache.get(key)
        if state is None:
            return None
        self.progress.cached()
        return StageResult(state, key)

    def _finish(
        self, key: str, state: BuildState, config: ImageConfig, comment: str, layer: CommittedLayer | None
    ) -> StageResult:
        history = History(created=self.created(), created_by=comment)
        added = (layer.layer.diff_id, layer.descriptor) if layer is not None else None
        result = state.with_step(config, history, added)
        self.ctx.cache.put(key, result)
        return StageResult(result, key)

    def _run(self, step: Step, state: BuildState) -> tuple[ImageConfig, str, CommittedLayer | None]:
        assert isinstance(step.instruction, nodes.Run)
        config = state.editable_config()
        comment = run_history(config, run_command(config, step.instruction), step)
        containers: list[str] = []

        def running_in(container: str) -> None:
            containers.append(container)
            self.progress.running_in(container)

        try:
            layer = execute_run(step, state, self.ctx._replace(running_in=running_in))
        finally:
            for container in containers:
                self.progress.removed(container)
        return config, comment, layer

    def _copy(self, instruction: nodes.Copy | nodes.Add, state: BuildState, parent: str) -> StageResult:
        from_name = instruction.from_ if isinstance(instruction, nodes.Copy) else ""
        if from_name:
            # A stage's (or image's) key stands for its files: no need to mount and hash them to look it up.
            source = self.ctx.from_source(from_name)
            key = step_key(parent, StepInput(instruction, inputs=(source.key,)))
            cached = self._cached(key)
            if cached is not None:
                return cached
            with MountedRoot(self.ctx.store, source.state) as view:
                tree = SourceTree(view.path, owned=True, name=f"stage {from_name}")
                plan = plan_copy(instruction, tree, self.ctx.scratch)
                return self._copy_planned(instruction, plan, state, key, owned=True)
        digest, made = self._context_digest(instruction)
        key = step_key(parent, StepInput(instruction, inputs=(digest,)))
        cached = self._cached(key)
        if cached is not None:
            return cached
        plan = made or plan_copy(instruction, self.ctx.context, self.ctx.scratch)
        return self._copy_planned(instruction, plan, state, key, owned=False)

    def _context_digest(self, instruction: nodes.Copy | nodes.Add) -> tuple[str, CopyPlan | None]:
        """The digest of what the instruction copies from the context, and the plan when one had to be made: a
        context that never changes remembers its digests (not for URLs, whose content may change)."""
        remote = any(is_url(source) or is_git(source) for source in instruction.sources)
        memo = None if remote else self.ctx.context.memo
        memo_key = _memo_key(instruction)
        if memo is not None and memo_key in memo:
            return memo[memo_key], None
        plan = plan_copy(instruction, self.ctx.context, self.ctx.scratch)
        if memo is not None:
            memo[memo_key] = plan.digest
        return plan.digest, plan

    def _copy_planned(
        self, instruction: nodes.Copy | nodes.Add, plan: CopyPlan, state: BuildState, key: str, *, owned: bool
    ) -> StageResult:
        config = state.editable_config()
        comment = nop_change(config, f"{instruction.name} {plan.summary} in {instruction.dest} ")
        with MountedRoot(self.ctx.store, state) as root:
            owner = _owner(instruction.chown, root.path) if instruction.chown else None
            placement = Placement(owner or (None if owned else ROOT), parse_chmod(instruction.chmod))
            dest = destination(instruction, config.config.working_dir, owner or ROOT)
            run_copy(instruction, plan, root.path, dest, placement, self.ctx.scratch)
            layer = root.commit(self.ctx.epoch)
        return self._finish(key, state, config, comment, layer)


def _memo_key(instruction: nodes.Copy | nodes.Add) -> str:
    inline = [(source.path, source.data) for source in instruction.inline_sources]
    return msgspec.json.encode([instruction.name, instruction.sources, instruction.excludes, inline]).decode()


def _owner(chown: str, root: Path) -> Owner:
    """--chown's user[:group], names looked up in the image; a number alone is the group too (BuildKit)."""
    user, _, group = chown.partition(":")
    if user.isdigit() and (not group or group.isdigit()):
        return Owner(int(user), int(group or user))
    try:
        resolved = resolve_user(root, chown)
    except ContainerStartError as exc:
        raise BuildError(f"unable to convert uid/gid chown string to host mapping: {exc}") from None
    return Owner(resolved.uid, resolved.gid)
