"""hydock: a Docker-compatible container platform, a Python front end over a Rust core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Engine", "__version__"]

if TYPE_CHECKING:
    from hydock.engine import Engine


def __getattr__(name: str) -> Any:
    # Lazy, so that `hydock --version` and the CLI's start-up do not import the engine.
    if name == "Engine":
        from hydock.engine import Engine

        return Engine
    raise AttributeError(name)
