"""Request parameters and JSON bodies shared by the route modules: decoding, Docker's query booleans, filters."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from aiohttp import web

from hydock.errors import InvalidArgument

T = TypeVar("T")
_encoder = msgspec.json.Encoder()


def json_response(value: Any, status: int = 200) -> web.Response:
    return web.Response(body=_encoder.encode(value), status=status, content_type="application/json")


async def decode_body(request: web.Request, kind: type[T]) -> T:
    data = await request.read()
    try:
        return msgspec.json.decode(data or b"{}", type=kind)
    except msgspec.ValidationError as exc:
        raise InvalidArgument(f"invalid JSON body: {exc}") from None
    except msgspec.DecodeError as exc:
        raise InvalidArgument(f"invalid JSON body: {exc}") from None


def query_bool(request: web.Request, key: str, default: bool = False) -> bool:
    """Docker accepts 1/true/True (and 0/false/empty) for boolean query parameters."""
    value = request.query.get(key)
    if value is None:
        return default
    return value.lower() not in ("", "0", "false", "no")


def query_int(request: web.Request, key: str, default: int | None = None) -> int | None:
    value = request.query.get(key)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidArgument(f"invalid value for {key}: {value!r}") from None


def filters(request: web.Request) -> dict[str, list[str]]:
    """The `filters` query parameter: {"key": ["v", ...]} or the legacy {"key": {"v": true}}."""
    raw = request.query.get("filters")
    if not raw:
        return {}
    try:
        parsed = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise InvalidArgument(f"invalid filters: {raw}") from None
    if not isinstance(parsed, dict):
        raise InvalidArgument(f"invalid filters: {raw}")
    return {k: list(v) if isinstance(v, (list, dict)) else [str(v)] for k, v in parsed.items()}
