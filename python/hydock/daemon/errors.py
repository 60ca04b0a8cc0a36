"""The one place engine errors become HTTP statuses, with Docker's JSON error body."""

from __future__ import annotations

from hydock.errors import (
    Conflict,
    ContainerStartError,
    Forbidden,
    HydockError,
    InvalidArgument,
    NotFound,
    NotImplementedYet,
)


def http_status(exc: HydockError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, (InvalidArgument, ContainerStartError)):
        return 400
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, NotImplementedYet):
        return 501
    return 500
