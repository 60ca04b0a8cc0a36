"""`Builder.build`: a Dockerfile and its context to an image in the store. Parses and evaluates the file (base
images resolved, ONBUILD triggers spliced in), builds the stages the target needs (independent ones in
parallel, every step through the cache), writes the image, tags it and writes the outputs asked for."""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from pathlib import Path

from hydock.api_types import BuildResult, JSONMessage
from hydock.dockerfile import evaluate, nodes, parse
from hydock.dockerfile.builder.bases import BaseImages, Pull, scratch_state, splice_triggers, stage_triggers, start_key
from hydock.dockerfile.builder.cache import BuildCache
from hydock.dockerfile.builder.options import DEFAULT_DOCKERFILE, BuildOptions, source_date_epoch
from hydock.dockerfile.builder.outputs import check_outputs, write_outputs
from hydock.dockerfile.builder.progress import BuildProgress, Report, short_id
from hydock.dockerfile.builder.sources import SourceTree, resolve_in
from hydock.dockerfile.builder.stage_build import StageBuild, StageResult
from hydock.dockerfile.builder.stages import dependencies, named_stage, run_stages
from hydock.dockerfile.builder.state import BuildState
from hydock.dockerfile.builder.step_context import SourceRef, StepContext
from hydock.dockerfile.dockerignore import load_matcher
from hydock.dockerfile.evaluate import SCRATCH, EvaluatedStage, Evaluation, platform_args
from hydock.engine.containers import ContainerService
from hydock.engine.images import ImageService
from hydock.errors import BuildError, NotFound
from hydock.platforms import host_architecture
from hydock.store import Store
from hydock.store.reference import parse_reference
from hydock.timeutil import now_rfc3339

# Build args Docker takes without an ARG (proxies), and the one that sets the build's times.
ALWAYS_ALLOWED_ARGS = frozenset(
    {f"{name}_PROXY" for name in ("HTTP", "HTTPS", "FTP", "NO", "ALL")}
    | {f"{name}_proxy" for name in ("http", "https", "ftp", "no", "all")}
    | {"SOURCE_DATE_EPOCH"}
)
# RUN steps are on the default bridge unless told otherwise, as in Docker's classic builder.
DEFAULT_NETWORK = "bridge"


def _ignore(message: JSONMessage) -> None:
    pass


