"""The registry's aiohttp application: every route table, the spec's error bodies and headers, auth and
read-only mode as middlewares."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from hydock.registry.server import routes_blobs, routes_manifests, routes_referrers, routes_tags, routes_uploads
from hydock.registry.server.auth import READ_METHODS, Authenticator, auth_middleware
from hydock.registry.server.errors import DistributionError
from hydock.registry.server.manifests import MAX_MANIFEST_BYTES
from hydock.registry.server.responses import error_response, json_response
from hydock.registry.server.state import STORAGE, UPLOADS
from hydock.registry.server.storage import RegistryStorage
from hydock.registry.server.uploads import Uploads

API_VERSION_HEADER = {"Docker-Distribution-API-Version": "registry/2.0"}


@web.middleware
async def distribution_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Docker clients look for the API version header on every answer, refusals included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(API_VERSION_HEADER)
        raise
    response.headers.update(API_VERSION_HEADER)
    return response


@web.middleware
async def distribution_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed:
        error = DistributionError("UNSUPPORTED", "the operation is unsupported", {"method": request.method})
    except DistributionError as exc:
        error = exc
    return error_response(error)


@web.middleware
async def refuse_writes(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answers writes as Docker's registry does in read-only mode: UNSUPPORTED, 405."""
    if request.method not in READ_METHODS:
        raise DistributionError("UNSUPPORTED", "the registry is read-only", {"method": request.method})
    return await handler(request)


async def api_base(request: web.Request) -> web.Response:
    """`GET /v2/`: the client learns that this is a registry, and (through auth) how to log in to it."""
    return json_response({})


def build_app(
    storage: RegistryStorage,
    *,
    authenticator: Authenticator | None = None,
    read_only: bool = False,
    max_uploads: int = 0,
) -> web.Application:
    middlewares: list[Middleware] = [distribution_headers, distribution_errors]
    if authenticator is not None:
        middlewares.append(auth_middleware(authenticator))
    if read_only:
        middlewares.append(refuse_writes)
    app = web.Application(middlewares=middlewares, client_max_size=MAX_MANIFEST_BYTES)
    app[STORAGE] = storage
    app[UPLOADS] = Uploads(storage, max_uploads)
    app.router.add_get("/v2/", api_base)
    for table in (routes_tags.routes, routes_uploads.routes, routes_blobs.routes, routes_manifests.routes,
                  routes_referrers.routes):  # fmt: skip
        app.router.add_routes(table)
    return app
