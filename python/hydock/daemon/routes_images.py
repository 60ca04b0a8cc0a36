"""/images/...: list, inspect, history, tag, remove, prune, import (POST /images/create?fromSrc=), save (get) and
load."""

from __future__ import annotations

import logging

import msgspec
from aiohttp import web

from hydock.api_types import ErrorDetail, ImagePruneResponse, JSONMessage
from hydock.daemon import routes_distribution
from hydock.daemon.blocking import run_blocking
from hydock.daemon.body_pipe import pipe_body
from hydock.daemon.params import filters, json_response, query_bool
from hydock.engine import Engine
from hydock.engine.container_commit import commit_container
from hydock.engine.image_archives import LoadedImage
from hydock.errors import HydockError, InvalidArgument
from hydock.store.reference import join_tag

routes = web.RouteTableDef()
log = logging.getLogger("hydockd")
_encoder = msgspec.json.Encoder()


class ProgressMessage(msgspec.Struct, omit_defaults=True):
    status: str = ""


def _engine(request: web.Request) -> Engine:
    return request.app["engine"]


@routes.get("/images/json")
async def list_images(request: web.Request) -> web.Response:
    summaries = await run_blocking(_engine(request).image_service.summaries, all=query_bool(request, "all"))
    return json_response(summaries)


@routes.get("/images/{name:.+}/json")
async def inspect(request: web.Request) -> web.Response:
    return json_response(await run_blocking(_engine(request).image_service.inspect, request.match_info["name"]))


@routes.get("/images/{name:.+}/history")
async def history(request: web.Request) -> web.Response:
    return json_response(await run_blocking(_engine(request).image_service.history, request.match_info["name"]))


@routes.post("/images/{name:.+}/tag")
async def tag(request: web.Request) -> web.Response:
    repo = request.query.get("repo", "")
    if not repo:
        raise InvalidArgument("repository name must have at least one component")
    tag_name = request.query.get("tag") or "latest"
    images = _engine(request).image_service
    await run_blocking(images.tag, request.match_info["name"], f"{repo}:{tag_name}")
    request.app["events"].emit(
        "image", "tag", await run_blocking(images.resolve, f"{repo}:{tag_name}"), {"name": f"{repo}:{tag_name}"}
    )
    return web.Response(status=201)


@routes.delete("/images/{name:.+}")
async def remove(request: web.Request) -> web.Response:
    engine = _engine(request)
    actions = await run_blocking(
        engine.image_service.remove,
        request.match_info["name"],
        force=query_bool(request, "force"),
        in_use=await _images_in_use(engine),
    )
    _emit_removals(request, actions)
    return json_response(actions)


@routes.post("/commit")
async def commit(request: web.Request) -> web.Response:
    """docker commit: the container's changes on top of its image, as a new image."""
    query = request.query
    if not query.get("container"):
        raise InvalidArgument("container is required")
    repo = query.get("repo", "")
    engine = _engine(request)
    image_id = await run_blocking(
        commit_container,
        engine.image_service,
        engine.container_service,
        query["container"],
        join_tag(repo, query.get("tag", "")) if repo else None,
        changes=query.getall("changes", []),
        message=query.get("comment", ""),
        author=query.get("author", ""),
        pause=query_bool(request, "pause", True),
    )
    request.app["events"].emit("container", "commit", query["container"], {"comment": query.get("comment", "")})
    return json_response({"Id": image_id}, status=201)


@routes.post("/images/prune")
async def prune(request: web.Request) -> web.Response:
    wanted = filters(request)
    if set(wanted) - {"dangling"}:
        raise InvalidArgument(f"invalid filter '{sorted(set(wanted) - {'dangling'})[0]}'")
    dangling = wanted.get("dangling", ["true"])
    if any(value not in ("true", "false", "1", "0") for value in dangling):
        raise InvalidArgument(f"invalid filter 'dangling={dangling[0]}'")
    engine = _engine(request)
    actions, reclaimed = await run_blocking(
        engine.image_service.prune, dangling_only=dangling[-1] in ("true", "1"), in_use=await _images_in_use(engine)
    )
    _emit_removals(request, actions)
    request.app["events"].emit("image", "prune", "", {"reclaimed": str(reclaimed)})
    return json_response(ImagePruneResponse(actions or None, reclaimed))


