"""Pulling an image into the store: manifest (index resolved to a platform), config, then the layers, several
at once, each streamed from the registry straight into the layer extractor while it is hashed."""

from __future__ import annotations

import asyncio
import fcntl
import os
import time

import msgspec

from hydock.api_types import JSONMessage
from hydock.errors import DigestMismatch, HydockError, NotFound
from hydock.registry.auth import AuthConfig
from hydock.registry.client import Registries, RegistryClient, RegistryError, RegistryUnauthorized
from hydock.registry.manifests import ACCEPT, ManifestError, PlatformSpec, parse, select
from hydock.registry.progress import Report, moving, short, status
from hydock.registry.tasks import run_all
from hydock.store import Store
from hydock.store.blobs import sha256_digest
from hydock.store.layers import AppliedBlob, chain_id
from hydock.store.records import Descriptor, ImageConfig, Index, Manifest
from hydock.store.reference import Reference, parse_reference

PROGRESS_INTERVAL = 0.1
PIPE_SIZE = 1 << 20
DEFAULT_MAX_DOWNLOADS = 3


class PullError(HydockError):
    pass


class ManifestNotFound(PullError, NotFound):
    pass


class PullResult(msgspec.Struct, frozen=True):
    image_id: str
    reference: str
    digest: str
    downloaded: bool


class _TagList(msgspec.Struct):
    name: str = ""
    tags: list[str] | None = None


