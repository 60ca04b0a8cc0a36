"""Blobs of a repository: HEAD and GET (ranges served by aiohttp's file response, straight from disk), DELETE."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hydock.registry.server import params
from hydock.registry.server.errors import blob_unknown
from hydock.registry.server.state import STORAGE

routes = web.RouteTableDef()


@routes.get(f"/v2/{params.NAME}/blobs/{{digest}}", allow_head=True)
async def get_blob(request: web.Request) -> web.StreamResponse:
    name = params.repository(request)
    digest = params.digest(request.match_info["digest"])
    storage = request.app[STORAGE]
    if not await asyncio.to_thread(storage.has_blob, name, digest):
        raise blob_unknown(digest)
    headers = {
        "Docker-Content-Digest": digest,
        "Content-Type": "application/octet-stream",
        "Cache-Control": "max-age=31536000",
    }
    return web.FileResponse(storage.blobs.path(digest), headers=headers)


@routes.delete(f"/v2/{params.NAME}/blobs/{{digest}}")
async def delete_blob(request: web.Request) -> web.Response:
    """Unlinks the blob from this repository only; its content goes when gc finds nothing else refers to it."""
    name = params.repository(request)
    digest = params.digest(request.match_info["digest"])
    if not await asyncio.to_thread(request.app[STORAGE].unlink_blob, name, digest):
        raise blob_unknown(digest)
    return web.Response(status=202, headers={"Docker-Content-Digest": digest})
