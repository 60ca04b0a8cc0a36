"""The JSON messages a pull or push streams, worded and shaped as dockerd words them."""

from __future__ import annotations

from collections.abc import Callable

from hydock.api_types import JSONMessage, ProgressDetail
from hydock.units import human_size

Report = Callable[[JSONMessage], None]
"""Where a pull or push sends its progress (the daemon streams it to the client)."""

BAR_WIDTH = 50


def short(digest: str) -> str:
    """A layer's id in progress lines: the first 12 hex digits of its digest."""
    return digest.removeprefix("sha256:")[:12]


def bar(current: int, total: int) -> str:
    """dockerd's progress text: `[=====>      ]  1.2MB/3.4MB` (bar only while the total is known)."""
    if total <= 0:
        return f"{human_size(current):>8}"
    filled = min(int(current / total * 100) // 2, BAR_WIDTH)
    numbers = f"{human_size(current):>8}/{human_size(total)}" if current <= total else f"{human_size(current):>8}"
    return f"[{'=' * filled}>{' ' * (BAR_WIDTH - filled)}] {numbers}"


def status(text: str, ident: str = "") -> JSONMessage:
    """A line of its own (`Digest: ...`), or the state of one layer (`Pull complete`) with an empty detail."""
    return JSONMessage(status=text, id=ident, progress_detail=ProgressDetail() if ident else None)


def moving(text: str, ident: str, current: int, total: int) -> JSONMessage:
    """`Downloading`/`Pushing` with the bytes so far."""
    return JSONMessage(status=text, id=ident, progress=bar(current, total),
                       progress_detail=ProgressDetail(current, total))  # fmt: skip
