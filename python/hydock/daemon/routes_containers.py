"""/containers/...: create, start, attach, wait, stop, kill, restart, pause, rename, update, remove, prune, list,
inspect, logs, stats, top."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from hydock.api_network import EndpointSettings, SummaryNetworkSettings
from hydock.api_types import (
    ContainerPruneResponse,
    ContainerSummary,
    CreateBody,
    CreateHostConfig,
    CreateResponse,
    HealthcheckBody,
    Port,
    SummaryHostConfig,
    TopResponse,
    UpdateBody,
    UpdateResponse,
    WaitError,
    WaitResponse,
    restart_policy_text,
)
from hydock.daemon.attach_session import SessionInput, run_session, terminal_size
from hydock.daemon.blocking import run_blocking
from hydock.daemon.container_io import STDERR, STDOUT, frame, shim_output
from hydock.daemon.hijack import RAW_STREAM, HijackedStream
from hydock.daemon.lifecycle import Lifecycle, attributes_of
from hydock.daemon.params import decode_body, filters, json_response, query_bool, query_int
from hydock.daemon.stats import stats_snapshot, stats_stream
from hydock.detach_keys import DEFAULT_DETACH_KEYS, parse_detach_keys
from hydock.engine import Engine
from hydock.engine.containers import ContainerService, parse_restart_policy
from hydock.engine.health import HEALTH_STATUSES, health_status
from hydock.engine.log_reader import LogCursor, decode_entries
from hydock.engine.records import ContainerRecord, Interactive, RunOptions
from hydock.engine.status import status_text
from hydock.errors import InvalidArgument
from hydock.filters import matches_filters
from hydock.network.port_specs import checked_port_bindings, port_key
from hydock.runtime.native import ExitStatus
from hydock.store.records import HealthConfig
from hydock.timeutil import parse_rfc3339

routes = web.RouteTableDef()
KILL_WAIT = 10.0


def _engine(request: web.Request) -> Engine:
    return request.app["engine"]


def _lifecycle(request: web.Request) -> Lifecycle:
    return request.app["lifecycle"]


def _run_options(body: CreateBody, name: str | None) -> RunOptions:
    host = body.host_config or CreateHostConfig()
    network = host.network_mode or "bridge"
    return RunOptions(
        name=name or None,
        env=list(body.env or []),
        workdir=body.working_dir or None,
        user=body.user or None,
        hostname=body.hostname or None,
        entrypoint=body.entrypoint,
        labels=dict(body.labels or {}),
        memory=host.memory,
        nano_cpus=host.nano_cpus,
        cpu_shares=host.cpu_shares,
        pids_limit=host.pids_limit,
        read_only=host.readonly_rootfs,
        network="bridge" if network == "default" else network,
        init=bool(host.init),
        privileged=host.privileged,
        cap_add=list(host.cap_add or []),
        cap_drop=list(host.cap_drop or []),
        no_new_privileges=any(o.startswith("no-new-privileges") for o in host.security_opt or []),
        auto_remove=host.auto_remove,
        restart=restart_policy_text(host.restart_policy),
        log_config=host.log_config,
        **_network_options(body, host),
        binds=list(host.binds or []),
        mounts=list(host.mounts or []),
        tmpfs=dict(host.tmpfs or {}),
        volumes_from=list(host.volumes_from or []),
        volumes=list(body.volumes or {}),
        interactive=Interactive(
            tty=body.tty,
            open_stdin=body.open_stdin,
            stdin_once=body.stdin_once,
            attach_stdin=body.attach_stdin,
            attach_stdout=body.attach_stdout,
            attach_stderr=body.attach_stderr,
        ),
        healthcheck=_health_config(body.healthcheck) if body.healthcheck else None,
        shell=body.shell,
    )


def _health_config(body: HealthcheckBody) -> HealthConfig:
    return HealthConfig(
        test=list(body.test or []),
        interval=body.interval or 0,
        timeout=body.timeout or 0,
        start_period=body.start_period or 0,
        start_interval=body.start_interval or 0,
        retries=body.retries or 0,
    )


def _network_options(body: CreateBody, host: CreateHostConfig) -> dict[str, Any]:
    """The RunOptions of networking: endpoints (NetworkingConfig, with the old Config.MacAddress), ports, DNS."""
    endpoints = dict((body.networking_config.endpoints_config or {}) if body.networking_config else {})
    main = host.network_mode or "bridge"
    if body.mac_address:
        endpoints[main] = msgspec.structs.replace(
            endpoints.get(main) or EndpointSettings(), mac_address=body.mac_address
        )
    return {
        "networks": endpoints,
        "port_bindings": checked_port_bindings(host.port_bindings),
        "publish_all": host.publish_all_ports,
        "exposed_ports": {f"{port}/{proto}": {} for port, proto in map(port_key, body.exposed_ports or {})},
        "dns": list(host.dns or []),
        "dns_search": list(host.dns_search or []),
        "dns_options": list(host.dns_options or []),
        "extra_hosts": list(host.extra_hosts or []),
        "links": list(host.links or []),
    }


@routes.post("/containers/create")
async def create(request: web.Request) -> web.Response:
    body = await decode_body(request, CreateBody)
    if not body.image:
        raise InvalidArgument("config cannot be empty in order to create a container")
    options = _run_options(body, request.query.get("name"))
    service = _engine(request).container_service
    record = await run_blocking(service.create, body.image, body.cmd, options)
    request.app["events"].emit("container", "create", record.id, attributes_of(record))
    return json_response(CreateResponse(record.id, []), status=201)


@routes.post("/containers/{id}/start")
async def start(request: web.Request) -> web.Response:
    service = _engine(request).container_service
    container_id = await run_blocking(service.resolve, request.match_info["id"])
    started = await _start(request, container_id)
    return web.Response(status=204 if started else 304)


async def _start(request: web.Request, container_id: str) -> bool:
    return await _lifecycle(request).start(container_id)


@routes.post("/containers/{id}/attach")
async def attach(request: web.Request) -> web.StreamResponse:
    """Docker's hijacked attach: the HTTP connection becomes the container's output (multiplexed, or raw for a tty)
    and, with stdin=1 on a container with an open stdin, its input."""
    service = _engine(request).container_service
    record = await run_blocking(service.inspect, request.match_info["id"])
    container_id, tty = record.id, record.config.tty
    wanted = {STDOUT} if query_bool(request, "stdout") else set()
    if query_bool(request, "stderr"):
        wanted.add(STDERR)
    detach_keys = parse_detach_keys(request.query.get("detachKeys") or DEFAULT_DETACH_KEYS)
    # Found before the connection is hijacked, so that a failure still gets its HTTP status.
    live = await _live_output(request, record) if query_bool(request, "stream", True) else None
    stream = HijackedStream(request)
    # Replayed from the log, which a container without one (driver none) lacks.
    if query_bool(request, "logs") and record.log_path:
        for name, data in await run_blocking(lambda: list(service.logs(container_id))):
            number = STDOUT if name == "stdout" else STDERR
            if number in wanted:
                stream.write(data if tty else frame(number, data))
    if live is None:
        return stream.close()
    output, wait_started = live

    async def connect() -> socket.socket | None:
        if not await wait_started():
            return None
        control = await run_blocking(service.control, container_id)
        if control is None:
            return None
        control.socket.setblocking(False)
        return control.socket

    stdin = None
    if query_bool(request, "stdin") and record.config.open_stdin:
        close_on_eof = record.config.stdin_once and not tty
        stdin = SessionInput(connect, close_on_eof, detach_keys if tty else None)
    await run_session(stream, output, tty=tty, wanted=wanted, stdin=stdin)
    return stream.close()


async def _live_output(
    request: web.Request, record: ContainerRecord
) -> tuple[AsyncIterator[tuple[int, bytes]], Callable[[], Awaitable[bool]]]:
    """The container's output from now on, and a wait until it runs. A container this daemon starts feeds its hub;
    one an earlier daemon started sends it on its shim's control socket when interactive, else only to its log."""
    service, lifecycle = _engine(request).container_service, _lifecycle(request)
    hub = lifecycle.hubs.get(record.id)
    if record.state.running and hub is not None:
        # This run's hub even once its output has ended (the exit not yet recorded): the attach ends with the run,
        # as Docker's does, rather than waiting for a next start that a client seeing "running" will not make.
        return hub.output(), hub.wait_started
    if not record.state.running:
        live = lifecycle.hub(record.id)
        return live.output(), live.wait_started
    control = await run_blocking(service.control, record.id)
    if control is not None:
        control.socket.setblocking(False)
        return shim_output(control.socket), _already_running
    cursor = await run_blocking(service.open_log, record.id, at_end=True) if record.log_path else None
    return _numbered(follow_log(service, record.id, cursor, tail=None)), _already_running


