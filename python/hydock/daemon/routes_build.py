"""POST /build in the classic builder's protocol (what `DOCKER_BUILDKIT=0 docker build` and docker-py speak): the
context tar as the body, the flags as query parameters, the progress as JSON lines; and POST /build/prune."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import msgspec
from aiohttp import web

from hydock.api_types import BuildCachePruneResponse, BuildOutput, BuildSecret, JSONMessage
from hydock.daemon.blocking import run_blocking
from hydock.daemon.params import filters, json_response, query_bool
from hydock.daemon.routes_distribution import stream_messages
from hydock.dockerfile.builder import Builder, BuildOptions
from hydock.dockerfile.builder.cache import BuildCache
from hydock.dockerfile.builder.contexts import ContextStore
from hydock.dockerfile.builder.rootfs import clear_leftovers
from hydock.engine import Engine
from hydock.errors import InvalidArgument
from hydock.platforms import host_architecture
from hydock.registry.auth import AuthConfig, decode_registry_config
from hydock.registry.credentials import registry_domain
from hydock.registry.manifests import PlatformSpec, parse_platform
from hydock.registry.pull import Puller
from hydock.store.reference import parse_reference

routes = web.RouteTableDef()
T = TypeVar("T")
SECRETS_HEADER = "X-Build-Secrets"
_NETWORKS = {"": "", "default": "", "bridge": "", "host": "host", "none": "none"}
_COMPRESSED = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd")
BODY_CHUNK = 1 << 20


def _json_query(request: web.Request, key: str, kind: type[T], empty: str) -> T:
    """A query parameter holding JSON (buildargs, labels, outputs); `empty` when absent."""
    try:
        return msgspec.json.decode(request.query.get(key) or empty, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InvalidArgument(f"invalid {key}: {exc}") from None


def build_options(request: web.Request) -> BuildOptions:
    """The build's flags from the query (and the secrets from their headers), checked before the body is read."""
    query = request.query
    if query.get("remote"):
        raise InvalidArgument("remote build contexts are not supported: send the context as the request body")
    if query.get("version", "1") != "1":
        raise InvalidArgument("only the classic builder (version=1) is supported: build with DOCKER_BUILDKIT=0")
    network = query.get("networkmode", "")
    if network not in _NETWORKS:
        raise InvalidArgument(f"network mode {network!r} is not supported for builds: use host or none")
    build_args = _json_query(request, "buildargs", dict[str, str | None], "{}")
    secrets_given = _secrets(request.headers.get(SECRETS_HEADER, ""))
    return BuildOptions(
        dockerfile=query.get("dockerfile", ""),
        tags=query.getall("t", []),
        build_args={key: value for key, value in build_args.items() if value is not None},
        target=query.get("target", ""),
        no_cache=query_bool(request, "nocache"),
        pull=query_bool(request, "pull"),
        labels=_json_query(request, "labels", dict[str, str], "{}"),
        platform=query.get("platform", ""),
        network=_NETWORKS[network],
        quiet=query_bool(request, "q"),
        step_events=query_bool(request, "stepevents"),
        secrets={secret.id: secret.data for secret in secrets_given},
        outputs=_json_query(request, "outputs", list[BuildOutput], "[]"),
    )


def _secrets(header: str) -> list[BuildSecret]:
    if not header:
        return []
    try:
        return msgspec.json.decode(header, type=list[BuildSecret])
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise InvalidArgument(f"invalid {SECRETS_HEADER} header: not a JSON list of secrets") from None


def _puller(request: web.Request, loop: asyncio.AbstractEventLoop) -> Callable[..., str]:
    """Pulls for FROM and --from images on the daemon's loop, with the client's credentials (X-Registry-Config)."""
    puller: Puller = request.app["puller"]
    credentials = {registry_domain(server): auth for server, auth in decode_registry_config(
        request.headers.get("X-Registry-Config")).items()}  # fmt: skip

    def pull(name: str, platform: str, report: Callable[[JSONMessage], None]) -> str:
        auth = credentials.get(parse_reference(name).domain, AuthConfig())
        wanted = parse_platform(platform, PlatformSpec("linux", host_architecture()))
        pulled = asyncio.run_coroutine_threadsafe(puller.pull(name, auth, wanted, report), loop)
        return pulled.result().image_id

    return pull


@routes.post("/build")
async def build(request: web.Request) -> web.StreamResponse:
    options = build_options(request)
    engine: Engine = request.app["engine"]
    loop = asyncio.get_running_loop()
    builder = Builder(engine.store, engine.image_service, engine.container_service, _puller(request, loop))
    contexts = ContextStore(engine.store)
    tar, digest = await _receive(request, contexts)
    cancelled = threading.Event()
    running: list[asyncio.Future[str]] = []

    def build_in(report: Callable[[JSONMessage], None]) -> str:
        with contexts.unpacked(tar, digest) as context:
            return builder.build(context.path, options, report, cancelled, memo=context.memo)

    async def work(report: Callable[[JSONMessage], None]) -> None:
        def threadsafe(message: JSONMessage) -> None:
            loop.call_soon_threadsafe(report, message)

        running.append(asyncio.ensure_future(run_blocking(build_in, threadsafe)))
        image_id = await asyncio.shield(running[0])
        for tag in options.tags:
            name = parse_reference(tag).with_default_tag().familiar()
            request.app["events"].emit("image", "tag", image_id, {"name": name})

    try:
        return await stream_messages(request, work)
    finally:
        # A client gone mid-build stops it (and it lets go of its context).
        cancelled.set()
        await asyncio.gather(*running, return_exceptions=True)
        tar.unlink(missing_ok=True)


async def _receive(request: web.Request, contexts: ContextStore) -> tuple[Path, str]:
    """The body (the context tar) in a file, and its sha256: the same context sent again is not unpacked again."""
    tar, out = contexts.incoming()
    digest = hashlib.sha256()
    first = None
    try:
        async for chunk in request.content.iter_chunked(BODY_CHUNK):
            first = chunk if first is None else first
            digest.update(chunk)
            await run_blocking(out.write, chunk)
        out.write(_tar_end(first or b""))
    except BaseException:
        tar.unlink(missing_ok=True)
        raise
    finally:
        out.close()
    return tar, digest.hexdigest()


def register(app: web.Application, engine: Engine) -> None:
    """A daemon starting on a root clears what builds an earlier one did not finish left there."""

    async def clear(app: web.Application) -> None:
        await run_blocking(clear_leftovers, engine.store)

    app.on_startup.append(clear)


def _tar_end(first: bytes) -> bytes:
    """The docker CLI closes its pipe before its tar writer when it adds a Dockerfile from stdin, so a plain tar
    may come without its last padding and end blocks (dockerd reads it anyway): zeros after it complete it, and
    after a whole tar they are read as the nothing they are. A compressed context is left as it is. (Not part of
    the context's digest: the same tar gives the same context.)"""
    return b"" if first.startswith(_COMPRESSED) else bytes(3 * 512)


@routes.post("/build/prune")
async def prune(request: web.Request) -> web.Response:
    unknown = set(filters(request)) - {"until", "unused-for", "type", "id", "private", "shared", "inuse"}
    if unknown:
        raise InvalidArgument(f"invalid filter '{sorted(unknown)[0]}'")
    engine: Engine = request.app["engine"]
    cache = BuildCache(engine.store)
    deleted, reclaimed = await run_blocking(cache.prune, engine.image_service, everything=query_bool(request, "all"))
    return json_response(BuildCachePruneResponse(deleted or None, reclaimed))
