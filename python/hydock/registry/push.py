"""Pushing an image from the store: each blob the registry lacks (HEAD first), mounted from another repository
of the same registry when the image came from there, else uploaded (monolithic when small, in chunks when
not), then the manifest, last, so the registry never names a blob it does not have."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec

from hydock.api_types import JSONMessage
from hydock.errors import HydockError, NotFound
from hydock.registry.auth import AuthConfig
from hydock.registry.client import Registries, RegistryClient, RegistryError, RegistryUnauthorized
from hydock.registry.progress import Report, moving, short, status
from hydock.registry.tasks import run_all
from hydock.store import Store
from hydock.store.records import MEDIA_OCI_MANIFEST, Descriptor, ImageRecord
from hydock.store.reference import Reference, parse_reference

DEFAULT_MAX_UPLOADS = 5
MONOLITHIC_LIMIT = 1 << 20
UPLOAD_CHUNK = 8 << 20


class PushError(HydockError):
    pass


class PushResult(msgspec.Struct, frozen=True):
    tag: str
    digest: str
    size: int


class _MediaType(msgspec.Struct):
    media_type: str = msgspec.field(default="", name="mediaType")


class Pusher:
    def __init__(self, store: Store, registries: Registries, *, max_uploads: int = DEFAULT_MAX_UPLOADS) -> None:
        self.store = store
        self.registries = registries
        self.max_uploads = max_uploads

    async def push(self, name: str, auth: AuthConfig, report: Report) -> list[PushResult]:
        """Pushes `name`'s tag, or every local tag of its repository when it names none (`push -a`)."""
        ref = parse_reference(name)
        images = self.store.images
        if ref.tag is None:
            tags = sorted(t for t in images.tags() if parse_reference(t).repository == ref.repository)
            if not tags:
                raise NotFound(f"An image does not exist locally with the tag: {ref.familiar_repository}")
        else:
            tags = [str(ref)]
        client = self.registries.client(ref.domain, auth)
        report(status(f"The push refers to repository [{ref.repository}]"))
        results = []
        for tag in tags:
            tagged = parse_reference(tag)
            try:
                image_id = images.resolve(tag)
            except NotFound:
                raise NotFound(f"tag does not exist: {tagged.familiar()}") from None
            try:
                results.append(await self._push_image(client, tagged, images.record(image_id), report))
            except RegistryUnauthorized as exc:
                raise PushError(f"unauthorized: authentication required: {exc}") from None
            except RegistryError as exc:
                if exc.code == "DENIED":
                    raise PushError(f"denied: requested access to the resource is denied: {exc}") from None
                raise
        return results

    async def _push_image(
        self, client: RegistryClient, ref: Reference, record: ImageRecord, report: Report
    ) -> PushResult:
        manifest_bytes = self.store.blobs.read(record.manifest_digest)
        manifest = self.store.images.manifest(record)
        sources = [parse_reference(d).path for d in record.repo_digests
                   if parse_reference(d).domain == ref.domain and parse_reference(d).path != ref.path]  # fmt: skip
        slots = asyncio.Semaphore(self.max_uploads)
        layers = list(reversed(manifest.layers))  # as Docker lists them: the top layer first
        for layer in layers:
            report(status("Preparing", short(layer.digest)))
        await run_all(self._blob(client, ref, layer, sources, slots, report) for layer in layers)
        await self._blob(client, ref, manifest.config, sources, slots, None)
        media_type = msgspec.json.decode(manifest_bytes, type=_MediaType).media_type or MEDIA_OCI_MANIFEST
        response = await client.request(
            "PUT", ref.path, f"/manifests/{ref.tag}", scopes=[_push_scope(ref)],
            headers={"Content-Type": media_type}, data=manifest_bytes, ok=(201, 200),
        )  # fmt: skip
        response.release()
        digest = record.manifest_digest
        report(status(f"{ref.tag}: digest: {digest} size: {len(manifest_bytes)}"))
        report(JSONMessage(aux={"Tag": ref.tag, "Digest": digest, "Size": len(manifest_bytes)}))
        self.store.images.set_repo_digest(record.id, f"{ref.repository}@{digest}", digest)
        return PushResult(ref.tag or "", digest, len(manifest_bytes))

    async def _blob(
        self,
        client: RegistryClient,
        ref: Reference,
        blob: Descriptor,
        sources: list[str],
        slots: asyncio.Semaphore,
        report: Report | None,
    ) -> None:
        ident = short(blob.digest)
        path = self.store.blobs.path(blob.digest)
        if not path.exists():
            raise PushError(f"blob {blob.digest} of {ref.familiar()} is not in the local store")
        async with slots:
            head = await client.request(
                "HEAD", ref.path, f"/blobs/{blob.digest}", scopes=[_push_scope(ref)], ok=(200, 404)
            )
            head.release()
            if head.status == 200:
                if report:
                    report(status("Layer already exists", ident))
                return
            location = None
            for source in sources:
                response = await client.request(
                    "POST", ref.path, "/blobs/uploads/", scopes=[_push_scope(ref), f"repository:{source}:pull"],
                    query={"mount": blob.digest, "from": source}, ok=(201, 202),
                )  # fmt: skip
                response.release()
                if response.status == 201:
                    if report:
                        report(status(f"Mounted from {source}", ident))
                    return
                location = response.headers.get("Location")
                break
            if location is None:
                response = await client.request(
                    "POST", ref.path, "/blobs/uploads/", scopes=[_push_scope(ref)], ok=(202,)
                )
                response.release()
                location = response.headers.get("Location", "")
            await self._upload(client, ref, blob, path, await client.absolute(location), report)
        if report:
            report(status("Pushed", ident))

    async def _upload(
        self, client: RegistryClient, ref: Reference, blob: Descriptor, path: Path, location: str, report: Report | None
    ) -> None:
        scopes = [_push_scope(ref)]
        ident = short(blob.digest)
        if blob.size <= MONOLITHIC_LIMIT:
            response = await client.request(
                "PUT", ref.path, location, scopes=scopes, query={"digest": blob.digest},
                headers={"Content-Type": "application/octet-stream"}, data=path.read_bytes(), ok=(201,),
            )  # fmt: skip
            response.release()
            return
        offset = 0
        async for chunk in _chunks(path):
            end = offset + len(chunk) - 1
            response = await client.request(
                "PATCH", ref.path, location, scopes=scopes, data=chunk, ok=(202,),
                headers={"Content-Type": "application/octet-stream", "Content-Range": f"{offset}-{end}"},
            )  # fmt: skip
            response.release()
            location = await client.absolute(response.headers.get("Location", location))
            offset = end + 1
            if report:
                report(moving("Pushing", ident, offset, blob.size))
        response = await client.request(
            "PUT", ref.path, location, scopes=scopes, query={"digest": blob.digest}, ok=(201,)
        )
        response.release()


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    with open(path, "rb") as blob:
        while chunk := await loop.run_in_executor(None, blob.read, UPLOAD_CHUNK):
            yield chunk


def _push_scope(ref: Reference) -> str:
    return f"repository:{ref.path}:pull,push"
