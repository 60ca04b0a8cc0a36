"""Blob uploads: POST starts one (or mounts a blob from another repository, or takes a whole blob at once),
PATCH appends chunks in order, GET reports how far it got, PUT finishes it against its digest, DELETE drops it."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hydock.registry.server import params
from hydock.registry.server.auth import grant
from hydock.registry.server.errors import DistributionError
from hydock.registry.server.state import STORAGE, UPLOADS
from hydock.registry.server.uploads import Upload

routes = web.RouteTableDef()
UPLOAD_PATH = f"/v2/{params.NAME}/blobs/uploads/{{upload_id}}"


def _blob_created(name: str, digest: str) -> web.Response:
    return web.Response(status=201, headers={"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest})


def _upload_status(upload: Upload, status: int) -> web.Response:
    return web.Response(
        status=status,
        headers={
            "Location": f"/v2/{upload.repository}/blobs/uploads/{upload.id}",
            "Range": f"0-{upload.end_of_range}",
            "Docker-Upload-UUID": upload.id,
        },
    )


async def _mounted(request: web.Request, name: str) -> bool:
    """Links a blob another repository has into this one, when the client may pull from that repository.
    Otherwise the caller starts an ordinary upload (202), as the spec prescribes."""
    mount, source = request.query.get("mount"), request.query.get("from")
    if not (mount and source):
        return False
    digest = params.digest(mount)
    source = params.repository_name(source)
    if not grant(request).allows("repository", source, "pull"):
        return False
    storage = request.app[STORAGE]
    if not await asyncio.to_thread(storage.has_blob, source, digest):
        return False
    await asyncio.to_thread(storage.link_blob, name, digest)
    return True


@routes.post(f"/v2/{params.NAME}/blobs/uploads/")
async def start_upload(request: web.Request) -> web.Response:
    name = params.repository(request)
    if await _mounted(request, name):
        return _blob_created(name, params.digest(request.query["mount"]))
    uploads = request.app[UPLOADS]
    monolithic = request.query.get("digest")
    digest = params.digest(monolithic) if monolithic is not None else None
    upload = await uploads.start(name)
    if digest is None:
        return _upload_status(upload, 202)
    try:
        await uploads.append(upload, request.content, None, request.content_length)
    except BaseException:
        await uploads.cancel(upload)
        raise
    await uploads.finish(upload, digest)
    return _blob_created(name, digest)


@routes.get(UPLOAD_PATH)
async def upload_status(request: web.Request) -> web.Response:
    upload = await request.app[UPLOADS].get(params.repository(request), params.upload_id(request))
    return _upload_status(upload, 204)


@routes.patch(UPLOAD_PATH)
async def append_chunk(request: web.Request) -> web.Response:
    uploads = request.app[UPLOADS]
    upload = await uploads.get(params.repository(request), params.upload_id(request))
    await uploads.append(upload, request.content, params.content_range(request), request.content_length)
    return _upload_status(upload, 202)


@routes.put(UPLOAD_PATH)
async def finish_upload(request: web.Request) -> web.Response:
    name = params.repository(request)
    raw_digest = request.query.get("digest")
    if not raw_digest:
        raise DistributionError("DIGEST_INVALID", "the digest of the whole blob is required to finish an upload")
    digest = params.digest(raw_digest)
    uploads = request.app[UPLOADS]
    upload = await uploads.get(name, params.upload_id(request))
    if request.can_read_body:
        await uploads.append(upload, request.content, params.content_range(request), request.content_length)
    await uploads.finish(upload, digest)
    return _blob_created(name, digest)


@routes.delete(UPLOAD_PATH)
async def cancel_upload(request: web.Request) -> web.Response:
    uploads = request.app[UPLOADS]
    await uploads.cancel(await uploads.get(params.repository(request), params.upload_id(request)))
    return web.Response(status=204)
