"""What the daemon tracks of running containers: output hubs, exits and removals to wait for.

Each container started by this daemon (or found running at start-up) has one watch task; it
learns of the exit from the shim's status pipe (or, for a container started by an earlier
daemon, from a pidfd on its shim), then wakes the waiters, emits `die`, and auto-removes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict

import msgspec

from hydock.daemon.blocking import run_blocking
from hydock.daemon.container_io import OutputHub
from hydock.daemon.events import EventBus
from hydock.daemon.health_monitor import HealthMonitors
from hydock.daemon.waiting import container_stopped, read_status_line
from hydock.engine import Engine
from hydock.engine.health import starting_health
from hydock.engine.output_pipes import start_with_output_pipes
from hydock.engine.records import ContainerRecord, ContainerState
from hydock.errors import HydockError
from hydock.runtime.native import ExitStatus

_exit_decoder = msgspec.json.Decoder(ExitStatus)
log = logging.getLogger("hydockd")


# Docker's restart backoff: 100 ms doubling per quick failure, at most a minute; a run of 10 s
# or more resets it.
BACKOFF_START = 0.1
BACKOFF_MAX = 60.0
BACKOFF_RESET_AFTER = 10.0


def attributes_of(record: ContainerRecord) -> dict[str, str]:
    """The actor attributes Docker puts on a container's events."""
    return {"image": record.config.image, "name": record.name.lstrip("/"), **record.config.labels}


def wants_restart(record: ContainerRecord, exited: ExitStatus, *, daemon_starting: bool = False) -> bool:
    """Whether the container's restart policy asks for another run after this exit."""
    policy = record.host_config.restart_policy
    stopped_by_user = record.state.has_been_manually_stopped
    if record.host_config.auto_remove:
        return False
    if policy.name == "always":
        return daemon_starting or not stopped_by_user
    if policy.name == "unless-stopped":
        return not stopped_by_user
    if policy.name == "on-failure":
        within = policy.maximum_retry_count == 0 or record.restart_count < policy.maximum_retry_count
        return exited.exit_code != 0 and not stopped_by_user and within
    return False


