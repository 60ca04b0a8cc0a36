"""Client side of the Docker Engine API: a lean HTTP/1.1 transport to hydockd (or dockerd), its stream formats,
typed endpoint calls (`APIClient`) and the docker-py shaped `Client` (imported lazily: the CLI needs only the
endpoint calls)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["APIClient", "Client"]

if TYPE_CHECKING:
    from hydock.client.api import APIClient
    from hydock.client.models import Client


def __getattr__(name: str) -> Any:
    if name == "APIClient":
        from hydock.client.api import APIClient

        return APIClient
    if name == "Client":
        from hydock.client.models import Client

        return Client
    raise AttributeError(name)
