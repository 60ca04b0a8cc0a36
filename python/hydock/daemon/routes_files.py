"""A container's files: /containers/{id}/archive (HEAD stat, GET a tar of a path, PUT a tar into a directory), export
and changes. Tars stream through pipes to and from the worker thread that reads or writes the container's files."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
from collections.abc import Callable
from typing import BinaryIO

import msgspec
from aiohttp import web

from hydock.api_storage import PATH_STAT_HEADER, PathStat
from hydock.daemon.blocking import run_blocking
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
    body = io.BufferedReader(_BodyReader(request, asyncio.get_running_loop()), _CHUNK)
    await run_blocking(
        files.put_archive,
        name,
        path,
        body,
        copy_uid_gid=query_bool(request, "copyUIDGID"),
        no_overwrite_dir_non_dir=query_bool(request, "noOverwriteDirNonDir"),
    )
    record = await run_blocking(request.app["engine"].container_service.inspect, name)
    request.app["events"].emit("container", "extract-to-dir", record.id, attributes_of(record))
    return web.Response(status=200)


class _BodyReader(io.RawIOBase):
    """The request body as a blocking file for a worker thread: each read waits for the event loop to hand over what
    has arrived, so the tar is unpacked as it comes."""

    def __init__(self, request: web.Request, loop: asyncio.AbstractEventLoop) -> None:
        self._content = request.content
        self._loop = loop
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self._pending:
            self._pending = asyncio.run_coroutine_threadsafe(self._content.readany(), self._loop).result()
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


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
