"""What a registry request names: repository, digest, tag, upload id, page; each checked or refused in the spec's words."""

from __future__ import annotations

import re
from urllib.parse import quote

from aiohttp import web

from hydock.errors import InvalidReference, StoreError
from hydock.registry.server.errors import DistributionError, upload_unknown
from hydock.store.blobs import split_digest
from hydock.store.reference import validate_repository_path, validate_tag

# The route captures any path before the resource; the name's grammar is checked here so that a bad
# name is a NAME_INVALID, not a 404.
NAME = r"{name:.+}"
_UPLOAD_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def repository(request: web.Request) -> str:
    return repository_name(request.match_info["name"])


def repository_name(name: str) -> str:
    try:
        return validate_repository_path(name)
    except InvalidReference as exc:
        raise DistributionError("NAME_INVALID", "invalid repository name", {"name": name, "reason": str(exc)}) from None


def digest(text: str) -> str:
    """A digest the store can hold (sha256); others are refused with DIGEST_INVALID, as the spec allows."""
    try:
        split_digest(text)
    except StoreError as exc:
        raise DistributionError("DIGEST_INVALID", "provided digest did not match uploaded content", {
            "digest": text, "reason": str(exc)}) from None  # fmt: skip
    return text


def is_digest_reference(reference: str) -> bool:
    """A manifest reference is a digest when it has an algorithm prefix; tags cannot contain ':'."""
    return ":" in reference


def tag(text: str) -> str:
    try:
        return validate_tag(text)
    except InvalidReference:
        raise DistributionError("MANIFEST_INVALID", "invalid tag", {"tag": text}) from None


def upload_id(request: web.Request) -> str:
    """The session id of an upload URL; anything else never reaches the file system."""
    text = request.match_info["upload_id"]
    if not _UPLOAD_ID.match(text):
        raise upload_unknown(text)
    return text


def content_range(request: web.Request) -> tuple[int, int] | None:
    """A chunk's `Content-Range: <start>-<end>` (inclusive); some clients prefix it with `bytes ` and add `/*`."""
    text = request.headers.get("Content-Range")
    if text is None:
        return None
    match = re.fullmatch(r"(?:bytes[ =])?(\d+)-(\d+)(?:/(?:\d+|\*))?", text.strip())
    if match is None:
        raise DistributionError("BLOB_UPLOAD_INVALID", "invalid Content-Range", {"Content-Range": text})
    return int(match.group(1)), int(match.group(2))


def paginate(items: list[str], request: web.Request) -> tuple[list[str], str | None]:
    """One page of a sorted list by `n` and `last`, and the `Link` header to the next page when there is one."""
    last = request.query.get("last")
    if last:
        items = [item for item in items if item > last]
    raw_n = request.query.get("n")
    if raw_n is None or raw_n == "":
        return items, None
    if not raw_n.isdigit():
        raise DistributionError("UNSUPPORTED", "invalid page size", {"n": raw_n}, status=400)
    n = int(raw_n)
    page = items[:n]
    if n == 0 or len(items) <= n:
        return page, None
    return page, f'<{request.path}?n={n}&last={quote(page[-1], safe="")}>; rel="next"'
