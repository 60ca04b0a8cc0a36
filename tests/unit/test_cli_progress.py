"""How pull/push progress is shown: per-layer lines redrawn in place on a terminal, state changes only
otherwise."""

from __future__ import annotations

import io

from hydock.api_types import JSONMessage, ProgressDetail
from hydock.cli.progress import display
from hydock.registry.progress import bar, moving, status

MESSAGES = [
    JSONMessage(status="Pulling from library/busybox", id="latest"),
    status("Pulling fs layer", "aaaaaaaaaaaa"),
    status("Pulling fs layer", "bbbbbbbbbbbb"),
    moving("Downloading", "aaaaaaaaaaaa", 500_000, 1_000_000),
    status("Pull complete", "aaaaaaaaaaaa"),
    JSONMessage(aux={"Digest": "sha256:x"}),
    status("Digest: sha256:x"),
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_output_has_no_bars_and_one_line_per_state() -> None:
    out = io.StringIO()
    display(MESSAGES, out)
    assert out.getvalue().splitlines() == [
        "latest: Pulling from library/busybox",
        "aaaaaaaaaaaa: Pulling fs layer",
        "bbbbbbbbbbbb: Pulling fs layer",
        "aaaaaaaaaaaa: Pull complete",
        "Digest: sha256:x",
    ]


def test_terminal_output_redraws_each_layer_on_its_own_line() -> None:
    out = Terminal()
    display(MESSAGES, out)
    text = out.getvalue()
    # Layer a is two lines above the cursor when its progress and completion arrive.
    assert f"\x1b[2A\x1b[2K\raaaaaaaaaaaa: Downloading {bar(500_000, 1_000_000)}\x1b[2B\r" in text
    assert "\x1b[2A\x1b[2K\raaaaaaaaaaaa: Pull complete\x1b[2B\r" in text
    assert text.endswith("Digest: sha256:x\n")


def test_bar_shape_matches_dockerd() -> None:
    assert bar(500_000, 1_000_000) == "[" + "=" * 25 + ">" + " " * 25 + "]    500kB/1MB"
    assert bar(10, 0) == "     10B"
    assert moving("Pushing", "x", 1, 2).progress_detail == ProgressDetail(1, 2)