async def _already_running() -> bool:
    return True


async def _numbered(entries: AsyncIterator[tuple[str, bytes]]) -> AsyncIterator[tuple[int, bytes]]:
    async for name, data in entries:
        yield (STDOUT if name == "stdout" else STDERR), data


@routes.post("/containers/{id}/resize")
async def resize(request: web.Request) -> web.Response:
    height, width = terminal_size(request)
    await run_blocking(_engine(request).container_service.resize, request.match_info["id"], height, width)
    return web.Response(status=200)


async def follow_log(
    service: ContainerService,
    container_id: str,
    cursor: LogCursor | None,
    *,
    tail: int | None,
    timestamps: bool = False,
) -> AsyncIterator[tuple[str, bytes]]:
    """Yields (stream, data) from the cursor on, the last `tail` lines first, then follows the log (across its
    rotations) until the container stops."""
    if cursor is None:
        return
    with cursor:
        lines = await run_blocking(cursor.read_lines)
        if tail is not None and tail >= 0:
            lines = lines[-tail:] if tail else []
        while True:
            for entry in decode_entries(lines, {"stdout", "stderr"}, timestamps=timestamps):
                yield entry
            lines = await run_blocking(cursor.read_lines)
            if lines:
                continue
            state = (await run_blocking(service.inspect, container_id)).state
            if not state.running:
                lines = await run_blocking(cursor.read_lines)
                if not lines:
                    return
                continue
            await asyncio.sleep(0.05)


