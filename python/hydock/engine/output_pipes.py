"""Starting a process with its stdout and stderr on two fresh pipes, whose read ends the caller keeps."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def start_with_output_pipes(start: Callable[[int, int], T | None]) -> tuple[T, int, int] | None:
    """Calls `start(stdout_write_fd, stderr_write_fd)`; returns its result with the two read ends.

    The write ends are closed here once the process (its shim) holds them, so the read ends see
    EOF when the process is done. None, and no fd left open, when `start` returns None.
    """
    out_read, out_write = os.pipe2(os.O_CLOEXEC)
    err_read, err_write = os.pipe2(os.O_CLOEXEC)
    try:
        started = start(out_write, err_write)
    except BaseException:
        os.close(out_read)
        os.close(err_read)
        raise
    finally:
        os.close(out_write)
        os.close(err_write)
    if started is None:
        os.close(out_read)
        os.close(err_read)
        return None
    return started, out_read, err_read
