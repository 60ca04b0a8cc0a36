"""What stages start from and copy from: images (from the store, or pulled once when missing or with --pull),
`scratch`, and the triggers an image's ONBUILD left, spliced in right after the FROM that names it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

import msgspec

from hydock.api_types import JSONMessage
from hydock.dockerfile import nodes, parse
from hydock.dockerfile.builder.cache import base_key
from hydock.dockerfile.builder.state import BuildState
from hydock.dockerfile.evaluate import SCRATCH, Evaluation
from hydock.engine.images import ImageService
from hydock.errors import ImageNotFound
from hydock.platforms import host_architecture
from hydock.store.records import ContainerConfig, ImageConfig, RootFS

Pull = Callable[[str, str, Callable[[JSONMessage], None]], str]
"""Pulls an image (name, platform, where progress goes); its image ID."""


class BaseImages:
    def __init__(
        self,
        images: ImageService,
        pull: Pull,
        report: Callable[[JSONMessage], None],
        *,
        always_pull: bool,
        platform: str,
    ) -> None:
        self._images = images
        self._platform = platform
        self._pull = pull
        self._report = report
        self._always_pull = always_pull
        self._ids: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def image_id(self, name: str, platform: str = "") -> str:
        """The image `name` is, pulled first when it is not stored (or always, with --pull), once per build;
        `platform` is the build's (--platform) unless FROM --platform says otherwise."""
        platform = platform or self._platform
        with self._lock:
            known = self._ids.get((name, platform))
            if known is not None:
                return known
            image_id = None
            if not self._always_pull:
                try:
                    image_id = self._images.resolve(name)
                except ImageNotFound:
                    pass
            if image_id is None:
                image_id = self._pull(name, platform, self._report)
            self._ids[(name, platform)] = image_id
            return image_id

    def env(self, name: str, platform: str) -> Mapping[str, str]:
        """An image's environment, as `evaluate` wants it."""
        env = self._images.config(self.image_id(name, platform)).config.env or []
        return dict(item.partition("=")[::2] for item in env)

    def on_build(self, name: str, platform: str) -> list[str]:
        return list(self._images.config(self.image_id(name, platform)).config.on_build or [])

    def state(self, image_id: str) -> BuildState:
        """An image as a stage's first state: its config (its triggers spent) and layers."""
        store = self._images.store.images
        config = self._images.config(image_id)
        config.config.on_build = None
        return BuildState(config, tuple(store.manifest(store.record(image_id)).layers))


def scratch_state(platform: str) -> BuildState:
    architecture = platform.split("/")[1] if platform.count("/") >= 1 else host_architecture()
    return BuildState(ImageConfig(architecture, "linux", RootFS("layers", []), config=ContainerConfig()))


def start_key(base: str, epoch: int | None) -> str:
    return base_key(base, "" if epoch is None else str(epoch))


def stage_triggers(dockerfile: nodes.Dockerfile, evaluation: Evaluation, bases: BaseImages) -> dict[int, list[str]]:
    """For each stage, the ONBUILD triggers its base leaves: an image's, or those of the stage it is built FROM."""
    triggers: dict[int, list[str]] = {}
    for evaluated in evaluation.stages:
        index = evaluated.stage.index
        if evaluated.parent is not None:
            parent = dockerfile.stages[evaluated.parent]
            found = [i.expression for i in parent.instructions if isinstance(i, nodes.Onbuild)]
        elif evaluated.header.base != SCRATCH:
            found = bases.on_build(evaluated.header.base, evaluated.header.platform)
        else:
            found = []
        if found:
            triggers[index] = found
    return triggers


def splice_triggers(dockerfile: nodes.Dockerfile, triggers: dict[int, list[str]]) -> nodes.Dockerfile:
    """The Dockerfile with each stage's triggers as its first instructions."""
    stages = []
    for stage in dockerfile.stages:
        found = triggers.get(stage.index)
        if found:
            spliced = parse("FROM scratch\n" + "\n".join(found), filename=f"{dockerfile.filename} (ONBUILD)").stages[0]
            stage = msgspec.structs.replace(stage, instructions=(*spliced.instructions, *stage.instructions))
        stages.append(stage)
    return msgspec.structs.replace(dockerfile, stages=tuple(stages))
