"""The registry's refusals: distribution-spec error codes, their HTTP statuses, and the JSON body they travel in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from hydock.errors import HydockError

# Statuses as Docker's distribution answers them; a few errors override theirs (416 for an upload range).
STATUS_BY_CODE = {
    "BLOB_UNKNOWN": 404,
    "BLOB_UPLOAD_INVALID": 400,
    "BLOB_UPLOAD_UNKNOWN": 404,
    "DIGEST_INVALID": 400,
    "MANIFEST_BLOB_UNKNOWN": 400,
    "MANIFEST_INVALID": 400,
    "MANIFEST_UNKNOWN": 404,
    "NAME_INVALID": 400,
    "NAME_UNKNOWN": 404,
    "SIZE_INVALID": 400,
    "UNAUTHORIZED": 401,
    "DENIED": 403,
    "UNSUPPORTED": 405,
    "TOOMANYREQUESTS": 429,
}


class ErrorEntry(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    detail: Any = None


class ErrorBody(msgspec.Struct):
    """`{"errors": [{"code", "message", "detail"}]}`, the spec's one shape for every error."""

    errors: list[ErrorEntry]


class DistributionError(HydockError):
    """A request the registry refuses: one error entry per detail (several for a manifest missing several blobs)."""

    def __init__(
        self,
        code: str,
        message: str,
        *details: Any,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status or STATUS_BY_CODE[code]
        self.details = details
        self.headers = dict(headers or {})

    def body(self) -> ErrorBody:
        return ErrorBody([ErrorEntry(self.code, str(self), detail) for detail in self.details or (None,)])


def blob_unknown(digest: str) -> DistributionError:
    return DistributionError("BLOB_UNKNOWN", "blob unknown to registry", {"digest": digest})


def manifest_unknown(reference: str) -> DistributionError:
    return DistributionError("MANIFEST_UNKNOWN", "manifest unknown", {"reference": reference})


def name_unknown(name: str) -> DistributionError:
    return DistributionError("NAME_UNKNOWN", "repository name not known to registry", {"name": name})


def upload_unknown(upload_id: str) -> DistributionError:
    return DistributionError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", {"uuid": upload_id})
