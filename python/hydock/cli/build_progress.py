"""A build's messages on the terminal: Docker's classic lines as they come (plain), or a live view of the steps
with their timing and cache hits, redrawn in place (tty), or nothing but the image ID (quiet)."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterable
from typing import TextIO

import click
import msgspec

from hydock.api_types import BUILD_STEP_AUX, BuildStep, JSONMessage

_LOG_LINES = 6
_FAILED_LOG_LINES = 30
_RESULT_PREFIXES = ("Successfully built ", "Successfully tagged ")


class BuildFailed(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code or 1


def show_build(messages: Iterable[JSONMessage], out: TextIO, mode: str) -> str:
    """Shows the messages as `mode` ("plain", "tty" or "quiet") asks; the built image's ID. A failed build
    prints its error on stderr and exits with Docker's status (a RUN's own exit status)."""
    view = LiveView(out) if mode == "tty" else None
    image_id = ""
    try:
        for message in messages:
            if message.error or message.error_detail is not None:
                detail = message.error_detail
                raise BuildFailed(detail.message if detail else message.error, detail.code if detail else 1)
            if message.aux is not None:
                image_id = message.aux.get("ID", image_id)
                if view is not None and BUILD_STEP_AUX in message.aux:
                    view.step(msgspec.convert(message.aux[BUILD_STEP_AUX], BuildStep))
            elif view is not None:
                view.text(message)
            elif mode == "plain":
                _plain(message, out)
    except BuildFailed as failed:
        if view is not None:
            view.finish(failed=True)
        click.echo(str(failed), err=True)
        raise click.exceptions.Exit(failed.code) from None
    if view is not None:
        view.finish(failed=False)
    return image_id


def _plain(message: JSONMessage, out: TextIO) -> None:
    if message.stream:
        out.write(message.stream)
    elif message.status and not message.progress:
        out.write(f"{message.id}: {message.status}\n" if message.id else f"{message.status}\n")
    out.flush()


class LiveView:
    """The steps, one line each (CACHED, running with the last lines of its output, or done with its time),
    redrawn in place; the output of a failed step is printed in full at the end."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.monotonic()
        self.steps: dict[int, BuildStep] = {}
        self.running_since: dict[int, float] = {}
        self.logs: dict[int, list[str]] = {}
        self.results: list[str] = []
        self.current = 0
        self.partial = ""
        self.drawn = 0

    def step(self, step: BuildStep) -> None:
        if step.status == "running":
            self.running_since[step.number] = time.monotonic()
        self.steps[step.number] = step
        self.draw()

    def text(self, message: JSONMessage) -> None:
        """The classic lines, read for the output of each step (the daemon sends it after its `Step N/M`)."""
        text = message.stream or (
            f"{message.id}: {message.status}\n" if message.status and not message.progress else ""
        )
        lines = (self.partial + text).split("\n")
        self.partial = lines.pop()
        for line in lines:
            if line.startswith("Step ") and "/" in line:
                self.current = int(line[5 : line.index("/")])
            elif line.startswith(_RESULT_PREFIXES):
                self.results.append(line)
            elif not line.startswith((" ---> ", "Removing intermediate container ", "# Executing ")):
                self.logs.setdefault(self.current, []).append(line)
        if self.steps:
            self.draw()

    def _lines(self, finished: bool | None, width: int) -> list[str]:
        done = sum(step.status != "running" for step in self.steps.values())
        total = next(iter(self.steps.values())).total if self.steps else 0
        state = {None: "", False: " FINISHED", True: " ERROR"}[finished]
        lines = [f"[+] Building {time.monotonic() - self.started:.1f}s ({done}/{total}){state}"]
        for number in sorted(self.steps):
            step = self.steps[number]
            label = {"cached": "CACHED ", "failed": "ERROR "}.get(step.status, "")
            seconds = step.seconds if step.status != "running" else time.monotonic() - self.running_since[number]
            timing = f" {seconds:.1f}s"
            text = f" => {label}[{number}/{step.total}] {_one_line(step.name)}"
            lines.append(text[: width - len(timing)].ljust(width - len(timing)) + timing)
            if step.status == "running":
                lines += [f" => => {line}"[:width] for line in self.logs.get(number, [])[-_LOG_LINES:]]
        return lines

    def draw(self, finished: bool | None = None) -> None:
        width = shutil.get_terminal_size().columns - 1
        lines = self._lines(finished, width)
        up = f"\x1b[{self.drawn}F" if self.drawn else ""
        self.out.write(up + "\x1b[J" + "\n".join(lines) + "\n")
        self.out.flush()
        self.drawn = len(lines)

    def finish(self, *, failed: bool) -> None:
        self.draw(finished=failed)
        if failed:
            failing = [n for n, step in self.steps.items() if step.status in ("failed", "running")]
            for number in failing or [self.current]:
                for line in self.logs.get(number, [])[-_FAILED_LOG_LINES:]:
                    print(f"#{number} {line}", file=sys.stderr)
        for line in self.results:
            self.out.write(line + "\n")


def _one_line(text: str) -> str:
    return " ".join(text.split())
