"""JSON answers of the registry: a msgspec record as the body, with the headers the spec asks for."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from hydock.registry.server.errors import DistributionError

_encoder = msgspec.json.Encoder()


def json_response(
    value: Any, *, status: int = 200, content_type: str = "application/json", link: str | None = None
) -> web.Response:
    headers = {"Content-Type": content_type}
    if link is not None:
        headers["Link"] = link
    return web.Response(body=_encoder.encode(value), status=status, headers=headers)


def error_response(error: DistributionError) -> web.Response:
    response = json_response(error.body(), status=error.status)
    response.headers.update(error.headers)
    return response
