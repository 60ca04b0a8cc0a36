"""/containers/{id}/exec and /exec/{id}/...: create, start (hijacked or detached), inspect, resize."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator

import msgspec
from aiohttp import web

from hydock.api_types import ExecConfig, ExecCreated, ExecStartBody
from hydock.daemon.attach_session import Ending, SessionInput, run_session, terminal_size
from hydock.daemon.blocking import run_blocking
from hydock.daemon.container_io import STDERR, STDOUT, OutputHub, frame
from hydock.daemon.hijack import HijackedStream
from hydock.daemon.params import decode_body, json_response
from hydock.daemon.waiting import read_status_line
from hydock.detach_keys import DEFAULT_DETACH_KEYS, parse_detach_keys
from hydock.engine import Engine
from hydock.engine.execs import ExecService
from hydock.engine.output_pipes import start_with_output_pipes
from hydock.errors import Conflict, HydockError, NotFound
from hydock.runtime.native import ExitStatus
from hydock.wire import docker_name

routes = web.RouteTableDef()


class ProcessConfig(msgspec.Struct, rename="lower"):
    """Lower case on the wire, unlike the rest of the exec's inspect (dockerpty, in docker-compose exec, reads tty)."""

    entrypoint: str
    arguments: list[str]
    privileged: bool
    tty: bool
    user: str


class ExecInspect(msgspec.Struct, rename=docker_name):
    i_d: str
    container_i_d: str
    running: bool
    exit_code: int | None
    pid: int
    open_stdin: bool
    open_stdout: bool
    open_stderr: bool
    process_config: ProcessConfig
    can_remove: bool = False
    detach_keys: str = ""


class ExecState(msgspec.Struct):
    """Docker keeps exec instances in the daemon's memory only; so does hydockd."""

    id: str
    container_id: str
    config: ExecConfig
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    started: bool = False
    engine_id: str = ""
    """The engine's name for the process once started: its control socket's."""
    ready: asyncio.Event = msgspec.field(default_factory=asyncio.Event)
    """Set once the process runs (or failed to start)."""


def _service(request: web.Request) -> ExecService:
    return request.app["exec_service"]


def _execs(request: web.Request) -> dict[str, ExecState]:
    return request.app["execs"]


@routes.post("/containers/{id}/exec")
async def create(request: web.Request) -> web.Response:
    engine: Engine = request.app["engine"]
    record = await run_blocking(engine.container_service.inspect, request.match_info["id"])
    config = await decode_body(request, ExecConfig)
    parse_detach_keys(config.detach_keys or DEFAULT_DETACH_KEYS)
    if not record.state.running:
        raise Conflict(f"Container {record.id} is not running")
    # dockerd works out the links' environment here: a linked container stopped since refuses the exec at once.
    containers = engine.container_service
    await run_blocking(containers.networking.link_environment, record, containers.inspect)
    exec_id = os.urandom(32).hex()
    _execs(request)[exec_id] = ExecState(exec_id, record.id, config)
    return json_response(ExecCreated(exec_id), status=201)


def _lookup(request: web.Request) -> ExecState:
    state = _execs(request).get(request.match_info["id"])
    if state is None:
        raise NotFound(f"No such exec instance: {request.match_info['id']}")
    return state


@routes.post("/exec/{id}/start")
async def start(request: web.Request) -> web.StreamResponse:
    state = _lookup(request)
    body = await decode_body(request, ExecStartBody)
    if state.started:
        raise Conflict(f"Error: Exec command {state.id} has already run")
    state.started = True
    # Like Docker, the connection is hijacked before the process starts, so a start failure
    # reaches the client as text on the stream and as the exec's exit code.
    stream = None if body.detach else HijackedStream(request)
    service, config = _service(request), state.config
    try:
        piped = await run_blocking(
            start_with_output_pipes,
            lambda out, err: service.start(state.container_id, config, stdout_fd=out, stderr_fd=err),
        )
    except HydockError as exc:
        state.exit_code = 127 if getattr(exc, "exit_code", 0) == 127 else 126
        if stream is None:
            raise
        message = f"{exc}\r\n".encode()
        stream.write(message if config.tty else frame(STDOUT, message))
        return stream.close()
    finally:
        state.ready.set()
    assert piped is not None
    (state.engine_id, started), out_read, err_read = piped
    state.running, state.pid = True, started.pid
    hub = OutputHub()
    output = hub.output()
    hub.connect(out_read, err_read)
    exited = asyncio.ensure_future(_finish(state, started.status_fd))
    if stream is None:
        asyncio.ensure_future(_drain(output))
        return web.Response(status=200)
    wanted = {STDOUT} if config.attach_stdout else set()
    if config.attach_stderr:
        wanted.add(STDERR)

    async def connect() -> socket.socket | None:
        control = await run_blocking(service.control, state.container_id, state.engine_id)
        control.socket.setblocking(False)
        return control.socket

    keys = parse_detach_keys(config.detach_keys or DEFAULT_DETACH_KEYS) if config.tty else None
    stdin = SessionInput(connect, close_on_eof=True, detach_keys=keys) if config.attach_stdin else None
    ending = await run_session(stream, output, tty=config.tty, wanted=wanted, stdin=stdin)
    if ending is Ending.OUTPUT_DONE:
        # The client asks for the exit code as soon as the stream ends: record it first.
        await exited
    else:
        asyncio.ensure_future(_drain(output))
    return stream.close()


async def _drain(output: AsyncIterator[tuple[int, bytes]]) -> None:
    """Reads output nobody is attached to any more, so the process never blocks writing it."""
    async for _ in output:
        pass


async def _finish(state: ExecState, status_fd: int) -> None:
    line = await read_status_line(status_fd)
    exited = msgspec.json.decode(line, type=ExitStatus) if line else ExitStatus(255)
    state.running, state.exit_code = False, exited.exit_code


@routes.get("/exec/{id}/json")
async def inspect(request: web.Request) -> web.Response:
    state = _lookup(request)
    config = state.config
    return json_response(
        ExecInspect(
            i_d=state.id,
            container_i_d=state.container_id,
            running=state.running,
            exit_code=state.exit_code,
            pid=state.pid,
            open_stdin=config.attach_stdin,
            open_stdout=config.attach_stdout,
            open_stderr=config.attach_stderr,
            process_config=ProcessConfig(config.cmd[0], config.cmd[1:], config.privileged, config.tty, config.user),
            detach_keys=config.detach_keys,
        )
    )


# Docker's wait for an exec that its client resizes right after asking to start it.
READY_TIMEOUT = 10.0


@routes.post("/exec/{id}/resize")
async def resize(request: web.Request) -> web.Response:
    state = _lookup(request)
    height, width = terminal_size(request)
    try:
        await asyncio.wait_for(state.ready.wait(), READY_TIMEOUT)
    except TimeoutError:
        raise HydockError("timeout waiting for exec session ready") from None
    if state.config.tty and state.engine_id:
        control = await run_blocking(_service(request).control, state.container_id, state.engine_id)
        with control:
            await run_blocking(control.resize, height, width)
    return web.Response(status=200)
