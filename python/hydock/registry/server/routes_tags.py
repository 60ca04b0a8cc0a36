"""Listing: a repository's tags and the registry's catalog of repositories, both paginated by `n` and `last`."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hydock.registry.server import params
from hydock.registry.server.errors import name_unknown
from hydock.registry.server.params import paginate
from hydock.registry.server.records import Catalog, TagList
from hydock.registry.server.responses import json_response
from hydock.registry.server.state import STORAGE

routes = web.RouteTableDef()


@routes.get(f"/v2/{params.NAME}/tags/list")
async def list_tags(request: web.Request) -> web.Response:
    name = params.repository(request)
    storage = request.app[STORAGE]
    if not await asyncio.to_thread(storage.repository_exists, name):
        raise name_unknown(name)
    tags, link = paginate(await asyncio.to_thread(storage.tags, name), request)
    return json_response(TagList(name, tags), link=link)


@routes.get("/v2/_catalog")
async def catalog(request: web.Request) -> web.Response:
    repositories, link = paginate(await asyncio.to_thread(request.app[STORAGE].catalog), request)
    return json_response(Catalog(repositories), link=link)
