"""Blob upload sessions: bytes stream into ingest/<uuid>, are hashed as they arrive, and are renamed into blobs/
only once their digest checks. Two pushes of one blob each have their own ingest file; the rename of identical
content over identical content is atomic, so neither can corrupt the other."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from pathlib import Path
from typing import BinaryIO

import msgspec
from aiohttp import StreamReader

from hydock.registry.server.errors import DistributionError, upload_unknown
from hydock.registry.server.records import UploadSession
from hydock.registry.server.storage import RegistryStorage
from hydock.store.atomic import write_atomic
from hydock.store.blobs import sha256_file

# Bytes gathered from the socket before one write (and hash update) in a worker thread: big enough that the
# thread hop is cheap, small enough that an upload never holds more than this in memory.
FLUSH_BYTES = 1 << 20


class Upload:
    """An open session. `hasher` has seen exactly the file's bytes, or is None (after a restart or a failed
    write) and the file is hashed again when the upload is finished."""

    def __init__(self, upload_id: str, repository: str, path: Path, size: int) -> None:
        self.id = upload_id
        self.repository = repository
        self.path = path
        self.size = size
        self.hasher: hashlib._Hash | None = hashlib.sha256() if size == 0 else None
        self.lock = asyncio.Lock()

    @property
    def end_of_range(self) -> int:
        """The last byte received, as distribution reports it in `Range: 0-<end>` (0 also when empty)."""
        return max(self.size - 1, 0)


class UploadLimit:
    """At most `limit` uploads stream at once (0: no limit); one more is answered 429 TOOMANYREQUESTS."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0

    def __enter__(self) -> None:
        if self.limit and self.active >= self.limit:
            raise DistributionError("TOOMANYREQUESTS", "too many uploads at once", headers={"Retry-After": "1"})
        self.active += 1

    def __exit__(self, *exc: object) -> None:
        self.active -= 1


class Uploads:
    def __init__(self, storage: RegistryStorage, max_streaming: int = 0) -> None:
        self.storage = storage
        self.streaming = UploadLimit(max_streaming)
        self._open: dict[str, Upload] = {}

    def _data(self, upload_id: str) -> Path:
        return self.storage.blobs.ingest_dir / upload_id

    def _session(self, upload_id: str) -> Path:
        return self.storage.blobs.ingest_dir / f"{upload_id}.json"

    async def start(self, repository: str) -> Upload:
        upload_id = str(uuid.uuid4())
        path = self._data(upload_id)
        await asyncio.to_thread(self._create, upload_id, repository)
        upload = self._open[upload_id] = Upload(upload_id, repository, path, 0)
        return upload

    def _create(self, upload_id: str, repository: str) -> None:
        self._data(upload_id).touch(exist_ok=False)
        write_atomic(self._session(upload_id), msgspec.json.encode(UploadSession(repository)), durable=False)

    async def get(self, repository: str, upload_id: str) -> Upload:
        """An open session of this repository, also one a previous server started (it is resumed from disk)."""
        upload = self._open.get(upload_id)
        if upload is None:
            upload = await asyncio.to_thread(self._load, upload_id)
            upload = self._open.setdefault(upload_id, upload)
        if upload.repository != repository:
            raise upload_unknown(upload_id)
        return upload

    def _load(self, upload_id: str) -> Upload:
        try:
            session = msgspec.json.decode(self._session(upload_id).read_bytes(), type=UploadSession)
            size = self._data(upload_id).stat().st_size
        except FileNotFoundError:
            raise upload_unknown(upload_id) from None
        return Upload(upload_id, session.repository, self._data(upload_id), size)

    async def append(
        self, upload: Upload, body: StreamReader, chunk_range: tuple[int, int] | None, length: int | None
    ) -> None:
        """Appends a request body. A chunk must start where the upload ends (416 otherwise) and be as long as it
        says; a chunk cut short is taken back, so the upload can resume from its last whole chunk."""
        async with upload.lock:
            if upload.id not in self._open:
                raise upload_unknown(upload.id)
            expected = length
            if chunk_range is not None:
                start, end = chunk_range
                if start != upload.size or end < start:
                    raise DistributionError(
                        "BLOB_UPLOAD_INVALID", "chunk out of order", {"Content-Range": f"{start}-{end}",
                        "Range": f"0-{upload.end_of_range}"}, status=416)  # fmt: skip
                if length is not None and length != end - start + 1:
                    raise DistributionError("SIZE_INVALID", "Content-Length does not match Content-Range", {
                        "Content-Range": f"{start}-{end}", "Content-Length": length})  # fmt: skip
                expected = end - start + 1
            with self.streaming:
                written = await self._stream(upload, body)
            if expected is not None and written != expected:
                await asyncio.to_thread(os.truncate, upload.path, upload.size - written)
                upload.size -= written
                upload.hasher = None
                raise DistributionError("SIZE_INVALID", "provided length did not match content length", {
                    "expected": expected, "received": written})  # fmt: skip

    async def _stream(self, upload: Upload, body: StreamReader) -> int:
        file = await asyncio.to_thread(open, upload.path, "ab")
        written = 0
        buffer = bytearray()
        try:
            async for chunk in body.iter_any():
                buffer += chunk
                if len(buffer) >= FLUSH_BYTES:
                    await asyncio.to_thread(_write, file, upload.hasher, buffer)
                    written += len(buffer)
                    buffer.clear()
            if buffer:
                await asyncio.to_thread(_write, file, upload.hasher, buffer)
                written += len(buffer)
        except BaseException:
            # The file may hold part of a buffer the hasher has or has not seen: hash it again at the end.
            upload.hasher = None
            raise
        finally:
            upload.size = await asyncio.to_thread(_close, file)
        return written

    async def finish(self, upload: Upload, digest: str) -> None:
        """Verifies the whole upload against `digest`, then makes it a blob of the repository. A mismatch
        ends the session (as distribution does) and leaves nothing visible."""
        async with upload.lock:
            if upload.id not in self._open:
                raise upload_unknown(upload.id)
            if upload.hasher is not None:
                actual = "sha256:" + upload.hasher.hexdigest()
            else:
                actual = await asyncio.to_thread(sha256_file, upload.path)
            if actual != digest:
                await self._discard(upload)
                raise DistributionError("DIGEST_INVALID", "provided digest did not match uploaded content", {
                    "digest": digest, "actual": actual})  # fmt: skip
            await asyncio.to_thread(self._commit, upload, digest)
            self._open.pop(upload.id, None)

    def _commit(self, upload: Upload, digest: str) -> None:
        self.storage.blobs.commit_ingest(upload.path, digest)
        self.storage.link_blob(upload.repository, digest)
        self._session(upload.id).unlink(missing_ok=True)

    async def cancel(self, upload: Upload) -> None:
        async with upload.lock:
            await self._discard(upload)

    async def _discard(self, upload: Upload) -> None:
        self._open.pop(upload.id, None)
        await asyncio.to_thread(self._remove, upload.id)

    def _remove(self, upload_id: str) -> None:
        self._data(upload_id).unlink(missing_ok=True)
        self._session(upload_id).unlink(missing_ok=True)


def _write(file: BinaryIO, hasher: hashlib._Hash | None, data: bytearray) -> None:
    file.write(data)
    if hasher is not None:
        hasher.update(data)


def _close(file: BinaryIO) -> int:
    """Closes the file and returns its size: what the upload really holds, whatever the request did."""
    file.flush()
    size = os.fstat(file.fileno()).st_size
    file.close()
    return size
