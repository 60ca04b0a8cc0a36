"""Waiting for a container's (or an exec's) end without a thread: a pidfd on its shim, or its status pipe, watched
by the event loop."""

from __future__ import annotations

import asyncio
import os

from hydock.engine.records import ContainerState
from hydock.runtime.processes import is_alive


async def process_exit(pid: int, start_time: int) -> None:
    """Returns once the process (identified by pid and start time) has exited."""
    if not is_alive(pid, start_time):
        return
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        if not is_alive(pid, start_time):
            return
        loop = asyncio.get_running_loop()
        exited = loop.create_future()
        loop.add_reader(pidfd, _settle, exited)
        try:
            await exited
        finally:
            loop.remove_reader(pidfd)
    finally:
        os.close(pidfd)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def container_stopped(state: ContainerState) -> None:
    """Returns once the container described by a running `state` has stopped."""
    if state.shim_pid and is_alive(state.shim_pid, state.shim_start):
        await process_exit(state.shim_pid, state.shim_start)
    else:
        while is_alive(state.pid, state.pid_start):
            await process_exit(state.pid, state.pid_start)


async def read_status_line(fd: int) -> bytes:
    """Reads the shim's exit line from its status pipe without blocking the loop."""
    loop = asyncio.get_running_loop()
    os.set_blocking(fd, False)
    buffer = b""
    readable = asyncio.Event()
    loop.add_reader(fd, readable.set)
    try:
        while not buffer.endswith(b"\n"):
            await readable.wait()
            readable.clear()
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                continue
            if not chunk:
                break
            buffer += chunk
    finally:
        loop.remove_reader(fd)
        os.close(fd)
    return buffer.strip()
