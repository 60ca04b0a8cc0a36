"""A container's files: /containers/{id}/archive (HEAD stat, GET a tar of a path, PUT a tar into a directory), export
and changes. Tars stream through pipes to and from the worker thread that reads or writes the container's files."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import Callable
from typing import BinaryIO

import msgspec
from aiohttp import web

from hydock.api_storage import PATH_STAT_HEADER, PathStat
from hydock.daemon.blocking import run_blocking
from hydock.daemon.body_pipe import pipe_body
from hydock.daemon.lifecycle import attributes_of
from hydock.daemon.params import json_response, query_bool
from hydock.engine import Engine
from hydock.engine.container_files import ContainerFiles
from hydock.errors import HydockError, InvalidArgument

routes = web.RouteTableDef()
log = logging.getLogger("hydockd")
_CHUNK = 1 << 20


def _files(request: web.Request) -> ContainerFiles:
    engine: Engine = request.app["engine"]
    return engine.file_service


def _path(request: web.Request) -> str:
    path = request.query.get("path", "")
    if not path:
        raise InvalidArgument("bad parameter: path cannot be empty")
    return path


def _stat_header(stat: PathStat) -> dict[str, str]:
    return {PATH_STAT_HEADER: base64.b64encode(msgspec.json.encode(stat)).decode()}


@routes.head("/containers/{id}/archive")
async def stat_path(request: web.Request) -> web.Response:
    stat = await run_blocking(_files(request).stat, request.match_info["id"], _path(request))
    return web.Response(headers=_stat_header(stat))


@routes.get("/containers/{id}/archive")
async def get_archive(request: web.Request) -> web.StreamResponse:
    files, name, path = _files(request), request.match_info["id"], _path(request)
    # Looked up before the 200 goes out, so that a missing path is a plain 404.
    stat = await run_blocking(files.stat, name, path)
    headers = {"Content-Type": "application/x-tar", **_stat_header(stat)}
    return await _stream_tar(request, headers, lambda out: files.get_archive(name, path, out))


@routes.put("/containers/{id}/archive")
async def put_archive(request: web.Request) -> web.Response:
    files, name, path = _files(request), request.match_info["id"], _path(request)
    copy_uid_gid = query_bool(request, "copyUIDGID")
    no_overwrite = query_bool(request, "noOverwriteDirNonDir")

    def unpack(read_fd: int) -> None:
        # Closing the read end once done tells the writer, maybe waiting on a full pipe, to stop.
        with open(read_fd, "rb") as source:
            files.put_archive(name, path, source, copy_uid_gid=copy_uid_gid, no_overwrite_dir_non_dir=no_overwrite)

    await (await pipe_body(request, unpack))
    record = await run_blocking(request.app["engine"].container_service.inspect, name)
    request.app["events"].emit("container", "extract-to-dir", record.id, attributes_of(record))
    return web.Response(status=200)


@routes.get("/containers/{id}/export")
async def export(request: web.Request) -> web.StreamResponse:
    files, name = _files(request), request.match_info["id"]
    record = await run_blocking(request.app["engine"].container_service.inspect, name)
    response = await _stream_tar(request, {"Content-Type": "application/x-tar"}, lambda out: files.export(name, out))
    request.app["events"].emit("container", "export", record.id, attributes_of(record))
    return response


@routes.get("/containers/{id}/changes")
async def changes(request: web.Request) -> web.Response:
    return json_response(await run_blocking(_files(request).changes, request.match_info["id"]))


async def _stream_tar(
    request: web.Request, headers: dict[str, str], write: Callable[[BinaryIO], None]
) -> web.StreamResponse:
    """Runs `write(out)` on a worker thread and sends what it writes as it comes. The 200 is out by then: a failure
    can only cut the tar short, which the client sees as a broken archive."""
    read_fd, write_fd = os.pipe()

    def produce() -> None:
        with open(write_fd, "wb") as out:
            write(out)

    producing = asyncio.ensure_future(run_blocking(produce))
    response = web.StreamResponse(headers=headers)
    failure: Exception | None = None
    try:
        await response.prepare(request)
        while chunk := await run_blocking(os.read, read_fd, _CHUNK):
            await response.write(chunk)
    except OSError as exc:  # the client went away
        failure = exc
    finally:
        os.close(read_fd)
    try:
        await producing
    except (HydockError, OSError) as exc:
        failure = failure or exc
    if failure is not None:
        log.error("%s %s failed: %s", request.method, request.path, failure)
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response
