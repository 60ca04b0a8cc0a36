"""What a build tells its client, in Docker's classic words (`Step 3/9 : RUN make`, ` ---> Using cache`,
` ---> 1f2e3d4c5b6a`), as JSON messages. Stages run in parallel but their lines come out in file order: a stage's
lines wait until the stages before it are done. Step events (hydock's own, for a live view) go out at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import msgspec

from hydock.api_types import BUILD_STEP_AUX, BuildStep, JSONMessage

Report = Callable[[JSONMessage], None]


def short_id(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


class BuildProgress:
    def __init__(self, report: Report, order: list[int], total: int, *, quiet: bool, step_events: bool) -> None:
        self._report = report
        self._order = order
        self.total = total
        self._quiet = quiet
        self._step_events = step_events
        self._lock = threading.Lock()
        self._position = 0
        self._waiting: dict[int, list[JSONMessage]] = {index: [] for index in order}
        self._finished: set[int] = set()

    def line(self, text: str) -> None:
        """A line of the build as a whole (not of a stage), shown at once."""
        if not self._quiet:
            self._report(JSONMessage(stream=text + "\n"))

    def message(self, message: JSONMessage) -> None:
        if not self._quiet:
            self._report(message)

    def stage(self, index: int) -> StageProgress:
        return StageProgress(self, index)

    def emit(self, stage: int, message: JSONMessage) -> None:
        if self._quiet:
            return
        with self._lock:
            if self._order[self._position] == stage:
                self._report(message)
            else:
                self._waiting[stage].append(message)

    def event(self, step: BuildStep) -> None:
        if self._step_events:
            self._report(JSONMessage(aux={BUILD_STEP_AUX: msgspec.to_builtins(step)}))

    def finish_stage(self, stage: int) -> None:
        """The stage's lines are all out (or waiting): the next stage in file order may speak."""
        with self._lock:
            self._finished.add(stage)
            while self._position < len(self._order) and self._order[self._position] in self._finished:
                self._position += 1
                if self._position < len(self._order):
                    following = self._order[self._position]
                    for message in self._waiting[following]:
                        self._report(message)
                    self._waiting[following].clear()


class StageProgress:
    """One stage's lines; numbered steps report a step event each."""

    def __init__(self, build: BuildProgress, index: int) -> None:
        self._build = build
        self._index = index
        self._step: BuildStep | None = None
        self._started = 0.0

    def _stream(self, text: str) -> None:
        self._build.emit(self._index, JSONMessage(stream=text))

    def step(self, number: int, text: str) -> None:
        self._stream(f"Step {number}/{self._build.total} : {text}\n")
        self._step = BuildStep(number, self._build.total, text, "running")
        self._started = time.monotonic()
        self._build.event(self._step)

    def triggers(self, count: int) -> None:
        self._stream(f"# Executing {count} build trigger{'s' if count != 1 else ''}\n")

    def cached(self) -> None:
        self._stream(" ---> Using cache\n")
        if self._step is not None:
            self._step.status = "cached"

    def running_in(self, container: str) -> None:
        self._stream(f" ---> Running in {container}\n")

    def output(self, text: str) -> None:
        self._stream(text)

    def removed(self, container: str) -> None:
        self._stream(f"Removing intermediate container {container}\n")

    def result(self, image_id: str) -> None:
        """The step is done: the ID the image would have had it been the last (Docker's intermediate image)."""
        self._stream(f" ---> {short_id(image_id)}\n")

    def step_done(self, failed: bool = False) -> None:
        if self._step is None:
            return
        if failed:
            self._step.status = "failed"
        elif self._step.status == "running":
            self._step.status = "done"
        self._step.seconds = round(time.monotonic() - self._started, 3)
        self._build.event(self._step)
        self._step = None

    def finish(self) -> None:
        self._build.finish_stage(self._index)
