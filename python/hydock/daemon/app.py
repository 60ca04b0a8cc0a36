"""The aiohttp application: API version prefixes, Docker-shaped errors, and every route table."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from hydock.api_types import API_VERSION, MIN_API_VERSION, ErrorResponse
from hydock.daemon import (
    routes_build,
    routes_containers,
    routes_distribution,
    routes_exec,
    routes_files,
    routes_images,
    routes_system,
    routes_volumes,
)
from hydock.daemon.errors import http_status
from hydock.daemon.events import EventBus
from hydock.daemon.lifecycle import Lifecycle
from hydock.daemon.params import json_response
from hydock.daemon.routes_networks import routes as network_routes
from hydock.engine import Engine
from hydock.engine.execs import ExecService
from hydock.errors import HydockError
from hydock.network.dns_server import EmbeddedDNS
from hydock.registry.client import Registries, RegistrySettings
from hydock.registry.pull import DEFAULT_MAX_DOWNLOADS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
VERSION_SEGMENT = r"/v{api_version:\d+\.\d+}"


def _version_tuple(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


@web.middleware
async def api_version(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Accepts /v1.24 ... /v1.41 prefixes (and none), as Docker does, answering in its words otherwise."""
    asked_text = request.match_info.get("api_version")
    if asked_text:
        asked = _version_tuple(asked_text)
        if asked > _version_tuple(API_VERSION):
            message = f"client version {asked_text} is too new. Maximum supported API version is {API_VERSION}"
            return json_response(ErrorResponse(message), status=400)
        if asked < _version_tuple(MIN_API_VERSION):
            message = (
                f"client version {asked_text} is too old. Minimum supported API version is {MIN_API_VERSION}, "
                "please upgrade your client to a newer version"
            )
            return json_response(ErrorResponse(message), status=400)
    return await handler(request)


def add_versioned(router: web.UrlDispatcher, table: web.RouteTableDef) -> None:
    """Each route under its plain path and under every /vX.Y prefix."""
    for route in table:
        assert isinstance(route, web.RouteDef)
        router.add_route(route.method, route.path, route.handler)
        router.add_route(route.method, VERSION_SEGMENT + route.path, route.handler)


@web.middleware
async def docker_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except HydockError as exc:
        return json_response(ErrorResponse(str(exc)), status=http_status(exc))
    except ConnectionResetError:
        # The client went away mid-stream (e.g. a `wait` or `logs -f` it gave up on): nothing to answer.
        return web.Response(status=499)
    except web.HTTPNotFound:
        return json_response(ErrorResponse("page not found"), status=404)
    except web.HTTPMethodNotAllowed:
        return json_response(ErrorResponse(f"{request.method} is not allowed for {request.path}"), status=405)


def build_app(
    engine: Engine, registries: Registries | None = None, max_downloads: int = DEFAULT_MAX_DOWNLOADS
) -> web.Application:
    app = web.Application(middlewares=[docker_errors, api_version], client_max_size=0)
    events = EventBus()
    app["engine"] = engine
    app["events"] = events
    app["lifecycle"] = Lifecycle(engine, events)
    app["daemon_id"] = secrets.token_hex(16)
    app["execs"] = {}
    app["exec_service"] = ExecService(engine.container_service)
    app["dns"] = EmbeddedDNS(engine.container_service.networking.store)
    routes_distribution.register(app, engine.store, registries or Registries(RegistrySettings()), max_downloads)
    routes_build.register(app, engine)
    tables = (
        routes_system,
        routes_containers,
        routes_images,
        routes_exec,
        routes_distribution,
        routes_build,
        routes_volumes,
        routes_files,
    )
    for table in (module.routes for module in tables):
        add_versioned(app.router, table)
    add_versioned(app.router, network_routes)
    routes_system.register_later_issues(app.router, VERSION_SEGMENT)
    return app
