"""hydock: a Docker-compatible container platform, a Python front end over a Rust core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Client", "Engine", "__version__"]

if TYPE_CHECKING:
    from hydock.client.models import Client
    from hydock.engine import Engine


def __getattr__(name: str) -> Any:
    # Lazy, so that `hydock --version` and the CLI's start-up import neither the engine nor the Client.
    if name == "Engine":
        from hydock.engine import Engine

        return Engine
    if name == "Client":
        from hydock.client.models import Client

        return Client
    raise AttributeError(name)
