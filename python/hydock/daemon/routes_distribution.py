"""Registry operations through the Engine API: pull (POST /images/create?fromImage=), push, and /auth; progress
streams as Docker's JSON messages, credentials come in X-Registry-Auth."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec
from aiohttp import web

from hydock.api_types import ErrorDetail, JSONMessage
from hydock.daemon.params import decode_body, json_response
from hydock.errors import BuildError, HydockError
from hydock.platforms import host_architecture
from hydock.registry.auth import AuthConfig, AuthResponse, decode_registry_auth
from hydock.registry.client import Registries
from hydock.registry.credentials import registry_domain
from hydock.registry.manifests import PlatformSpec, parse_platform
from hydock.registry.progress import Report
from hydock.registry.pull import Puller
from hydock.registry.push import Pusher
from hydock.store import Store
from hydock.store.reference import join_tag, parse_reference

routes = web.RouteTableDef()
log = logging.getLogger(__name__)


def _puller(request: web.Request) -> Puller:
    return request.app["puller"]


def _registries(request: web.Request) -> Registries:
    return request.app["registries"]


async def stream_messages(
    request: web.Request, work: Callable[[Report], Coroutine[Any, Any, None]]
) -> web.StreamResponse:
    """Runs `work`, streaming the messages it reports as JSON lines. A failure before the first message is a
    plain error response (as dockerd answers an unknown image); after it, the last line, in Docker's
    errorDetail form, the status being 200 by then."""
    queue: asyncio.Queue[JSONMessage] = asyncio.Queue()
    task = asyncio.create_task(work(queue.put_nowait))
    encoder = msgspec.json.Encoder()
    response: web.StreamResponse | None = None
    try:
        while not task.done() or not queue.empty():
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait([getter, task], return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                continue
            if response is None:
                response = web.StreamResponse(headers={"Content-Type": "application/json"})
                await response.prepare(request)
            await response.write(encoder.encode(getter.result()) + b"\n")
        if response is None:
            task.result()
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(request)
        task.result()
    except Exception as exc:
        if response is None:
            raise
        if not isinstance(exc, HydockError):
            log.exception("%s %s failed", request.method, request.path)
        message = str(exc) or type(exc).__name__
        detail = ErrorDetail(message, exc.code if isinstance(exc, BuildError) else 0)
        await response.write(encoder.encode(JSONMessage(error=message, error_detail=detail)) + b"\n")
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    await response.write_eof()
    return response


async def pull(request: web.Request) -> web.StreamResponse:
    """POST /images/create?fromImage=NAME&tag=TAG|DIGEST (an empty tag pulls every tag)."""
    tag = request.query.get("tag", "")
    name = join_tag(request.query["fromImage"], tag)
    ref = parse_reference(name)  # a bad name is a 400, before the stream starts
    platform = parse_platform(request.query.get("platform", ""), PlatformSpec("linux", host_architecture()))
    auth = decode_registry_auth(request.headers.get("X-Registry-Auth"))
    puller, events = _puller(request), request.app["events"]

    async def work(report: Report) -> None:
        if tag or ref.tag or ref.digest:
            results = [await puller.pull(name, auth, platform, report)]
        else:
            results = await puller.pull_all_tags(name, auth, platform, report)
        for result in results:
            events.emit("image", "pull", result.reference, {"name": result.reference})

    return await stream_messages(request, work)


@routes.post("/auth")
async def auth(request: web.Request) -> web.Response:
    """What `docker login` asks: do these credentials open that registry?"""
    config = await decode_body(request, AuthConfig)
    await _registries(request).client(registry_domain(config.serveraddress), config).ping()
    return json_response(AuthResponse("Login Succeeded"))


@routes.post("/images/{name:.+}/push")
async def push(request: web.Request) -> web.StreamResponse:
    tag = request.query.get("tag", "")
    name = join_tag(request.match_info["name"], tag)
    ref = parse_reference(name)  # a bad name is a 400, before the stream starts
    auth = decode_registry_auth(request.headers.get("X-Registry-Auth"))
    pusher, events = request.app["pusher"], request.app["events"]

    async def work(report: Report) -> None:
        for result in await pusher.push(name, auth, report):
            pushed = f"{ref.familiar_repository}:{result.tag}"
            events.emit("image", "push", pushed, {"name": pushed})

    return await stream_messages(request, work)


def register(app: web.Application, store: Store, registries: Registries, max_downloads: int) -> None:
    app["registries"] = registries
    app["puller"] = Puller(store, registries, max_downloads=max_downloads)
    app["pusher"] = Pusher(store, registries)

    async def close(app: web.Application) -> None:
        await registries.close()

    app.on_cleanup.append(close)