def epoch_rfc3339(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class Builder:
    def __init__(self, store: Store, images: ImageService, containers: ContainerService, pull: Pull) -> None:
        self.store = store
        self.images = images
        self.containers = containers
        self.pull = pull
        self.cache = BuildCache(store)

    def build(
        self,
        context: Path,
        options: BuildOptions,
        report: Report = _ignore,
        cancelled: threading.Event | None = None,
        *,
        memo: dict[str, str] | None = None,
    ) -> str:
        """Builds the image the Dockerfile in `context` describes; its ID. Progress goes to `report` as Docker's
        JSON messages; setting `cancelled` stops the build (a running RUN is killed). `memo` holds digests of
        context files taken by earlier builds, for a context that never changes (a received one)."""
        check_outputs(options.outputs)
        tags = [parse_reference(tag).with_default_tag() for tag in options.tags]
        scratch = self.store.root / "builder" / "tmp" / f"build-{secrets.token_hex(8)}"
        scratch.mkdir(parents=True)
        try:
            run = _BuildRun(self, context, options, report, cancelled or threading.Event(), scratch, memo)
            image_id, state = run.build()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        for tag in tags:
            self.images.tag(image_id, str(tag))
        write_outputs(self.images, image_id, state, options.outputs, source_date_epoch(options))
        if run.unused_args and not options.quiet:
            report(
                JSONMessage(
                    stream=f"[Warning] One or more build-args [{' '.join(run.unused_args)}] were not consumed\n"
                )
            )
        report(JSONMessage(aux={"ID": BuildResult(image_id).id}))
        if options.quiet:
            report(JSONMessage(stream=image_id + "\n"))
            return image_id
        report(JSONMessage(stream=f"Successfully built {short_id(image_id)}\n"))
        for tag in tags:
            report(JSONMessage(stream=f"Successfully tagged {tag.familiar()}\n"))
        return image_id


def _unused_args(dockerfile: nodes.Dockerfile, evaluation: Evaluation, given: dict[str, str]) -> list[str]:
    """The --build-arg names no ARG of the build declares (Docker warns of them), the always-allowed aside."""
    declared = {definition.key for arg in dockerfile.meta_args for definition in arg.args}
    for stage in evaluation.stages:
        for step in stage.steps:
            if isinstance(step.instruction, nodes.Arg):
                declared.update(definition.key for definition in step.instruction.args)
    allowed = declared | ALWAYS_ALLOWED_ARGS | platform_args("", "", "").keys()
    return sorted(name for name in given if name not in allowed)


class _BuildRun:
    """One build's state while it runs."""

    def __init__(
        self,
        builder: Builder,
        context: Path,
        options: BuildOptions,
        report: Report,
        cancelled: threading.Event,
        scratch: Path,
        memo: dict[str, str] | None,
    ) -> None:
        self.builder = builder
        self.memo = memo
        self.context = context
        self.options = options
        self.report = report
        self.cancelled = cancelled
        self.scratch = scratch
        self.epoch = source_date_epoch(options)
        self.platform = options.platform or f"linux/{host_architecture()}"
        self.bases = BaseImages(
            builder.images,
            builder.pull,
            _ignore if options.quiet else report,
            always_pull=options.pull,
            platform=options.platform,
        )
        self.results: dict[int, StageResult] = {}

    def created(self) -> str:
        return epoch_rfc3339(self.epoch) if self.epoch is not None else now_rfc3339()

    def build(self) -> tuple[str, BuildState]:
        path, name = self._dockerfile_path()
        dockerfile = parse(path.read_text(errors="replace"), name)
        self.tree = SourceTree(self.context, load_matcher(self.context, path), owned=False, memo=self.memo)
        evaluation = self._evaluate(dockerfile)
        triggers = stage_triggers(dockerfile, evaluation, self.bases)
        if triggers:
            dockerfile = splice_triggers(dockerfile, triggers)
            evaluation = self._evaluate(dockerfile)
        self.dockerfile = dockerfile
        self.unused_args = _unused_args(dockerfile, evaluation, self.options.build_args)
        self.stages = {stage.stage.index: stage for stage in evaluation.stages}
        self.triggers = {index: len(found) for index, found in triggers.items()}
        self.first_numbers: dict[int, int] = {}
        number = 1
        for stage in evaluation.stages:
            self.first_numbers[stage.stage.index] = number
            number += 1 + len(stage.steps) - self.triggers.get(stage.stage.index, 0)
        order = [stage.stage.index for stage in evaluation.stages]
        self.progress = BuildProgress(
            self.report, order, number - 1, quiet=self.options.quiet, step_events=self.options.step_events
        )
        run_stages(dependencies(dockerfile, evaluation), self._build_stage, self.cancelled)
        target = evaluation.stages[-1]
        state = self.results[target.stage.index].state
        if not target.steps and target.parent is None and target.header.base != SCRATCH and not self.options.labels:
            # FROM an image and nothing else: the image itself, as Docker answers.
            return self.bases.image_id(target.header.base, target.header.platform), state
        if self.options.labels:
            config = state.editable_config()
            config.config.labels = {**(config.config.labels or {}), **self.options.labels}
            state = BuildState(config, state.layers)
        return self._store(state), state

    def _dockerfile_path(self) -> tuple[Path, str]:
        name = self.options.dockerfile or DEFAULT_DOCKERFILE
        for candidate in [name] if self.options.dockerfile else [name, name.lower()]:
            path = self.context / resolve_in(self.context, candidate)
            if path.is_file():
                return path, name
        raise BuildError(f"Cannot locate specified Dockerfile: {name}")

    def _evaluate(self, dockerfile: nodes.Dockerfile) -> Evaluation:
        return evaluate(
            dockerfile,
            self.options.build_args,
            target=self.options.target,
            build_platform=f"linux/{host_architecture()}",
            target_platform=self.options.platform,
            image_env=self.bases.env,
        )

    def _from_source(self, name: str) -> SourceRef:
        index = named_stage(self.dockerfile, name)
        if index is not None and index in self.results:
            return SourceRef(*self.results[index])
        image_id = self.bases.image_id(name)
        return SourceRef(self.bases.state(image_id), start_key("image\0" + image_id, self.epoch))

    def _base(self, stage: EvaluatedStage) -> StageResult:
        if stage.parent is not None:
            parent = self.results[stage.parent]
            config = parent.state.editable_config()
            config.config.on_build = None
            return StageResult(BuildState(config, parent.state.layers), start_key("stage\0" + parent.key, self.epoch))
        if stage.header.base == SCRATCH:
            platform = stage.header.platform or self.platform
            return StageResult(scratch_state(platform), start_key("scratch\0" + platform, self.epoch))
        image_id = self.bases.image_id(stage.header.base, stage.header.platform)
        return StageResult(self.bases.state(image_id), start_key("image\0" + image_id, self.epoch))

    def _build_stage(self, index: int) -> StageResult:
        stage = self.stages[index]
        progress = self.progress.stage(index)
        try:
            ctx = StepContext(
                store=self.builder.store,
                containers=self.builder.containers,
                cache=self.builder.cache,
                context=self.tree,
                secrets=self.options.secrets,
                scratch=self.scratch,
                network=self.options.network if self.options.network not in ("", "default") else DEFAULT_NETWORK,
                epoch=self.epoch,
                cancelled=self.cancelled,
                from_source=self._from_source,
                output=progress.output,
                running_in=progress.running_in,
            )
            build = StageBuild(ctx, progress, no_cache=self.options.no_cache, created=self.created)
            result = build.run(stage, self._base(stage), self.first_numbers[index], self.triggers.get(index, 0))
        finally:
            progress.finish()
        self.results[index] = result
        return result

    def _store(self, state: BuildState) -> str:
        image_id = state.image_id
        try:
            self.builder.store.images.record(image_id)
        except NotFound:
            self.builder.images.store_image(state.config_bytes(), list(state.layers))
        return image_id