@routes.post("/containers/{id}/wait")
async def wait(request: web.Request) -> web.StreamResponse:
    condition = request.query.get("condition", "not-running")
    if condition not in ("not-running", "next-exit", "removed"):
        raise InvalidArgument(f"invalid condition: {condition!r}")
    service = _engine(request).container_service
    lifecycle = _lifecycle(request)
    container_id = await run_blocking(service.resolve, request.match_info["id"])
    waiter = lifecycle.removal(container_id) if condition == "removed" else lifecycle.next_exit(container_id)
    state = (await run_blocking(service.inspect, container_id)).state
    # Like Docker, the headers go out at once: the client starts the container only after the
    # daemon has acknowledged the wait, so a fast exit cannot slip past it.
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    if condition == "not-running" and not state.running:
        waiter.cancel()
        exited = ExitStatus(state.exit_code)
    else:
        exited = await waiter
    await response.write(msgspec.json.encode(_wait_response(exited, state.error if not state.running else "")))
    await response.write_eof()
    return response


def _wait_response(exited: ExitStatus, error: str) -> WaitResponse:
    return WaitResponse(exited.exit_code, WaitError(error) if error else None)


@routes.post("/containers/{id}/stop")
async def stop(request: web.Request) -> web.Response:
    service = _engine(request).container_service
    record = await run_blocking(service.inspect, request.match_info["id"])
    # Stopping a stopped container still cancels a restart its policy has pending.
    await run_blocking(service.stop, record.id, query_int(request, "t"))
    if not record.state.running:
        return web.Response(status=304)
    request.app["events"].emit("container", "stop", record.id, attributes_of(record))
    return web.Response(status=204)


@routes.post("/containers/{id}/kill")
async def kill(request: web.Request) -> web.Response:
    service = _engine(request).container_service
    record = await run_blocking(service.inspect, request.match_info["id"])
    signal = request.query.get("signal") or "KILL"
    # As dockerd: a SIGKILL is answered once the container has stopped (a while at most), so what the client
    # asks next sees it exited; other signals are only sent.
    killing = signal.upper().removeprefix("SIG") in ("KILL", "9") and record.state.running
    exited = _lifecycle(request).next_exit(record.id) if killing else None
    await run_blocking(service.kill, record.id, signal)
    request.app["events"].emit("container", "kill", record.id, {**attributes_of(record), "signal": signal})
    if exited is not None:
        try:
            await asyncio.wait_for(exited, KILL_WAIT)
        except TimeoutError:
            pass
    return web.Response(status=204)


@routes.post("/containers/{id}/restart")
async def restart(request: web.Request) -> web.Response:
    service = _engine(request).container_service
    container_id = await run_blocking(service.resolve, request.match_info["id"])
    await run_blocking(service.stop, container_id, query_int(request, "t"))
    await _start(request, container_id)
    return web.Response(status=204)


