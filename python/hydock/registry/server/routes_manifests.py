"""Manifests of a repository by tag or digest: GET and HEAD serve the pushed bytes, PUT checks what a manifest
references before linking it (and its referrer entry, and its tag), DELETE unlinks a tag or a manifest."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hydock.errors import NotFound
from hydock.registry.server import manifests, params
from hydock.registry.server.errors import DistributionError, manifest_unknown, name_unknown
from hydock.registry.server.records import ManifestRevision
from hydock.registry.server.state import STORAGE
from hydock.registry.server.storage import RegistryStorage
from hydock.store.blobs import sha256_digest

routes = web.RouteTableDef()
MANIFEST_PATH = f"/v2/{params.NAME}/manifests/{{reference}}"


def _unknown(storage: RegistryStorage, name: str, reference: str) -> DistributionError:
    return manifest_unknown(reference) if storage.repository_exists(name) else name_unknown(name)


def _resolve(storage: RegistryStorage, name: str, reference: str) -> str:
    if params.is_digest_reference(reference):
        return params.digest(reference)
    digest = storage.resolve_tag(name, params.tag(reference))
    if digest is None:
        raise _unknown(storage, name, reference)
    return digest


def _read(storage: RegistryStorage, name: str, reference: str) -> tuple[str, str, bytes]:
    digest = _resolve(storage, name, reference)
    revision = storage.revision(name, digest)
    if revision is None:
        raise _unknown(storage, name, reference)
    try:
        return digest, revision.media_type, storage.blobs.read(digest)
    except NotFound:
        raise _unknown(storage, name, reference) from None


@routes.get(MANIFEST_PATH, allow_head=True)
async def get_manifest(request: web.Request) -> web.Response:
    name = params.repository(request)
    digest, media_type, data = await asyncio.to_thread(
        _read, request.app[STORAGE], name, request.match_info["reference"]
    )
    return web.Response(body=data, headers={"Docker-Content-Digest": digest, "Content-Type": media_type})


async def _body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise DistributionError("MANIFEST_INVALID", "manifest too large", {
            "limit": manifests.MAX_MANIFEST_BYTES}, status=413) from None  # fmt: skip


@routes.put(MANIFEST_PATH)
async def put_manifest(request: web.Request) -> web.Response:
    name = params.repository(request)
    reference = request.match_info["reference"]
    data = await _body(request)
    digest = sha256_digest(data)
    tag = None
    if params.is_digest_reference(reference):
        if params.digest(reference) != digest:
            raise DistributionError("DIGEST_INVALID", "provided digest did not match uploaded content", {
                "digest": reference, "actual": digest})  # fmt: skip
    else:
        tag = params.tag(reference)
    document, media_type = manifests.parse(data, request.headers.get("Content-Type", ""))
    storage = request.app[STORAGE]
    missing = await asyncio.to_thread(manifests.missing_references, storage, name, document, media_type)
    if missing:
        raise DistributionError(
            "MANIFEST_BLOB_UNKNOWN",
            "manifest references a manifest or blob unknown to registry",
            *({"digest": each} for each in missing),
        )
    subject = document.subject.digest if document.subject else ""
    revision = ManifestRevision(media_type, subject)
    referrer = manifests.referrer_entry(document, media_type, digest, len(data))
    await asyncio.to_thread(storage.put_manifest, name, data, revision, tag, referrer)
    headers = {"Location": f"/v2/{name}/manifests/{digest}", "Docker-Content-Digest": digest}
    if subject:
        headers["OCI-Subject"] = subject
    return web.Response(status=201, headers=headers)


def _delete(storage: RegistryStorage, name: str, reference: str) -> None:
    if params.is_digest_reference(reference):
        deleted = storage.delete_manifest(name, params.digest(reference))
    else:
        deleted = storage.untag(name, params.tag(reference))
    if not deleted:
        raise _unknown(storage, name, reference)


@routes.delete(MANIFEST_PATH)
async def delete_manifest(request: web.Request) -> web.Response:
    """By tag: the tag goes. By digest: the manifest goes with every tag on it and its referrer entry."""
    name = params.repository(request)
    await asyncio.to_thread(_delete, request.app[STORAGE], name, request.match_info["reference"])
    return web.Response(status=202)