class Puller:
    """Pulls into one store. One per daemon: its table of blobs in flight makes concurrent pulls of the same
    blob fetch it once."""

    def __init__(self, store: Store, registries: Registries, *, max_downloads: int = DEFAULT_MAX_DOWNLOADS) -> None:
        self.store = store
        self.registries = registries
        self.max_downloads = max_downloads
        self._inflight: dict[str, asyncio.Future[None]] = {}

    async def pull(self, name: str, auth: AuthConfig, platform: PlatformSpec, report: Report) -> PullResult:
        ref = parse_reference(name)
        if ref.digest is None:
            ref = ref.with_default_tag()
        client = self.registries.client(ref.domain, auth)
        try:
            top_digest, manifest, data = await self._manifest(client, ref, platform)
            # Only now, as dockerd does: a pull that fails to find its manifest answers with a plain error.
            report(JSONMessage(status=f"Pulling from {ref.path}", id=ref.tag or ref.digest or ""))
            result = await self._pull_image(client, ref, top_digest, manifest, data, report)
        except RegistryUnauthorized as exc:
            raise PullError(
                f"pull access denied for {ref.familiar_repository}, repository does not exist or may require "
                f"'docker login': {exc}"
            ) from None
        except RegistryError as exc:
            if exc.code in ("NAME_UNKNOWN", "DENIED"):
                raise PullError(
                    f"pull access denied for {ref.familiar_repository}, repository does not exist or may require "
                    f"'docker login': {exc}"
                ) from None
            raise
        report(status(f"Digest: {top_digest}"))
        verb = "Downloaded newer image" if result.downloaded else "Image is up to date"
        report(status(f"Status: {verb} for {ref.familiar()}"))
        return result

    async def pull_all_tags(
        self, name: str, auth: AuthConfig, platform: PlatformSpec, report: Report
    ) -> list[PullResult]:
        """`docker pull -a`: every tag of the repository."""
        ref = parse_reference(name)
        if ref.tag is not None or ref.digest is not None:
            raise PullError(f"tag can't be used with --all-tags/-a: {name}")
        client = self.registries.client(ref.domain, auth)
        response = await client.request("GET", ref.path, "/tags/list", scopes=[f"repository:{ref.path}:pull"])
        async with response:
            tags = msgspec.json.decode(await response.read(), type=_TagList).tags or []
        return [await self.pull(f"{ref.repository}:{tag}", auth, platform, report) for tag in sorted(tags)]

    async def _fetch_manifest(self, client: RegistryClient, ref: Reference, reference: str) -> tuple[bytes, str]:
        try:
            response = await client.request(
                "GET", ref.path, f"/manifests/{reference}", scopes=[f"repository:{ref.path}:pull"],
                headers={"Accept": ACCEPT},
            )  # fmt: skip
        except RegistryError as exc:
            if exc.code == "MANIFEST_UNKNOWN" or exc.status == 404 and not exc.code:
                raise ManifestNotFound(f"manifest for {ref.familiar()} not found: {exc}") from None
            raise
        async with response:
            return await response.read(), response.headers.get("Content-Type", "")

    async def _manifest(
        self, client: RegistryClient, ref: Reference, platform: PlatformSpec
    ) -> tuple[str, Manifest, bytes]:
        """The digest of what the reference names (an index or a manifest), and the manifest for `platform`."""
        data, content_type = await self._fetch_manifest(client, ref, ref.digest or ref.tag or "")
        top_digest = sha256_digest(data)
        if ref.digest is not None and top_digest != ref.digest:
            raise DigestMismatch(f"manifest verification failed for digest {ref.digest}: it hashes to {top_digest}")
        try:
            parsed = parse(data, content_type, ref.familiar())
            if isinstance(parsed, Index):
                entry = select(parsed, platform)
                data, content_type = await self._fetch_manifest(client, ref, entry.digest)
                if sha256_digest(data) != entry.digest:
                    raise DigestMismatch(f"manifest verification failed for digest {entry.digest}")
                parsed = parse(data, content_type, ref.familiar())
                if isinstance(parsed, Index):
                    raise ManifestError(f"manifest list entry {entry.digest} of {ref.familiar()} is itself an index")
        except ManifestError as exc:
            raise PullError(str(exc)) from None
        return top_digest, parsed, data

    async def _pull_image(
        self, client: RegistryClient, ref: Reference, top_digest: str, manifest: Manifest, data: bytes, report: Report
    ) -> PullResult:
        config_bytes = await self._config(client, ref, manifest.config)
        config = msgspec.json.decode(config_bytes, type=ImageConfig)
        diff_ids = config.rootfs.diff_ids
        if len(diff_ids) != len(manifest.layers):
            raise PullError(
                f"{ref.familiar()}: the manifest lists {len(manifest.layers)} layers but the config "
                f"{len(diff_ids)} diff ids"
            )
        image_id = manifest.config.digest
        chains, parent = [], ""
        for diff_id in diff_ids:
            parent = chain_id(parent, diff_id)
            chains.append(parent)
        parents = ["", *chains[:-1]]
        downloaded = not self._has_image(image_id, chains)
        if downloaded:
            slots = asyncio.Semaphore(self.max_downloads)
            for layer in manifest.layers:
                report(status("Pulling fs layer", short(layer.digest)))
            await run_all(
                self._layer(client, ref, layer, diff_id, layer_parent, slots, report)
                for layer, diff_id, layer_parent in zip(manifest.layers, diff_ids, parents, strict=True)
            )
        manifest_digest = self.store.blobs.write(data)
        images = self.store.images
        images.set_repo_digest(image_id, f"{ref.repository}@{top_digest}", manifest_digest)
        if ref.tag is not None:
            images.tag(image_id, ref)
        return PullResult(image_id, str(ref), top_digest, downloaded)

    def _has_image(self, image_id: str, chains: list[str]) -> bool:
        return self.store.blobs.exists(image_id) and all(self.store.layers.exists(chain) for chain in chains)

    async def _config(self, client: RegistryClient, ref: Reference, descriptor: Descriptor) -> bytes:
        if self.store.blobs.exists(descriptor.digest):
            return self.store.blobs.read(descriptor.digest)
        data = b"".join([chunk async for chunk in client.blob_chunks(ref.path, descriptor.digest)])
        if sha256_digest(data) != descriptor.digest:
            raise DigestMismatch(f"image config {descriptor.digest} of {ref.familiar()} failed digest verification")
        self.store.blobs.write(data)
        return data

    async def _layer(
        self,
        client: RegistryClient,
        ref: Reference,
        layer: Descriptor,
        diff_id: str,
        parent: str,
        slots: asyncio.Semaphore,
        report: Report,
    ) -> None:
        ident = short(layer.digest)
        if self.store.layers.exists(chain_id(parent, diff_id)) and self.store.blobs.exists(layer.digest):
            report(status("Already exists", ident))
            return
        pending = self._inflight.get(layer.digest)
        if pending is not None:
            report(status("Waiting", ident))
            await asyncio.shield(pending)
        if self.store.blobs.exists(layer.digest):
            # Fetched meanwhile (by another pull, perhaps under another parent): unpack the local copy.
            path = str(self.store.blobs.path(layer.digest))
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: self.store.layers.apply(path, parent, None, diff_id=diff_id)
            )
            report(status("Pull complete", ident))
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inflight[layer.digest] = done
        try:
            if slots.locked():
                report(status("Waiting", ident))
            async with slots:
                await self._download(client, ref, layer, diff_id, parent, report)
        finally:
            self._inflight.pop(layer.digest, None)
            done.set_result(None)
        report(status("Pull complete", ident))

    async def _download(
        self, client: RegistryClient, ref: Reference, layer: Descriptor, diff_id: str, parent: str, report: Report
    ) -> None:
        """Streams the blob through a pipe into the extractor (a thread), which hashes as it unpacks; the blob
        and layer appear in the store only once both digests check."""
        ident = short(layer.digest)
        loop = asyncio.get_running_loop()
        read_fd, write_fd = os.pipe()
        # A 64 KiB pipe would wake the extractor for every few network reads.
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        ingest = self.store.blobs.ingest_path()

        def extract() -> AppliedBlob:
            try:
                return self.store.layers.apply(read_fd, parent, ingest, diff_id=diff_id)
            finally:
                os.close(read_fd)

        extracting = loop.run_in_executor(None, extract)
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(write_fd, "wb", buffering=0)
        )
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
        try:
            current, reported = 0, 0.0
            try:
                async for chunk in client.blob_chunks(ref.path, layer.digest):
                    writer.write(chunk)
                    await writer.drain()
                    current += len(chunk)
                    if time.monotonic() - reported >= PROGRESS_INTERVAL:
                        reported = time.monotonic()
                        report(moving("Downloading", ident, current, layer.size))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the extractor stopped reading: its own error says why
            finally:
                writer.close()
            applied = await extracting
        except BaseException:
            if not transport.is_closing():
                transport.abort()
            await asyncio.gather(extracting, return_exceptions=True)
            ingest.unlink(missing_ok=True)
            raise
        try:
            report(status("Verifying Checksum", ident))
            if applied.digest != layer.digest:
                raise DigestMismatch(
                    f"layer {layer.digest} of {ref.familiar()} failed digest verification: it hashes to "
                    f"{applied.digest}"
                )
            self.store.blobs.commit_ingest(ingest, layer.digest)
        finally:
            ingest.unlink(missing_ok=True)
        report(status("Download complete", ident))
