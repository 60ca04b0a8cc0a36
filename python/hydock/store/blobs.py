"""Content-addressed blob store: blobs/sha256/<hex>, written through ingest/ and verified before they appear."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from hydock.errors import DigestMismatch, NotFound, StoreError
from hydock.store.atomic import write_atomic


def split_digest(digest: str) -> tuple[str, str]:
    algorithm, _, hexpart = digest.partition(":")
    if algorithm != "sha256" or len(hexpart) != 64 or any(c not in "0123456789abcdef" for c in hexpart):
        raise StoreError(f"unsupported or malformed digest {digest!r}")
    return algorithm, hexpart


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The digest of a file, read in chunks: a layer never has to fit in memory."""
    with open(path, "rb") as f:
        return "sha256:" + hashlib.file_digest(f, "sha256").hexdigest()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blob_dir = root / "blobs" / "sha256"
        self.ingest_dir = root / "ingest"

    def path(self, digest: str) -> Path:
        return self.blob_dir / split_digest(digest)[1]

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()

    def read(self, digest: str) -> bytes:
        try:
            data = self.path(digest).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found in the store") from None
        actual = sha256_digest(data)
        if actual != digest:
            raise DigestMismatch(f"blob {digest} is corrupt: its content hashes to {actual}")
        return data

    def write(self, data: bytes) -> str:
        digest = sha256_digest(data)
        path = self.path(digest)
        if not path.exists():
            write_atomic(path, data)
        return digest

    def ingest_path(self) -> Path:
        """A fresh file name under ingest/ for a blob being streamed in."""
        return self.ingest_dir / secrets.token_hex(16)

    def commit_ingest(self, ingest: Path, digest: str) -> None:
        """Move a fully written, already hashed ingest file into place under its digest."""
        target = self.path(digest)
        if target.exists():
            ingest.unlink(missing_ok=True)
            return
        fd = os.open(ingest, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(ingest, target)

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)