@routes.delete("/containers/{id}")
async def remove(request: web.Request) -> web.Response:
    service = _engine(request).container_service
    record = await run_blocking(service.inspect, request.match_info["id"])
    await run_blocking(service.remove, record.id, force=query_bool(request, "force"), volumes=query_bool(request, "v"))
    _lifecycle(request).removed(record.id, attributes_of(record))
    return web.Response(status=204)


@routes.get("/containers/json")
async def list_containers(request: web.Request) -> web.Response:
    service = _engine(request).container_service
    wanted = filters(request)
    for value in wanted.get("health", []):
        if value not in HEALTH_STATUSES:
            raise InvalidArgument(f"Unrecognised filter value for health: {value}")
    show_all = query_bool(request, "all") or "status" in wanted
    limit = query_int(request, "limit", -1) or -1
    records = await run_blocking(service.list_records, all=show_all or limit > 0)
    records = [r for r in records if _matches(r, wanted)]
    if limit > 0:
        records = records[:limit]
    sizes = await run_blocking(_sizes, _engine(request), records) if query_bool(request, "size") else {}
    now = time.time()
    return json_response([container_summary(r, now, sizes.get(r.id)) for r in records])


def _sizes(engine: Engine, records: list[ContainerRecord]) -> dict[str, tuple[int, int]]:
    summaries = engine.image_service.summaries()
    return container_sizes(engine, records, {summary.id: summary.size for summary in summaries})


def container_sizes(
    engine: Engine, records: list[ContainerRecord], image_sizes: dict[str, int]
) -> dict[str, tuple[int, int]]:
    """Each container's SizeRw (its writable layer) and SizeRootFs (that plus the size of its image)."""
    sizes = {}
    for record in records:
        size_rw = engine.container_service.size_rw(record.id)
        sizes[record.id] = (size_rw, size_rw + image_sizes.get(record.image, 0))
    return sizes


def _matches(record: ContainerRecord, wanted: dict[str, list[str]]) -> bool:
    checks = {
        "id": lambda v: record.id.startswith(v),
        "name": lambda v: v.lstrip("/") in record.name.lstrip("/"),
        "status": lambda v: record.state.status == v,
        "health": lambda v: health_status(record.state) == v,
        "ancestor": lambda v: v in (record.config.image, record.image),
        "volume": lambda v: any(v in (point.name, point.source, point.destination) for point in record.mounts),
    }
    return matches_filters(wanted, checks, record.config.labels)


def summary_ports(record: ContainerRecord) -> list[Port]:
    """Published ports with where they are published, then the exposed ones that are not (while it runs)."""
    if not record.state.running:
        return []
    ports = []
    for key, bindings in record.network_settings.ports.items():
        number, _, proto = key.partition("/")
        if not bindings:
            ports.append(Port(int(number), proto))
        for binding in bindings or []:
            ports.append(Port(int(number), proto, binding.host_ip, int(binding.host_port)))
    return ports


def container_summary(record: ContainerRecord, now: float, sizes: tuple[int, int] | None = None) -> ContainerSummary:
    size_rw, size_root_fs = sizes or (None, None)
    return ContainerSummary(
        id=record.id,
        names=[record.name],
        image=record.config.image,
        image_i_d=record.image,
        command=" ".join([record.path, *record.args]),
        created=int(parse_rfc3339(record.created)),
        state=record.state.status,
        status=status_text(record.state, now),
        ports=summary_ports(record),
        labels=record.config.labels,
        host_config=SummaryHostConfig(record.host_config.network_mode),
        network_settings=SummaryNetworkSettings(record.network_settings.networks),
        mounts=record.mounts,
        size_rw=size_rw,
        size_root_fs=size_root_fs,
    )


@routes.get("/containers/{id}/json")
async def inspect(request: web.Request) -> web.Response:
    record = await run_blocking(_engine(request).container_service.inspect, request.match_info["id"])
    return json_response(record)


