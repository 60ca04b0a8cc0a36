"""Build contexts the daemon received, kept by the digest of their tar: a build sending the same context again
(a rebuild with nothing changed) reuses the unpacked directory, and the digests of its COPY sources, instead of
writing thousands of files again and reading them back.

`builder/contexts/<digest>/` is the context, never written once unpacked, and `<digest>.digests.json` what was
hashed in it. Builds hold `.lock` shared while they use a context; the most recently used few are kept, the others
removed when no build holds it.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import msgspec

from hydock.store import Store
from hydock.store.atomic import write_atomic
from hydock.store.layers import extract_tar

KEPT_CONTEXTS = 3
_digests = msgspec.json.Decoder(dict[str, str])


class ReceivedContext:
    def __init__(self, path: Path, memo: dict[str, str]) -> None:
        self.path = path
        self.memo = memo
        """Digests of sources in the context (the context never changes, so neither do they)."""


class ContextStore:
    def __init__(self, store: Store) -> None:
        self.dir = store.root / "builder" / "contexts"
        self.dir.mkdir(parents=True, exist_ok=True)

    def incoming(self) -> tuple[Path, BinaryIO]:
        """A file for a context tar being received, opened for writing."""
        path = self.dir / f"incoming-{secrets.token_hex(8)}"
        return path, open(path, "wb")  # noqa: SIM115 - the caller writes it and closes it

    @contextmanager
    def unpacked(self, tar: Path, digest: str) -> Iterator[ReceivedContext]:
        """The context the tar at `tar` (whose sha256 is `digest`) holds, unpacked unless it already was; the tar
        is removed."""
        lock = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_SH)
            path = self._unpack(tar, digest)
            memo_path = path.with_name(f"{path.name}.digests.json")
            try:
                memo = _digests.decode(memo_path.read_bytes())
            except (FileNotFoundError, msgspec.DecodeError):
                memo = {}
            known = dict(memo)
            os.utime(path)
            yield ReceivedContext(path, memo)
            if memo != known:
                write_atomic(memo_path, msgspec.json.encode(memo), durable=False)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            self._prune(lock)
            os.close(lock)

    def _unpack(self, tar: Path, digest: str) -> Path:
        try:
            path = self.dir / digest
            if not path.is_dir():
                staging = self.dir / f"unpacking-{secrets.token_hex(8)}"
                staging.mkdir()
                try:
                    extract_tar(str(tar), staging)
                    os.rename(staging, path)
                except OSError:
                    shutil.rmtree(staging, ignore_errors=True)
                    if not path.is_dir():  # else another build unpacked the same context meanwhile
                        raise
            return path
        finally:
            tar.unlink(missing_ok=True)

    def _prune(self, lock: int) -> None:
        """Removes all but the most recently used contexts, if no build is using any."""
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        contexts = sorted((p for p in self.dir.iterdir() if len(p.name) == 64 and p.is_dir()),
                          key=lambda p: p.stat().st_mtime, reverse=True)  # fmt: skip
        for path in contexts[KEPT_CONTEXTS:]:
            path.with_name(f"{path.name}.digests.json").unlink(missing_ok=True)
            shutil.rmtree(path, ignore_errors=True)
