"""/networks: create, list, inspect, remove, connect, disconnect and prune networks, in Docker's shapes; each change
tells the embedded DNS server, which follows the user-defined networks."""

from __future__ import annotations

from aiohttp import web

from hydock.api_network import (
    NetworkConnectRequest,
    NetworkCreateRequest,
    NetworkCreateResponse,
    NetworkDisconnectRequest,
    NetworkPruneResponse,
)
from hydock.daemon.blocking import run_blocking
from hydock.daemon.params import decode_body, filters, json_response
from hydock.engine import Engine
from hydock.engine.networks import NetworkOperations

routes = web.RouteTableDef()


def _networks(request: web.Request) -> NetworkOperations:
    engine: Engine = request.app["engine"]
    return engine.network_service


def _emit(request: web.Request, action: str, network_id: str, attributes: dict[str, str]) -> None:
    request.app["events"].emit("network", action, network_id, attributes)


async def _sync_dns(request: web.Request) -> None:
    await request.app["dns"].sync()


@routes.get("/networks")
async def list_networks(request: web.Request) -> web.Response:
    return json_response(await run_blocking(_networks(request).list_networks, filters(request)))


@routes.get("/networks/{id}")
async def inspect_network(request: web.Request) -> web.Response:
    return json_response(await run_blocking(_networks(request).inspect, request.match_info["id"]))


@routes.post("/networks/create")
async def create_network(request: web.Request) -> web.Response:
    body = await decode_body(request, NetworkCreateRequest)
    record = await run_blocking(_networks(request).create, body)
    await _sync_dns(request)
    _emit(request, "create", record.id, {"name": record.name, "type": record.driver})
    return json_response(NetworkCreateResponse(record.id), status=201)


@routes.delete("/networks/{id}")
async def remove_network(request: web.Request) -> web.Response:
    record = await run_blocking(_networks(request).remove, request.match_info["id"])
    await _sync_dns(request)
    _emit(request, "destroy", record.id, {"name": record.name, "type": record.driver})
    return web.Response(status=204)


@routes.post("/networks/{id}/connect")
async def connect(request: web.Request) -> web.Response:
    body = await decode_body(request, NetworkConnectRequest)
    await run_blocking(_networks(request).connect, request.match_info["id"], body.container, body.endpoint_config)
    return await _membership_changed(request, "connect", body.container)


@routes.post("/networks/{id}/disconnect")
async def disconnect(request: web.Request) -> web.Response:
    body = await decode_body(request, NetworkDisconnectRequest)
    await run_blocking(_networks(request).disconnect, request.match_info["id"], body.container, body.force)
    return await _membership_changed(request, "disconnect", body.container)


async def _membership_changed(request: web.Request, action: str, container: str) -> web.Response:
    """Docker's network event for a container joining or leaving, and the answer to the request."""
    networks = _networks(request)
    record = await run_blocking(networks.inspect, request.match_info["id"])
    container_id = await run_blocking(networks.containers.resolve, container)
    _emit(request, action, record.id, {"container": container_id, "name": record.name, "type": record.driver})
    return web.Response(status=200)


@routes.post("/networks/prune")
async def prune_networks(request: web.Request) -> web.Response:
    removed = await run_blocking(_networks(request).prune, filters(request))
    await _sync_dns(request)
    if removed:
        _emit(request, "prune", "", {"reclaimed": "0"})
    return json_response(NetworkPruneResponse(removed or None))
