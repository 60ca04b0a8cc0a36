"""/images/...: list, inspect, history, tag, remove, import (POST /images/create?fromSrc=)."""

from __future__ import annotations

import msgspec
from aiohttp import web

from hydock.api_types import ImagePruneResponse
from hydock.daemon.blocking import run_blocking
from hydock.daemon.params import filters, json_response, query_bool
from hydock.engine import Engine
from hydock.errors import InvalidArgument, NotImplementedYet

routes = web.RouteTableDef()


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
        raise NotImplementedYet("pulling images from a registry is not supported by hydockd yet")
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
