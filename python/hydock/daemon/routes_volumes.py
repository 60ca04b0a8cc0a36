"""/volumes: create, list, inspect, remove and prune local volumes, in Docker's shapes."""

from __future__ import annotations

import re

from aiohttp import web

from hydock.api_storage import Volume, VolumeCreateBody, VolumeList, VolumePruneResponse
from hydock.daemon.blocking import run_blocking
from hydock.daemon.params import decode_body, filters, json_response, query_bool
from hydock.engine import Engine
from hydock.engine.volumes import LOCAL_DRIVER, VolumeService
from hydock.errors import InvalidArgument
from hydock.filters import all_labels_match

routes = web.RouteTableDef()
_TRUE = ("true", "1")
_BOOLEANS = ("true", "false", "1", "0")


def _volumes(request: web.Request) -> VolumeService:
    engine: Engine = request.app["engine"]
    return engine.volume_service


def _name_matches(name: str, pattern: str) -> bool:
    """Docker's name filter: a regular expression searched in the name (a plain substring if it is not one)."""
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return pattern in name


def _listed(service: VolumeService, wanted: dict[str, list[str]]) -> list[Volume]:
    for key in wanted:
        if key not in ("dangling", "name", "driver", "label"):
            raise InvalidArgument(f"invalid filter '{key}'")
    for value in wanted.get("dangling", []):
        if value.lower() not in _BOOLEANS:
            raise InvalidArgument(f"invalid filter 'dangling={value}'")
    dangling = {value.lower() in _TRUE for value in wanted.get("dangling", [])}
    users = service.users() if dangling else {}
    volumes = []
    for record in service.records():
        if dangling and (record.name not in users) not in dangling:
            continue
        if "name" in wanted and not any(_name_matches(record.name, v) for v in wanted["name"]):
            continue
        if "driver" in wanted and LOCAL_DRIVER not in wanted["driver"]:
            continue
        if not all_labels_match(record.labels, wanted.get("label", [])):
            continue
        volumes.append(service.to_api(record))
    return volumes


@routes.get("/volumes")
async def list_volumes(request: web.Request) -> web.Response:
    volumes = await run_blocking(_listed, _volumes(request), filters(request))
    return json_response(VolumeList(volumes))


@routes.post("/volumes/create")
async def create(request: web.Request) -> web.Response:
    body = await decode_body(request, VolumeCreateBody)
    service = _volumes(request)
    record = await run_blocking(
        service.create, body.name, driver=body.driver, labels=body.labels, options=body.driver_opts
    )
    request.app["events"].emit("volume", "create", record.name, {"driver": LOCAL_DRIVER})
    return json_response(service.to_api(record), status=201)


@routes.get("/volumes/{name}")
async def inspect(request: web.Request) -> web.Response:
    return json_response(await run_blocking(_volumes(request).inspect, request.match_info["name"]))


@routes.delete("/volumes/{name}")
async def remove(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    await run_blocking(_volumes(request).remove, name, force=query_bool(request, "force"))
    request.app["events"].emit("volume", "destroy", name, {"driver": LOCAL_DRIVER})
    return web.Response(status=204)


@routes.post("/volumes/prune")
async def prune(request: web.Request) -> web.Response:
    wanted = filters(request)
    for key in wanted:
        if key not in ("label", "label!", "all"):
            raise InvalidArgument(f"invalid filter '{key}'")
    # API versions before 1.42 (all hydockd speaks) prune every unused volume unless told otherwise.
    everything = all(value.lower() in _TRUE for value in wanted.get("all", ["true"]))
    deleted, reclaimed = await run_blocking(
        _volumes(request).prune,
        all=everything,
        labels=tuple(wanted.get("label", [])),
        not_labels=tuple(wanted.get("label!", [])),
    )
    for name in deleted:
        request.app["events"].emit("volume", "destroy", name, {"driver": LOCAL_DRIVER})
    request.app["events"].emit("volume", "prune", "", {"reclaimed": str(reclaimed)})
    return json_response(VolumePruneResponse(deleted, reclaimed))
