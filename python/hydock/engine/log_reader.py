"""A container's json-file log read as one stream across its rotated files (`X-json.log.N` ... `X-json.log.1`, then
`X-json.log`), following the shim's rotations by inode so that no line is lost or read twice."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec

_entry_decoder = msgspec.json.Decoder(dict[str, str])


def decode_entries(
    lines: Iterable[bytes], wanted: set[str], *, timestamps: bool = False
) -> Iterator[tuple[str, bytes]]:
    """(stream, data) of each json-file line from one of the `wanted` streams; with `timestamps`, the data starts
    with the entry's time and a space, as `docker logs -t` shows it (the shim writes Docker's fixed nine digits)."""
    for line in lines:
        try:
            entry = _entry_decoder.decode(line)
        except msgspec.DecodeError:
            continue  # torn by a crash mid-write: the lines after it are still whole
        stream = entry.get("stream", "stdout")
        if stream in wanted:
            data = entry.get("log", "")
            yield stream, (f"{entry.get('time', '')} {data}" if timestamps else data).encode()


class LogCursor:
    """A place in a log: the file being read, kept open so that a rotation renaming it away does not lose it, and
    the start of a line not yet finished."""

    def __init__(self, log: Path, fd: int, *, mid_line: bool = False) -> None:
        self.log = log
        self.fd = fd
        self.pending = b""
        # Opened at the end of a file the shim may be writing: what comes first may finish someone else's line.
        self.mid_line = mid_line

    @classmethod
    def at_start(cls, log: Path) -> LogCursor | None:
        """Before the first line of the oldest file; None while the log does not exist."""
        while (oldest := _scan(log, None)[1]) is not None:
            fd = _open_if_same(*oldest)
            if fd is not None:
                return cls(log, fd)
        return None

    @classmethod
    def at_end(cls, log: Path) -> LogCursor | None:
        """After what has been written so far, to read only what comes next; None while the log does not exist."""
        try:
            fd = os.open(log, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        end = os.lseek(fd, 0, os.SEEK_END)
        return cls(log, fd, mid_line=end > 0 and os.pread(fd, 1, end - 1) != b"\n")

    def __enter__(self) -> LogCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    def read_lines(self) -> list[bytes]:
        """Every complete line written since the last call (or the cursor's start), across rotations."""
        lines = self._drain()
        while (successor := self._successor()) is not None:
            # The shim wrote to our file until it rotated it away, maybe after the drain above.
            lines += self._drain()
            os.close(self.fd)
            self.fd, self.pending, self.mid_line = successor, b"", False
            lines += self._drain()
        return lines

    def _drain(self) -> list[bytes]:
        chunks = [self.pending]
        while chunk := os.read(self.fd, 1 << 16):
            chunks.append(chunk)
        complete, newline, self.pending = b"".join(chunks).rpartition(b"\n")
        if not newline:
            return []
        lines = complete.split(b"\n")
        if self.mid_line:
            self.mid_line = False
            lines = lines[1:]
        return lines

    def _successor(self) -> int | None:
        """The file the shim wrote after ours, open, once ours has been rotated away; None while ours is the newest."""
        ours = os.fstat(self.fd).st_ino
        while True:
            found, newer = _scan(self.log, ours)
            if found == self.log or newer is None:
                return None  # ours is current, or the shim is between moving it and creating the next
            fd = _open_if_same(*newer)
            # Had a rotation moved ours since the scan, `newer` might not come right after it: look again.
            if fd is not None and (found is None or _inode(found) == ours):
                return fd
            if fd is not None:
                os.close(fd)


def _numbered(log: Path, n: int) -> Path:
    return log.with_name(f"{log.name}.{n}") if n else log


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def _scan(log: Path, wanted: int | None) -> tuple[Path | None, tuple[Path, int] | None]:
    """Looks through the log's files from the newest (the log, then .1, .2...) for the one with inode `wanted`.
    Returns where it is (None if nowhere) and the (path, inode) of the file just newer than it, or of the oldest
    file if it is nowhere.

    The shim numbers rotated files without gaps, but for the name a rotation in progress has just moved a file
    away from; so two missing names in a row mark the end. A scan stops at `wanted`, usually at .1."""
    newer = None
    n = missing = 0
    while missing < 2:
        path = _numbered(log, n)
        inode = _inode(path)
        if inode is not None and inode == wanted:
            return path, newer
        if inode is None:
            missing += 1
        else:
            missing, newer = 0, (path, inode)
        n += 1
    return None, newer


def _open_if_same(path: Path, inode: int) -> int | None:
    """`path` opened if it is still the file with `inode`, which a rotation may have renamed away meanwhile."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    if os.fstat(fd).st_ino == inode:
        return fd
    os.close(fd)
    return None
