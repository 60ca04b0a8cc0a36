"""Docker's streamed body formats: multiplexed stdout/stderr frames, and one JSON object per line (events, progress)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar, overload

import msgspec

from hydock.client.errors import ProtocolError
from hydock.errors import HydockError

T = TypeVar("T")

STDIN, STDOUT, STDERR, SYSTEM_ERROR = 0, 1, 2, 3
_FRAME_HEADER = 8


def demux(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(stream, payload) for each frame of a multiplexed stream: [stream, 0, 0, 0, big-endian u32 size] + payload.

    Frames may be split across chunks or packed several to one. A frame on SYSTEM_ERROR is an error the daemon
    reports in-band (after the HTTP status was sent), so it is raised rather than yielded.
    """
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        start = 0
        while len(buffer) - start >= _FRAME_HEADER:
            stream = buffer[start]
            if stream > SYSTEM_ERROR:
                # A TTY container's stream is raw, not multiplexed: fail fast instead of waiting for a bogus size.
                raise ProtocolError(f"not a multiplexed stream: frame header starts with byte {stream}")
            end = start + _FRAME_HEADER + int.from_bytes(buffer[start + 4 : start + _FRAME_HEADER], "big")
            if len(buffer) < end:
                break
            payload = bytes(buffer[start + _FRAME_HEADER : end])
            start = end
            if stream == SYSTEM_ERROR:
                raise HydockError(f"error from daemon in stream: {payload.decode(errors='replace').strip()}")
            yield stream, payload
        del buffer[:start]
    if buffer:
        raise ProtocolError(f"multiplexed stream ended inside a frame ({len(buffer)} bytes left over)")


def split_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of a chunked body, without their "\\n" or "\\r\\n", however the chunks cut them."""
    pending: list[bytes] = []
    for chunk in chunks:
        *complete, rest = chunk.split(b"\n")
        if complete:
            complete[0] = b"".join(pending) + complete[0]
            pending = []
            for line in complete:
                yield line.removesuffix(b"\r")
        if rest:
            pending.append(rest)
    if pending:
        yield b"".join(pending).removesuffix(b"\r")


@overload
def json_stream(lines: Iterable[bytes]) -> Iterator[Any]: ...
@overload
def json_stream(lines: Iterable[bytes], type: type[T]) -> Iterator[T]: ...
def json_stream(lines: Iterable[bytes], type: Any = Any) -> Iterator[Any]:
    """Decode one JSON object per line (blank lines skipped), into `type` (a msgspec Struct, list[...]...)."""
    decoder = msgspec.json.Decoder(type)
    for line in lines:
        if not line.strip():
            continue
        try:
            message = decoder.decode(line)
        except msgspec.DecodeError as exc:
            raise ProtocolError(f"malformed JSON message in stream: {exc}") from None
        yield message
