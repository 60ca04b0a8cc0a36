"""What the steps of a stage share while they run: the engine parts they use, the build's inputs and settings,
and where their output goes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from hydock.dockerfile.builder.cache import BuildCache
from hydock.dockerfile.builder.sources import SourceTree
from hydock.dockerfile.builder.state import BuildState
from hydock.engine.containers import ContainerService
from hydock.store import Store


class SourceRef(NamedTuple):
    """What `--from=` names (a stage or an image): its files and the key that stands for them."""

    state: BuildState
    key: str


class StepContext(NamedTuple):
    store: Store
    containers: ContainerService
    cache: BuildCache
    context: SourceTree
    secrets: Mapping[str, bytes]
    scratch: Path
    """A directory of this build's own for temporary files, outside any root filesystem."""
    network: str
    """RUN's network when the instruction does not say: "bridge" (the default), "host" or "none"."""
    epoch: int | None
    """SOURCE_DATE_EPOCH: history and config times, and no layer entry newer than it."""
    cancelled: threading.Event
    from_source: Callable[[str], SourceRef]
    output: Callable[[str], None]
    """A RUN command's output, as it comes."""
    running_in: Callable[[str], None]
    """The ID of the container a RUN runs in, once it exists."""