async def _images_in_use(engine: Engine) -> set[str]:
    return {record.image for record in await run_blocking(engine.container_service.list_records, all=True)}


def _emit_removals(request: web.Request, actions: list[dict[str, str]]) -> None:
    for action in actions:
        for kind, subject in action.items():
            request.app["events"].emit("image", "untag" if kind == "Untagged" else "delete", subject, {"name": subject})


@routes.post("/images/create")
async def create(request: web.Request) -> web.StreamResponse:
    if "fromImage" in request.query:
        return await routes_distribution.pull(request)
    if request.query.get("fromSrc") != "-":
        raise InvalidArgument("only fromSrc=- (the tar in the request body) is supported")
    repo, tag_name = request.query.get("repo", ""), request.query.get("tag", "")
    reference = f"{repo}:{tag_name}" if repo and tag_name else repo or None
    engine = _engine(request)
    ingest = engine.store.blobs.ingest_path()
    try:
        with open(ingest, "wb") as upload:
            async for chunk in request.content.iter_chunked(1 << 20):
                await run_blocking(upload.write, chunk)
        image_id = await run_blocking(
            engine.image_service.import_image,
            str(ingest),
            reference,
            changes=request.query.getall("changes", []),
            message=request.query.get("message", ""),
        )
    finally:
        ingest.unlink(missing_ok=True)
    request.app["events"].emit("image", "import", image_id, {"name": reference or image_id})
    return json_response(ProgressMessage(status=image_id))


@routes.get("/images/get")
async def save_several(request: web.Request) -> web.StreamResponse:
    return await _save(request, request.query.getall("names", []))


@routes.get("/images/{name:.+}/get")
async def save(request: web.Request) -> web.StreamResponse:
    return await _save(request, [request.match_info["name"]])


async def _save(request: web.Request, names: list[str]) -> web.StreamResponse:
    # Looked up before the 200 goes out, so an unknown name is a plain 404.
    archive = await run_blocking(_engine(request).image_service.save, names)
    response = web.StreamResponse(headers={"Content-Type": "application/x-tar"})
    await response.prepare(request)
    chunks = iter(archive)
    try:
        while (chunk := await run_blocking(next, chunks, None)) is not None:
            await response.write(chunk)
    except (HydockError, OSError) as exc:
        # The 200 is out: all that is left to tell the client the tar is broken is to cut it short.
        log.error("saving %s failed: %s", " ".join(names), exc)
        assert request.transport is not None
        request.transport.close()
        return response
    for image_id in archive.image_ids:
        request.app["events"].emit("image", "save", image_id, {"name": image_id})
    await response.write_eof()
    return response


@routes.post("/images/load")
async def load(request: web.Request) -> web.StreamResponse:
    """The body streams through a pipe to the loader's thread; like Docker, its errors come in the JSON stream."""
    engine = _engine(request)
    loading = await pipe_body(request, lambda read_fd: _load_from_pipe(engine, read_fd))
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    try:
        loaded = await loading
    except (HydockError, OSError) as exc:
        await response.write(_encoder.encode(JSONMessage(error=str(exc), error_detail=ErrorDetail(str(exc)))) + b"\n")
        loaded = []
    for image in loaded:
        for line in _load_report(image):
            await response.write(_encoder.encode(JSONMessage(stream=line)) + b"\n")
        for name in image.tags or [image.id]:
            request.app["events"].emit("image", "load", image.id, {"name": name})
    await response.write_eof()
    return response


def _load_from_pipe(engine: Engine, read_fd: int) -> list[LoadedImage]:
    # Closing the read end as soon as the load ends tells the writer, waiting on a full pipe, to stop.
    with open(read_fd, "rb") as archive:
        return engine.image_service.load(archive)


def _load_report(image: LoadedImage) -> list[str]:
    """What `docker load` prints for an image."""
    lines = [
        f"The image {tag} already exists, renaming the old one with ID {previous} to empty string\n"
        for tag, previous in image.replaced.items()
    ]
    return lines + ([f"Loaded image: {tag}\n" for tag in image.tags] or [f"Loaded image ID: {image.id}\n"])
