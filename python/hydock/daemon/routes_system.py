"""System endpoints: /_ping, /version, /info, /events, and clear errors for features still to come."""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import time

import msgspec
from aiohttp import web

from hydock import __version__
from hydock.api_types import (
    API_VERSION,
    MIN_API_VERSION,
    ComponentVersion,
    DiskUsage,
    InfoResponse,
    Platform,
    VersionResponse,
)
from hydock.daemon.blocking import run_blocking
from hydock.daemon.events import Event
from hydock.daemon.params import filters, json_response
from hydock.daemon.routes_containers import container_sizes, container_summary
from hydock.engine import Engine
from hydock.errors import InvalidArgument, NotImplementedYet
from hydock.filters import matches_filters
from hydock.platforms import host_architecture

routes = web.RouteTableDef()
PING_HEADERS = {
    "API-Version": API_VERSION,
    "OSType": "linux",
    "Docker-Experimental": "false",
    "Builder-Version": "1",
    "Cache-Control": "no-cache, no-store, must-revalidate",
    "Pragma": "no-cache",
}


@routes.get("/_ping")
async def ping(request: web.Request) -> web.Response:
    return web.Response(text="OK", headers=PING_HEADERS)


@routes.head("/_ping")
async def ping_head(request: web.Request) -> web.Response:
    return web.Response(headers=PING_HEADERS)


@routes.get("/version")
async def version(request: web.Request) -> web.Response:
    kernel = platform.release()
    arch = host_architecture()
    engine = ComponentVersion("Engine", __version__, {"ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION})
    return json_response(
        VersionResponse(
            platform=Platform("hydock"),
            components=[engine],
            version=__version__,
            api_version=API_VERSION,
            min_a_p_i_version=MIN_API_VERSION,
            git_commit="",
            go_version="python" + platform.python_version(),
            os="linux",
            arch=arch,
            kernel_version=kernel,
            build_time="",
        )
    )


def _os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "Linux"


@routes.get("/info")
async def info(request: web.Request) -> web.Response:
    engine: Engine = request.app["engine"]
    records = await run_blocking(engine.container_service.list_records, all=True)
    images = await run_blocking(engine.image_service.summaries)
    running = sum(r.state.running for r in records)
    cgroup_version = "2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "1"
    return json_response(
        InfoResponse(
            i_d=request.app["daemon_id"],
            containers=len(records),
            containers_running=running,
            containers_paused=0,
            containers_stopped=len(records) - running,
            images=len(images),
            driver="overlay2",
            docker_root_dir=str(engine.root),
            logging_driver="json-file",
            cgroup_driver="cgroupfs",
            cgroup_version=cgroup_version,
            kernel_version=platform.release(),
            operating_system=_os_name(),
            o_s_type="linux",
            architecture=platform.machine(),
            n_c_p_u=os.cpu_count() or 1,
            mem_total=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
            name=socket.gethostname(),
            server_version=__version__,
            security_options=["name=no-new-privileges"],
            runtimes={"hydock": {"path": "hydock-shim"}},
        )
    )


def _timestamp_ns(text: str | None, default: int) -> int:
    """Docker's since/until: unix seconds (with optional fraction) or an RFC 3339 time."""
    if not text:
        return default
    try:
        return int(float(text) * 1_000_000_000)
    except ValueError:
        pass
    from hydock.timeutil import parse_rfc3339

    try:
        return int(parse_rfc3339(text) * 1_000_000_000)
    except ValueError:
        raise InvalidArgument(f"invalid timestamp {text!r}") from None


def _event_matches(event: Event, wanted: dict[str, list[str]]) -> bool:
    checks = {
        "type": lambda v: event.type == v,
        "event": lambda v: event.action == v,
        "container": lambda v: (
            event.type == "container" and (event.actor.i_d.startswith(v) or event.actor.attributes.get("name") == v)
        ),
        "image": lambda v: event.actor.attributes.get("image") == v or event.actor.attributes.get("name") == v,
    }
    return matches_filters(wanted, checks, event.actor.attributes)


@routes.get("/events")
async def events(request: web.Request) -> web.StreamResponse:
    bus = request.app["events"]
    now = time.time_ns()
    since = _timestamp_ns(request.query.get("since"), now)
    until = _timestamp_ns(request.query.get("until"), 0)
    wanted = filters(request)
    queue = bus.subscribe()
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    encoder = msgspec.json.Encoder()
    try:
        for event in bus.since(since):
            if (not until or event.time_nano <= until) and _event_matches(event, wanted):
                await response.write(encoder.encode(event) + b"\n")
        while not until or time.time_ns() < until:
            timeout = None if not until else max(0.0, (until - time.time_ns()) / 1e9)
            try:
                event = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                break
            if event.time_nano >= since and _event_matches(event, wanted):
                await response.write(encoder.encode(event) + b"\n")
    finally:
        bus.unsubscribe(queue)
    await response.write_eof()
    return response


@routes.get("/system/df")
async def disk_usage(request: web.Request) -> web.Response:
    return json_response(await run_blocking(_disk_usage, request.app["engine"]))


def _disk_usage(engine: Engine) -> DiskUsage:
    records = engine.container_service.list_records(all=True)
    per_image: dict[str, int] = {}
    for record in records:
        per_image[record.image] = per_image.get(record.image, 0) + 1
    # One pass over the images serves both their rows and the containers' SizeRootFs.
    images = engine.image_service.summaries(containers=per_image)
    sizes = container_sizes(engine, records, {image.id: image.size for image in images})
    now = time.time()
    return DiskUsage(
        layers_size=engine.image_service.layers_size(),
        images=images,
        containers=[container_summary(record, now, sizes[record.id]) for record in records],
        volumes=engine.volume_service.disk_usage(),
        build_cache=[],
    )


async def later_issue(request: web.Request) -> web.Response:
    raise NotImplementedYet(f"{request.method} {request.path} is not supported by hydockd yet")


def register_later_issues(router: web.UrlDispatcher, version_segment: str) -> None:
    """Endpoints of features still to come (networks, swarm...) answer clearly."""
    for path in ("/networks", "/images/{name:.+}/push",
                   "/swarm", "/services", "/nodes", "/secrets", "/configs", "/plugins", "/session", "/distribution"):  # fmt: skip
        for prefix in ("", version_segment):
            router.add_route("*", prefix + path, later_issue)
            router.add_route("*", prefix + path + "/{tail:.*}", later_issue)
