"""The control socket of an interactive process's shim: its stdin, the end of that stdin, its terminal's size, and
its output.

The shim listens on a unix SOCK_SEQPACKET socket in the container's directory for as long as the process runs, so a
daemon started later can connect as well as the one that started it. Each message is one kind byte and its data
(see rust/hydock-shim/src/control.rs); a client that sends WATCH_OUTPUT then receives the output as messages of the
stream's number (1 stdout, 2 stderr) and the bytes.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

MAX_STDIN_CHUNK = 32 * 1024
MAX_OUTPUT_MESSAGE = 64 * 1024 + 1
CLOSE_STDIN = b"c"
WATCH_OUTPUT = b"o"


def stdin_messages(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), MAX_STDIN_CHUNK):
        yield b"d" + data[start : start + MAX_STDIN_CHUNK]


def resize_message(rows: int, cols: int) -> bytes:
    return b"r" + struct.pack("<HH", rows, cols)


def connect(path: Path) -> socket.socket:
    """A connection to the shim listening at `path`; FileNotFoundError or ConnectionRefusedError once it is gone."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    # Through the directory's descriptor the address stays within sun_path's 108 bytes, however deep the root.
    directory = os.open(path.parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        sock.connect(f"/proc/self/fd/{directory}/{path.name}")
    except BaseException:
        sock.close()
        raise
    finally:
        os.close(directory)
    return sock


class ShimControl:
    """A blocking connection to a shim's control socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.socket = sock

    def write_stdin(self, data: bytes) -> None:
        for message in stdin_messages(data):
            self.socket.sendall(message)

    def close_stdin(self) -> None:
        self.socket.sendall(CLOSE_STDIN)

    def resize(self, rows: int, cols: int) -> None:
        self.socket.sendall(resize_message(rows, cols))

    def close(self) -> None:
        self.socket.close()

    def __enter__(self) -> ShimControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