class Lifecycle:
    def __init__(self, engine: Engine, events: EventBus) -> None:
        self.engine = engine
        self.events = events
        self.hubs: dict[str, OutputHub] = {}
        self._exit_waiters: dict[str, list[asyncio.Future[ExitStatus]]] = defaultdict(list)
        self._removal_waiters: dict[str, list[asyncio.Future[ExitStatus]]] = defaultdict(list)
        self._last_exit: dict[str, ExitStatus] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._backoff: dict[str, float] = {}
        self._started_at: dict[str, float] = {}
        self.health = HealthMonitors(engine.container_service, events)

    def hub(self, container_id: str) -> OutputHub:
        """The hub that the container's next start will feed (attach clients subscribe early)."""
        hub = self.hubs.get(container_id)
        if hub is None or hub.closed.is_set():
            hub = self.hubs[container_id] = OutputHub()
        return hub

    async def start(self, container_id: str) -> bool:
        """Starts the container with its output piped to this daemon's hub; False if already running."""
        service = self.engine.container_service
        # Read before starting: an auto-removed container may be gone by the time start returns.
        record = await run_blocking(service.inspect, container_id)
        attributes = attributes_of(record)
        # The last run's monitor records its end before this run's health starts again.
        await self.health.stop(container_id)
        try:
            piped = await run_blocking(
                start_with_output_pipes, lambda out, err: service.start(container_id, stdout_fd=out, stderr_fd=err)
            )
        except HydockError as exc:
            await self.start_failed(container_id, exc, record.host_config.auto_remove, attributes)
            raise
        if piped is None:
            return False
        started, out_read, err_read = piped
        self.hub(container_id).connect(out_read, err_read)
        self._started_at[container_id] = time.monotonic()
        self.watch_started(container_id, started.status_fd, record.host_config.auto_remove, attributes)
        self.health.watch(record, attributes)
        self.events.emit("container", "start", container_id, attributes)
        return True

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
        line = await read_status_line(status_fd)
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
        await asyncio.to_thread(self.engine.container_service.release_network, container_id)
        if exited.oom_killed:
            self.events.emit("container", "oom", container_id, attributes)
        self.events.emit("container", "die", container_id, {**attributes, "exitCode": str(exited.exit_code)})
        for future in self._exit_waiters.pop(container_id, []):
            if not future.done():
                future.set_result(exited)
        if auto_remove:
            await asyncio.to_thread(self._remove_quietly, container_id, attributes["name"])
            self.removed(container_id, attributes)
            return
        await self._apply_restart_policy(container_id, exited)

    async def _apply_restart_policy(self, container_id: str, exited: ExitStatus) -> None:
        try:
            record = await run_blocking(self.engine.container_service.inspect, container_id)
        except HydockError:
            return
        if not wants_restart(record, exited):
            self._backoff.pop(container_id, None)
            return
        ran_for = time.monotonic() - self._started_at.get(container_id, time.monotonic())
        delay = (
            BACKOFF_START if ran_for >= BACKOFF_RESET_AFTER else self._backoff.get(container_id, BACKOFF_START / 2) * 2
        )
        self._backoff[container_id] = min(delay, BACKOFF_MAX)
        await asyncio.sleep(self._backoff[container_id])
        try:
            record = await run_blocking(self.engine.container_service.inspect, container_id)
            if record.state.running or not wants_restart(record, exited):
                return  # stopped, removed or started by its user meanwhile
            await run_blocking(self.engine.container_service.note_restart, container_id)
            await self.start(container_id)
        except HydockError as exc:
            log.warning("restarting %s by its policy failed: %s", container_id[:12], exc)

    async def restore(self) -> None:
        """At daemon start: watch what still runs, and restart what its policy says must run."""
        service = self.engine.container_service
        # Auto-removed while no daemon ran: their anonymous volumes go now.
        await run_blocking(service.remove_orphan_volumes)
        records = await run_blocking(service.list_records, all=True)
        # Before anything starts again: bridges and rules back, and what containers that ended unobserved held, freed.
        try:
            await run_blocking(service.networking.start_daemon, {r.id for r in records if r.state.running})
        except HydockError as exc:
            log.error("restoring networks failed (containers on bridge networks will not start): %s", exc)
        for record in records:
            if record.state.running:
                self.watch_restored(record.id, record.state, record.host_config.auto_remove, attributes_of(record))
                await self._restore_health(record)
            elif record.state.status == "exited" and wants_restart(
                record, ExitStatus(record.state.exit_code), daemon_starting=True
            ):
                try:
                    await self.start(record.id)
                except HydockError as exc:
                    log.warning("restarting %s at daemon start failed: %s", record.id[:12], exc)

    async def _restore_health(self, record: ContainerRecord) -> None:
        """As dockerd does on restoring a running container: its check starts again, from "starting"."""
        if record.state.health and not record.state.paused:
            await run_blocking(self.engine.container_service.update_health, record.id, starting_health)
        self.health.watch(record, attributes_of(record))

    async def start_failed(
        self, container_id: str, error: Exception, auto_remove: bool, attributes: dict[str, str]
    ) -> None:
        """A start that failed ends attach streams and, for --rm, removes the container as Docker does."""
        hub = self.hubs.pop(container_id, None)
        if hub is not None:
            hub.abort()
        self._last_exit[container_id] = ExitStatus(getattr(error, "exit_code", 125))
        if auto_remove:
            await asyncio.to_thread(self._remove_quietly, container_id, attributes["name"])
            self.removed(container_id, attributes)

    def _remove_quietly(self, container_id: str, name: str) -> None:
        service = self.engine.container_service
        try:
            service.remove(container_id, force=True, volumes=True)
        except Exception:  # noqa: BLE001 - the shim's auto-removal may have got there first
            service.remove_orphan_volumes()
        # The shim removes the container's directory but not its name, which the starter releases.
        if service.names.lookup(name) == container_id:
            service.names.release(name)

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
        self.health.close()
        # Running containers keep their interfaces; the rules go with the daemon and come back with the next one.
        service = self.engine.container_service
        running = {r.id for r in await run_blocking(service.list_records)}
        await run_blocking(service.networking.shutdown, running)
