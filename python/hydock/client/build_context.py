"""The build context as the docker CLI sends it: a tar of the context directory, owners 0:0, what .dockerignore
excludes left out (but never the Dockerfile or .dockerignore themselves: the daemon needs them), streamed.

The tar headers are written here rather than by `tarfile`, which costs several times more per file: a context
of thousands of small files is sent on every build, cached or not."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from hydock.dockerfile.dockerignore import IgnoreMatcher

BLOCK = 512
_CHUNK = 1 << 20
_MAX_OCTAL_SIZE = 0o77777777777
_REGULAR, _SYMLINK, _DIRECTORY, _FIFO, _PAX = b"0", b"2", b"5", b"6", b"x"


def context_tar(
    root: Path | None, ignore: IgnoreMatcher, keep: set[str], extra: dict[str, bytes] | None = None
) -> Iterator[bytes]:
    """The tar of `root` (None: no directory) in chunks: entries sorted, `keep` (relative paths) sent even if
    excluded, and `extra` files (name -> content, e.g. a Dockerfile read from stdin) added at the top."""
    pending: list[bytes] = []
    size = 0
    for piece in _entries(root, "", ignore, keep) if root is not None else ():
        pending.append(piece)
        size += len(piece)
        if size >= _CHUNK:
            yield b"".join(pending)
            pending, size = [], 0
    for name, data in (extra or {}).items():
        pending += [_header(name, 0o644, len(data), 0, _REGULAR), data, _padding(len(data))]
    pending.append(b"\0" * (2 * BLOCK))
    yield b"".join(pending)


def _entries(root: Path, prefix: str, ignore: IgnoreMatcher, keep: set[str]) -> Iterator[bytes]:
    directory = os.path.join(root, prefix) if prefix else str(root)
    with os.scandir(directory) as scan:
        children = sorted(scan, key=lambda entry: entry.name)
    for child in children:
        path = f"{prefix}/{child.name}" if prefix else child.name
        info = child.stat(follow_symlinks=False)
        excluded = path not in keep and ignore.excluded(path)
        if stat.S_ISDIR(info.st_mode):
            if not excluded:
                yield _header(path + "/", stat.S_IMODE(info.st_mode), 0, int(info.st_mtime), _DIRECTORY)
            if not excluded or ignore.may_include_below(path) or any(k.startswith(path + "/") for k in keep):
                yield from _entries(root, path, ignore, keep)
        elif excluded:
            continue
        elif stat.S_ISREG(info.st_mode):
            yield _header(path, stat.S_IMODE(info.st_mode), info.st_size, int(info.st_mtime), _REGULAR)
            yield from _file_data(child.path, info.st_size)
        elif stat.S_ISLNK(info.st_mode):
            target = os.readlink(child.path)
            yield _header(path, 0o777, 0, int(info.st_mtime), _SYMLINK, target)
        elif stat.S_ISFIFO(info.st_mode):
            yield _header(path, stat.S_IMODE(info.st_mode), 0, int(info.st_mtime), _FIFO)


def _file_data(path: str, size: int) -> Iterator[bytes]:
    """Exactly `size` bytes (the header says so) and the padding: a file that changed meanwhile is cut or
    zero-filled."""
    left = size
    with open(path, "rb") as file:
        while left > 0:
            data = file.read(min(left, _CHUNK))
            if not data:
                data = b"\0" * left
            left -= len(data)
            yield data
    yield _padding(size)


def _padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


def _header(name: str, mode: int, size: int, mtime: int, kind: bytes, link: str = "") -> bytes:
    """A ustar header, after a PAX header when the name, link or size does not fit in ustar's fields."""
    encoded, target = name.encode(), link.encode()
    records: list[tuple[str, bytes]] = []
    prefix, short = _split_name(encoded)
    if short is None:
        records.append(("path", encoded))
        prefix, short = b"", encoded[:100]
    if len(target) > 100:
        records.append(("linkpath", target))
    if size > _MAX_OCTAL_SIZE:
        records.append(("size", str(size).encode()))
    header = _ustar(short, prefix, mode, 0 if records and size > _MAX_OCTAL_SIZE else size, mtime, kind, target[:100])
    if not records:
        return header
    pax = b"".join(_pax_record(key, value) for key, value in records)
    return _ustar(b"././@PaxHeader", b"", 0o644, len(pax), mtime, _PAX, b"") + pax + _padding(len(pax)) + header


def _split_name(name: bytes) -> tuple[bytes, bytes | None]:
    """ustar's prefix and name fields for `name`, or (b"", None) when it cannot be split to fit."""
    if len(name) <= 100:
        return b"", name
    for slash in range(len(name) - 1, -1, -1):
        if name[slash : slash + 1] == b"/" and slash <= 155 and len(name) - slash - 1 <= 100:
            return name[:slash], name[slash + 1 :]
    return b"", None


def _pax_record(key: str, value: bytes) -> bytes:
    body = f" {key}=".encode() + value + b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    return str(length).encode() + body


def _ustar(name: bytes, prefix: bytes, mode: int, size: int, mtime: int, kind: bytes, link: bytes) -> bytes:
    header = bytearray(BLOCK)
    header[0 : len(name)] = name
    header[100:108] = b"%07o\0" % mode
    header[108:116] = b"0000000\0"
    header[116:124] = b"0000000\0"
    header[124:136] = b"%011o\0" % size
    header[136:148] = b"%011o\0" % max(mtime, 0)
    header[148:156] = b"        "
    header[156:157] = kind
    header[157 : 157 + len(link)] = link
    header[257:265] = b"ustar\x0000"
    header[345 : 345 + len(prefix)] = prefix
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)
