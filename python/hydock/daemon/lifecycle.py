"""What the daemon tracks of running containers: output hubs, exits and removals to wait for.

Each container started by this daemon (or found running at start-up) has one watch task; it
learns of the exit from the shim's status pipe (or, for a container started by an earlier
daemon, from a pidfd on its shim), then wakes the waiters, emits `die`, and auto-removes.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict

import msgspec

from hydock.daemon.container_io import OutputHub
from hydock.daemon.events import EventBus
from hydock.daemon.waiting import container_stopped
from hydock.engine import Engine
from hydock.engine.records import ContainerState
from hydock.runtime.native import ExitStatus

_exit_decoder = msgspec.json.Decoder(ExitStatus)


class Lifecycle:
    def __init__(self, engine: Engine, events: EventBus) -> None:
        self.engine = engine
        self.events = events
        self.hubs: dict[str, OutputHub] = {}
        self._exit_waiters: dict[str, list[asyncio.Future[ExitStatus]]] = defaultdict(list)
        self._removal_waiters: dict[str, list[asyncio.Future[ExitStatus]]] = defaultdict(list)
        self._last_exit: dict[str, ExitStatus] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def hub(self, container_id: str) -> OutputHub:
        """The hub that the container's next start will feed (attach clients subscribe early)."""
        hub = self.hubs.get(container_id)
        if hub is None or hub.closed.is_set():
            hub = self.hubs[container_id] = OutputHub()
        return hub

    def next_exit(self, container_id: str) -> asyncio.Future[ExitStatus]:
        future: asyncio.Future[ExitStatus] = asyncio.get_running_loop().create_future()
        self._exit_waiters[container_id].append(future)
        return future

    def removal(self, container_id: str) -> asyncio.Future[ExitStatus]:
        future: asyncio.Future[ExitStatus] = asyncio.get_running_loop().create_future()
        self._removal_waiters[container_id].append(future)
        return future

    def watch_started(self, container_id: str, status_fd: int, auto_remove: bool, attributes: dict[str, str]) -> None:
        self._spawn(self._watch_pipe(container_id, status_fd, auto_remove, attributes))

    def watch_restored(
        self, container_id: str, state: ContainerState, auto_remove: bool, attributes: dict[str, str]
    ) -> None:
        self._spawn(self._watch_restored(container_id, state, auto_remove, attributes))

    def _spawn(self, coro) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch_pipe(
        self, container_id: str, status_fd: int, auto_remove: bool, attributes: dict[str, str]
    ) -> None:
        line = await _read_line(status_fd)
        if line:
            exited = _exit_decoder.decode(line)
        else:
            state = await asyncio.to_thread(self._state, container_id)
            exited = ExitStatus(state.exit_code, state.oom_killed, state.finished_at)
        await self._exited(container_id, exited, auto_remove, attributes)

    async def _watch_restored(
        self, container_id: str, state: ContainerState, auto_remove: bool, attributes: dict[str, str]
    ) -> None:
        await container_stopped(state)
        final = await asyncio.to_thread(self._state, container_id)
        await self._exited(
            container_id, ExitStatus(final.exit_code, final.oom_killed, final.finished_at), auto_remove, attributes
        )

    def _state(self, container_id: str) -> ContainerState:
        try:
            return self.engine.container_service.inspect(container_id).state
        except Exception:  # noqa: BLE001 - auto-removed already: its last state is gone with it
            return ContainerState(status="exited", exit_code=self._last_exit.get(container_id, ExitStatus(0)).exit_code)

    async def _exited(
        self, container_id: str, exited: ExitStatus, auto_remove: bool, attributes: dict[str, str]
    ) -> None:
        self._last_exit[container_id] = exited
        if exited.oom_killed:
            self.events.emit("container", "oom", container_id, attributes)
        self.events.emit("container", "die", container_id, {**attributes, "exitCode": str(exited.exit_code)})
        for future in self._exit_waiters.pop(container_id, []):
            if not future.done():
                future.set_result(exited)
        if auto_remove:
            await asyncio.to_thread(self._remove_quietly, container_id)
            self.removed(container_id, attributes)

    async def start_failed(
        self, container_id: str, error: Exception, auto_remove: bool, attributes: dict[str, str]
    ) -> None:
        """A start that failed ends attach streams and, for --rm, removes the container as Docker does."""
        hub = self.hubs.pop(container_id, None)
        if hub is not None:
            hub.abort()
        self._last_exit[container_id] = ExitStatus(getattr(error, "exit_code", 125))
        if auto_remove:
            await asyncio.to_thread(self._remove_quietly, container_id)
            self.removed(container_id, attributes)

    def _remove_quietly(self, container_id: str) -> None:
        service = self.engine.container_service
        try:
            service.remove(container_id, force=True)
        except Exception:  # noqa: BLE001 - the shim's auto-removal may have got there first
            pass

    def removed(self, container_id: str, attributes: dict[str, str]) -> None:
        self.events.emit("container", "destroy", container_id, attributes)
        exited = self._last_exit.pop(container_id, ExitStatus(0))
        for future in self._removal_waiters.pop(container_id, []):
            if not future.done():
                future.set_result(exited)
        self.hubs.pop(container_id, None)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()


async def _read_line(fd: int) -> bytes:
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
