"""Reading a json-file log across rotations, on real files rotated the way hydock-shim rotates them (its steps are
replayed here one by one, so that a reader can be put between any two of them)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hydock.engine.log_reader import LogCursor, decode_entries


def entry(text: str) -> bytes:
    return json.dumps({"log": f"{text}\n", "stream": "stdout", "time": "2026-01-01T00:00:00Z"}).encode() + b"\n"


def write(log: Path, *texts: str) -> None:
    with open(log, "ab") as f:
        for text in texts:
            f.write(entry(text))


def numbered(log: Path, n: int) -> Path:
    return log.with_name(f"{log.name}.{n}")


def rotation_steps(log: Path, max_files: int) -> Iterator[None]:
    """hydock-shim's LogFile::rotate, one filesystem change per step."""
    existing = 0
    while numbered(log, existing + 1).exists():
        existing += 1
    if max_files > 1:
        for n in range(existing, max_files - 2, -1):
            numbered(log, n).unlink()
            yield
        for n in range(min(existing, max_files - 2), 0, -1):
            numbered(log, n).rename(numbered(log, n + 1))
            yield
        log.rename(numbered(log, 1))
    else:
        log.unlink()
    yield
    log.touch()


def rotate(log: Path, max_files: int) -> None:
    for _ in rotation_steps(log, max_files):
        pass


def texts(lines: list[bytes]) -> list[str]:
    return [data.decode().rstrip("\n") for _, data in decode_entries(lines, {"stdout"})]


def test_reads_oldest_first_and_follows_rotations(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, "a")
    rotate(log, 3)
    write(log, "b")
    rotate(log, 3)
    write(log, "c")
    cursor = LogCursor.at_start(log)
    assert cursor is not None
    with cursor:
        assert texts(cursor.read_lines()) == ["a", "b", "c"]
        write(log, "d")
        rotate(log, 3)  # "a" falls off; the cursor holds the file with "c" and "d"
        write(log, "e")
        rotate(log, 3)
        write(log, "f")
        assert texts(cursor.read_lines()) == ["d", "e", "f"]
        assert cursor.read_lines() == []


@pytest.mark.parametrize("caught_up", [False, True])
@pytest.mark.parametrize("pause", range(4))
def test_a_reader_between_any_two_steps_of_a_rotation_loses_and_repeats_nothing(
    tmp_path: Path, pause: int, caught_up: bool
) -> None:
    """The reader looks once in the middle of a rotation (after step `pause`), on the oldest file or the newest."""
    log = tmp_path / "c-json.log"
    for n in range(4):
        write(log, f"old-{n}")
        rotate(log, 4)
    write(log, "x")  # old-0 fell off; .3 old-1, .2 old-2, .1 old-3, then the log
    cursor = LogCursor.at_start(log)
    assert cursor is not None
    with cursor:
        seen = texts(cursor.read_lines()) if caught_up else []
        for step, _ in enumerate(rotation_steps(log, 4)):
            if step == pause:
                seen += texts(cursor.read_lines())
        write(log, "y")
        seen += texts(cursor.read_lines())
    assert seen == ["old-1", "old-2", "old-3", "x", "y"]


def test_a_reader_left_behind_goes_on_from_the_oldest_file_left(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, "first")
    cursor = LogCursor.at_start(log)
    assert cursor is not None
    with cursor:
        assert texts(cursor.read_lines()) == ["first"]
        for n in range(5):
            rotate(log, 2)
            write(log, f"later-{n}")
        assert texts(cursor.read_lines()) == ["later-3", "later-4"]


def test_max_file_one_replaces_the_file(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, "a", "b")
    cursor = LogCursor.at_start(log)
    assert cursor is not None
    with cursor:
        assert texts(cursor.read_lines()) == ["a", "b"]
        write(log, "c")
        rotate(log, 1)
        write(log, "d")
        assert texts(cursor.read_lines()) == ["c", "d"]


def test_at_end_skips_a_line_being_written(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, "before")
    half = len(entry("torn")) // 2
    with open(log, "ab") as f:
        f.write(entry("torn")[:half])
    cursor = LogCursor.at_end(log)
    assert cursor is not None
    with cursor:
        with open(log, "ab") as f:
            f.write(entry("torn")[half:])
        write(log, "after")
        assert texts(cursor.read_lines()) == ["after"]
    assert LogCursor.at_start(tmp_path / "missing-json.log") is None


def test_undecodable_lines_are_skipped(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    write(log, "a")
    with open(log, "ab") as f:
        f.write(b'{"log":"cut sho\n')
    write(log, "b")
    fd = os.open(log, os.O_RDONLY)
    with LogCursor(log, fd) as cursor:
        assert texts(cursor.read_lines()) == ["a", "b"]


def test_timestamps_lead_each_line_with_its_entry_time() -> None:
    lines = [
        b'{"log":"out\\n","stream":"stdout","time":"2024-01-02T03:04:05.000000100Z"}',
        b'{"log":"err\\n","stream":"stderr","time":"2024-01-02T03:04:06.120000000Z"}',
    ]
    assert list(decode_entries(lines, {"stdout", "stderr"}, timestamps=True)) == [
        ("stdout", b"2024-01-02T03:04:05.000000100Z out\n"),
        ("stderr", b"2024-01-02T03:04:06.120000000Z err\n"),
    ]
    assert list(decode_entries(lines, {"stderr"})) == [("stderr", b"err\n")]
