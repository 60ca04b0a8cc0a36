"""Docker's JSON message streams (pull, push, load) shown as the docker CLI shows them: one line per layer
updated in place on a terminal, and only the state changes, one per line, otherwise."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TextIO

from hydock.api_types import JSONMessage


def display(messages: Iterable[JSONMessage], out: TextIO) -> None:
    terminal = out.isatty()
    lines: dict[str, int] = {}  # layer id -> its line, counted from the top of what we printed
    first_seen: dict[str, tuple[float, int]] = {}  # layer id -> when its transfer was first reported, and bytes
    printed = 0
    for message in messages:
        text = _text(message, terminal)
        if text is not None and terminal and message.progress_detail is not None and message.progress:
            text += _speed(first_seen, message.id, message.progress_detail.current)
        if text is None:
            continue
        if not terminal or not message.id:
            out.write(text + "\n")
            printed += 1
            continue
        if message.id not in lines:
            lines[message.id] = printed
            out.write(text + "\n")
            printed += 1
        else:
            up = printed - lines[message.id]
            # Up to the layer's line, rewrite it, and back down.
            out.write(f"\x1b[{up}A\x1b[2K\r{text}\x1b[{up}B\r")
        out.flush()


def _speed(first_seen: dict[str, tuple[float, int]], ident: str, current: int) -> str:
    """The layer's average transfer rate since its first report, once there is enough to average."""
    from hydock.units import human_size

    now = time.monotonic()
    since, start = first_seen.setdefault(ident, (now, current))
    elapsed = now - since
    return f"  {human_size((current - start) / elapsed)}/s" if elapsed >= 0.2 else ""


def _text(message: JSONMessage, terminal: bool) -> str | None:
    if message.aux is not None and not message.status:
        return None  # data for programs (the pushed digest), not for people
    if message.progress and not terminal:
        return None  # bars only make sense where they can be redrawn
    prefix = f"{message.id}: " if message.id else ""
    if message.progress:
        return f"{prefix}{message.status} {message.progress}"
    if message.stream:
        return message.stream.rstrip("\n")
    return f"{prefix}{message.status}"
