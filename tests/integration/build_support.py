"""Building images in tests: a Builder on a test's engine, and what a build said, step by step."""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

import msgspec

from hydock import Engine
from hydock.api_types import BUILD_STEP_AUX, BuildStep, JSONMessage
from hydock.dockerfile.builder import Builder, BuildOptions

_STEP = re.compile(r"^Step (\d+)/\d+ : ", re.MULTILINE)


def make_builder(engine: Engine) -> Builder:
    images = engine.image_service
    return Builder(engine.store, images, engine.container_service, lambda n, p, r: images.pull(n, platform=p, report=r))


class Built(msgspec.Struct):
    image_id: str
    output: str
    events: list[BuildStep]
    """The step events, in the order they came."""

    def cached_steps(self) -> list[int]:
        return [number for number, text in self.steps().items() if " ---> Using cache" in text]

    def run_steps(self) -> list[int]:
        """The steps that ran (not taken from the cache), FROM lines aside."""
        return [n for n, text in self.steps().items() if "Using cache" not in text and " : FROM " not in f" : {text}"]

    def steps(self) -> dict[int, str]:
        """Each step's number and the text from its `Step N/M : ` line to the next."""
        parts = _STEP.split(self.output)
        return {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def build(engine: Engine, context: Path, dockerfile: str | None = None, **options: object) -> Built:
    if dockerfile is not None:
        (context / "Dockerfile").write_text(dockerfile)
    lines: list[str] = []
    events: list[BuildStep] = []

    def report(message: JSONMessage) -> None:
        lines.append(message.stream)
        if message.aux and BUILD_STEP_AUX in message.aux:
            events.append(msgspec.convert(message.aux[BUILD_STEP_AUX], BuildStep))

    options.setdefault("step_events", True)
    image_id = make_builder(engine).build(context, BuildOptions(**options), report)  # type: ignore[arg-type]
    return Built(image_id, "".join(lines), events)


def write_files(root: Path, files: dict[str, str]) -> Path:
    """`root` with each file (a relative path) holding its text, directories made as needed."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def layer_members(engine: Engine, image_id: str) -> list[list[str]]:
    """The entry names of each layer blob of the image, bottom first."""
    store = engine.store.images
    members = []
    for descriptor in store.manifest(store.record(image_id)).layers:
        with tarfile.open(engine.store.blobs.path(descriptor.digest)) as tar:
            members.append(tar.getnames())
    return members


def run(engine: Engine, image: str, script: str) -> str:
    output = engine.containers.run(image, ["-c", script], entrypoint=["sh"], remove=True)
    assert isinstance(output, bytes)
    return output.decode()