@routes.get("/containers/{id}/logs")
async def logs(request: web.Request) -> web.StreamResponse:
    """A tty container's log goes out raw, as Docker sends it; any other's multiplexed."""
    service = _engine(request).container_service
    record = await run_blocking(service.inspect, request.match_info["id"])
    container_id, tty = record.id, record.config.tty
    wanted = {STDOUT} if query_bool(request, "stdout") else set()
    if query_bool(request, "stderr"):
        wanted.add(STDERR)
    if not wanted:
        raise InvalidArgument("you must choose at least one stream")
    tail_text = request.query.get("tail", "all")
    tail = None if tail_text in ("all", "") else query_int(request, "tail")
    timestamps = query_bool(request, "timestamps")
    response = web.StreamResponse(headers={"Content-Type": RAW_STREAM})
    # Reading starts before the headers go out, so that a container without a log gets its error status.
    if query_bool(request, "follow"):
        cursor = await run_blocking(service.open_log, container_id)
        await response.prepare(request)
        async for stream, data in follow_log(service, container_id, cursor, tail=tail, timestamps=timestamps):
            number = STDOUT if stream == "stdout" else STDERR
            if number in wanted:
                await response.write(data if tty else frame(number, data))
    else:
        entries = await run_blocking(lambda: list(service.logs(container_id, tail=tail, timestamps=timestamps)))
        await response.prepare(request)
        for stream, data in entries:
            number = STDOUT if stream == "stdout" else STDERR
            if number in wanted:
                await response.write(data if tty else frame(number, data))
    await response.write_eof()
    return response


@routes.get("/containers/{id}/stats")
async def stats(request: web.Request) -> web.StreamResponse:
    service = _engine(request).container_service
    record = await run_blocking(service.inspect, request.match_info["id"])
    stream = query_bool(request, "stream", True) and not query_bool(request, "one-shot")
    if not stream:
        return json_response(await stats_snapshot(service, record, one_shot=query_bool(request, "one-shot")))
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    encoder = msgspec.json.Encoder()
    async for snapshot in stats_stream(service, record):
        await response.write(encoder.encode(snapshot) + b"\n")
    await response.write_eof()
    return response


@routes.post("/containers/{id}/pause")
async def pause(request: web.Request) -> web.Response:
    record = await run_blocking(_engine(request).container_service.pause, request.match_info["id"])
    request.app["events"].emit("container", "pause", record.id, attributes_of(record))
    return web.Response(status=204)


@routes.post("/containers/{id}/unpause")
async def unpause(request: web.Request) -> web.Response:
    record = await run_blocking(_engine(request).container_service.unpause, request.match_info["id"])
    request.app["events"].emit("container", "unpause", record.id, attributes_of(record))
    return web.Response(status=204)


@routes.post("/containers/{id}/rename")
async def rename(request: web.Request) -> web.Response:
    service = _engine(request).container_service
    old = await run_blocking(service.inspect, request.match_info["id"])
    record = await run_blocking(service.rename, old.id, request.query.get("name", ""))
    attributes = {**attributes_of(record), "oldName": old.name}
    request.app["events"].emit("container", "rename", record.id, attributes)
    return web.Response(status=204)


@routes.post("/containers/{id}/update")
async def update(request: web.Request) -> web.Response:
    body = await decode_body(request, UpdateBody)
    policy = body.restart_policy
    restart = None
    if policy is not None and policy.name:
        count = f":{policy.maximum_retry_count}" if policy.maximum_retry_count else ""
        restart = parse_restart_policy(f"{policy.name}{count}")
    service = _engine(request).container_service
    record = await run_blocking(
        lambda: service.update(
            request.match_info["id"],
            memory=body.memory,
            memory_swap=body.memory_swap,
            nano_cpus=body.nano_cpus,
            cpu_shares=body.cpu_shares,
            cpu_quota=body.cpu_quota,
            cpu_period=body.cpu_period,
            pids_limit=body.pids_limit,
            restart_policy=restart,
        )
    )
    request.app["events"].emit("container", "update", record.id, attributes_of(record))
    return json_response(UpdateResponse([]))


@routes.get("/containers/{id}/top")
async def top(request: web.Request) -> web.Response:
    ps_args = request.query.get("ps_args") or "-ef"
    if ps_args != "-ef":
        raise InvalidArgument(f"ps_args {ps_args!r} not supported by hydockd yet: only -ef")
    titles, processes = await run_blocking(_engine(request).container_service.top, request.match_info["id"])
    return json_response(TopResponse(titles, processes))


@routes.post("/containers/prune")
async def prune(request: web.Request) -> web.Response:
    if filters(request):
        raise InvalidArgument("filters are not supported by hydockd's container prune yet")
    service = _engine(request).container_service
    doomed = {r.id: r for r in await run_blocking(service.list_records, all=True) if not r.state.running}
    deleted, reclaimed = await run_blocking(service.prune)
    for container_id in deleted:
        record = doomed.get(container_id)
        _lifecycle(request).removed(container_id, attributes_of(record) if record else {})
    request.app["events"].emit("container", "prune", "", {"reclaimed": str(reclaimed)})
    return json_response(ContainerPruneResponse(deleted or None, reclaimed))
