"""Errors of the API client: daemon out of reach, malformed replies, HTTP statuses mapped to hydock.errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from hydock.errors import (
    Conflict,
    ContainerNotFound,
    HydockError,
    ImageNotFound,
    InvalidArgument,
    NotFound,
    NotImplementedYet,
    VolumeNotFound,
)

if TYPE_CHECKING:
    from hydock.client.transport import Response


class DaemonUnavailable(HydockError):
    """The daemon's socket is missing, refuses connections, or dropped the connection mid-exchange."""


class ProtocolError(HydockError):
    """The daemon's reply is not the HTTP or stream format the client expects."""


class ErrorResponse(msgspec.Struct):
    """The body of every Docker Engine API error: `{"message": "..."}`."""

    message: str = ""


_BY_STATUS: dict[int, type[HydockError]] = {400: InvalidArgument, 404: NotFound, 409: Conflict, 501: NotImplementedYet}
_NOT_FOUND_BY_PHRASE: tuple[tuple[str, type[NotFound]], ...] = (
    ("no such container", ContainerNotFound),
    ("no such image", ImageNotFound),
    ("no such volume", VolumeNotFound),
)


def raise_for_status(response: Response) -> None:
    """Raise the hydock error for a 4xx/5xx reply, with the daemon's own message; 1xx-3xx (304 included) pass."""
    if response.status < 400:
        return
    message = _error_message(response)
    error = _BY_STATUS.get(response.status, HydockError)
    if error is NotFound:
        lowered = message.lower()
        error = next((cls for phrase, cls in _NOT_FOUND_BY_PHRASE if phrase in lowered), NotFound)
    raise error(message)


def _error_message(response: Response) -> str:
    body = response.read()
    try:
        message = msgspec.json.decode(body, type=ErrorResponse).message
    except msgspec.DecodeError:
        # Proxies and very old daemons answer in plain text.
        message = body.decode(errors="replace").strip()
    return message or f"{response.method} {response.path}: {response.status} {response.reason}"
