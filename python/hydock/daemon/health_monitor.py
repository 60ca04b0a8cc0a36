"""Healthchecks while containers run: one task per container with a check, probing it through exec as dockerd does,
recording State.Health by the state machine of engine/health.py and emitting `health_status: ...` on each change."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from functools import partial

import msgspec

from hydock.api_types import ExecConfig
from hydock.daemon.blocking import run_blocking
from hydock.daemon.events import EventBus
from hydock.daemon.waiting import container_stopped, read_status_line
from hydock.durations import format_duration
from hydock.engine.containers import ContainerService
from hydock.engine.execs import ExecService
from hydock.engine.health import (
    MAX_OUTPUT,
    STARTING,
    ProbeTiming,
    next_probe_delay,
    probe_command,
    probe_output,
    probe_timing,
    record_result,
    starting_health,
    stopped_health,
)
from hydock.engine.records import ContainerRecord, Health, HealthcheckResult
from hydock.errors import ContainerNotFound, HydockError
from hydock.runtime.native import ExitStatus
from hydock.store.records import HealthConfig
from hydock.timeutil import now_rfc3339, parse_rfc3339

_exit_decoder = msgspec.json.Decoder(ExitStatus)
log = logging.getLogger("hydockd")
# How long a probe that has exited may still take to hand over its output (a child it left may hold the pipe).
OUTPUT_GRACE = 0.5


class _Monitor(msgspec.Struct):
    task: asyncio.Task[None]
    stopping: asyncio.Event


class HealthMonitors:
    def __init__(self, containers: ContainerService, events: EventBus) -> None:
        self.containers = containers
        self.execs = ExecService(containers)
        self.events = events
        self._monitors: dict[str, _Monitor] = {}

    def watch(self, record: ContainerRecord, attributes: dict[str, str]) -> None:
        """Probes a running container (just started, or found running at daemon start) until `stop`; nothing for one
        without a check."""
        config = record.config.healthcheck
        command = probe_command(config, record.config.shell or None)
        if command is None or not isinstance(config, HealthConfig):
            return
        stopping = asyncio.Event()
        probing = self._probe_until_stopped(record.id, command, probe_timing(config), attributes, stopping)
        self._monitors[record.id] = _Monitor(asyncio.get_running_loop().create_task(probing), stopping)

    async def stop(self, container_id: str) -> None:
        """Ends the container's monitoring (a probe under way is let finish, its result dropped), leaving its health
        unhealthy as Docker does; returns once that is recorded. (A monitor also ends by itself when its run does.)"""
        monitor = self._monitors.get(container_id)
        if monitor is None:
            return
        monitor.stopping.set()
        # Kept listed until it has ended, so that a start racing an exit (restart) waits for it too.
        await asyncio.wait({monitor.task})
        if self._monitors.get(container_id) is monitor:
            del self._monitors[container_id]

    def close(self) -> None:
        """At daemon shutdown: probing ends and the health stays as it is (the next daemon starts it again)."""
        for monitor in self._monitors.values():
            monitor.task.cancel()
        self._monitors.clear()

    async def _probe_until_stopped(
        self,
        container_id: str,
        command: list[str],
        timing: ProbeTiming,
        attributes: dict[str, str],
        stopping: asyncio.Event,
    ) -> None:
        ended: asyncio.Future[None] | None = None
        try:
            state = (await run_blocking(self.containers.inspect, container_id)).state
            if not state.running:
                return
            # This run's monitor ends with it, not with whatever learns of the exit first (a restart may be quicker).
            ended = asyncio.ensure_future(container_stopped(state))
            ended.add_done_callback(lambda _: stopping.set())
            started, status = parse_rfc3339(state.started_at), STARTING
            while not await _set_within(stopping, next_probe_delay(timing, _ns_since(started), status) / 1e9):
                state = (await run_blocking(self.containers.inspect, container_id)).state
                if not state.running:
                    break
                if state.paused:
                    # Docker stops probing a paused container and calls it unhealthy until it probes again.
                    _, status = await self._update(container_id, _stopped)
                    continue
                probe_start = time.time()
                result = await self._probe(container_id, command, timing.timeout)
                if stopping.is_set():
                    break  # dropped, as dockerd drops a result that comes in after the monitor was stopped
                since_start = int((probe_start - started) * 1e9)
                before, status = await self._update(container_id, partial(_recorded, result, timing, since_start))
                if status != before:
                    self.events.emit("container", f"health_status: {status}", container_id, attributes)
            await self._update(container_id, _stopped)
        except ContainerNotFound:
            return  # removed
        except HydockError as exc:
            log.warning("healthcheck of %s stopped: %s", container_id[:12], exc)
        finally:
            if ended is not None:
                ended.cancel()

    async def _update(self, container_id: str, change: Callable[[Health | None], Health | None]) -> tuple[str, str]:
        """Changes the stored health; its status before and after ("" for none, or once the container has gone)."""
        before, after = await run_blocking(self.containers.update_health, container_id, change)
        return (before.status if before else ""), (after.status if after else "")

    async def _probe(self, container_id: str, command: list[str], timeout: int) -> HealthcheckResult:
        """Runs the command in the container as `exec` does, its stdout and stderr into one pipe, killed after
        `timeout` nanoseconds."""
        start = now_rfc3339()
        read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
        try:
            exec_id, started = await run_blocking(
                self.execs.start, container_id, ExecConfig(cmd=command), stdout_fd=write_fd, stderr_fd=write_fd
            )
        except BaseException as exc:
            os.close(read_fd)
            if isinstance(exc, HydockError):
                return HealthcheckResult(start, now_rfc3339(), -1, str(exc))
            raise
        finally:
            os.close(write_fd)
        kept = bytearray()
        output = asyncio.ensure_future(_read_output(read_fd, kept))
        exited = asyncio.ensure_future(read_status_line(started.status_fd))
        try:
            done, _ = await asyncio.wait({exited}, timeout=timeout / 1e9)
            if not done:
                try:
                    os.kill(started.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            line = await exited
            await asyncio.wait({output}, timeout=OUTPUT_GRACE)
            text = probe_output(bytes(kept))
        finally:
            output.cancel()
            await run_blocking(self.execs.forget, container_id, exec_id)
        if not done:
            message = f"Health check exceeded timeout ({format_duration(timeout)})"
            return HealthcheckResult(start, now_rfc3339(), -1, f"{message}: {text}" if text else message)
        exit_code = _exit_decoder.decode(line).exit_code if line else -1
        return HealthcheckResult(start, now_rfc3339(), exit_code, text)


async def _set_within(event: asyncio.Event, seconds: float) -> bool:
    """Whether the event is set within `seconds` (the wait between probes, cut short by a stop)."""
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True


def _stopped(health: Health | None) -> Health | None:
    return stopped_health(health) if health is not None else None


def _recorded(result: HealthcheckResult, timing: ProbeTiming, since_start: int, health: Health | None) -> Health:
    return record_result(health or starting_health(None), result, timing, since_start)


def _ns_since(epoch_seconds: float) -> int:
    return int((time.time() - epoch_seconds) * 1e9)


async def _read_output(fd: int, kept: bytearray) -> None:
    """Reads a probe's output (closing the fd at its end) into `kept`, up to one byte past what a result keeps: the
    rest is read and dropped, so the probe never blocks writing."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    try:
        while chunk := await reader.read(65536):
            kept += chunk[: MAX_OUTPUT + 1 - len(kept)]
    finally:
        transport.close()
