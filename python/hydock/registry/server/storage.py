"""The registry on disk: content-addressed blobs shared by every repository, and per repository only links.

```
blobs/sha256/<hex>                                         every blob and manifest, stored once
ingest/<uuid>, ingest/<uuid>.json                          uploads in progress (bytes, session record)
repositories/<name>/_layers/sha256/<hex>                   the repository may serve this blob (empty file)
repositories/<name>/_manifests/revisions/sha256/<hex>      a manifest of the repository (ManifestRevision)
repositories/<name>/_manifests/tags/<tag>                  a tag (TagLink)
repositories/<name>/_referrers/sha256/<subject>/<hex>      a manifest whose subject is <subject> (ReferrerDescriptor)
registry.lock                                              shared by writing servers, exclusive for gc
```

Names never start with `_`, so the marker directories cannot clash with a repository's path components. Every
record is written atomically; a link is created or removed in one system call.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from hydock.errors import Conflict
from hydock.registry.server.records import ManifestRevision, ReferrerDescriptor, TagLink
from hydock.store.atomic import write_atomic
from hydock.store.blobs import BlobStore, split_digest

_MARKERS = ("_layers", "_manifests")


class RegistryStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = BlobStore(root)
        self.repositories = root / "repositories"
        for directory in (self.blobs.blob_dir, self.blobs.ingest_dir, self.repositories):
            directory.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def writer_lock(self, *, exclusive: bool) -> Iterator[None]:
        """Writing servers share the lock; gc holds it alone, so it never races a push."""
        fd = os.open(self.root / "registry.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            except BlockingIOError:
                if exclusive:
                    raise Conflict(
                        f"a registry server is writing to {self.root}: stop it or make it --read-only"
                    ) from None
                raise Conflict(f"garbage collection is running on {self.root}") from None
            yield
        finally:
            os.close(fd)

    def _repository(self, name: str) -> Path:
        return self.repositories / name

    def repository_exists(self, name: str) -> bool:
        return any((self._repository(name) / marker).is_dir() for marker in _MARKERS)

    def catalog(self) -> list[str]:
        names = []
        for directory, subdirs, _ in os.walk(self.repositories):
            if any(marker in subdirs for marker in _MARKERS):
                names.append(os.path.relpath(directory, self.repositories))
            subdirs[:] = [d for d in subdirs if not d.startswith("_")]
        return sorted(names)

    # Blobs

    def _blob_link(self, name: str, digest: str) -> Path:
        return self._repository(name) / "_layers" / "sha256" / split_digest(digest)[1]

    def has_blob(self, name: str, digest: str) -> bool:
        return self._blob_link(name, digest).exists() and self.blobs.exists(digest)

    def link_blob(self, name: str, digest: str) -> None:
        link = self._blob_link(name, digest)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.touch()

    def unlink_blob(self, name: str, digest: str) -> bool:
        try:
            self._blob_link(name, digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def linked_blobs(self, name: str) -> list[str]:
        return _digests_in(self._repository(name) / "_layers" / "sha256")

    # Manifests and tags

    def _revision(self, name: str, digest: str) -> Path:
        return self._repository(name) / "_manifests" / "revisions" / "sha256" / split_digest(digest)[1]

    def _tag(self, name: str, tag: str) -> Path:
        return self._repository(name) / "_manifests" / "tags" / tag

    def _referrer(self, name: str, subject: str, digest: str) -> Path:
        return self._repository(name) / "_referrers" / "sha256" / split_digest(subject)[1] / split_digest(digest)[1]

    def has_manifest(self, name: str, digest: str) -> bool:
        return self._revision(name, digest).exists() and self.blobs.exists(digest)

    def revision(self, name: str, digest: str) -> ManifestRevision | None:
        try:
            return msgspec.json.decode(self._revision(name, digest).read_bytes(), type=ManifestRevision)
        except FileNotFoundError:
            return None

    def revisions(self, name: str) -> list[str]:
        return _digests_in(self._repository(name) / "_manifests" / "revisions" / "sha256")

    def resolve_tag(self, name: str, tag: str) -> str | None:
        try:
            return msgspec.json.decode(self._tag(name, tag).read_bytes(), type=TagLink).digest
        except FileNotFoundError:
            return None

    def tags(self, name: str) -> list[str]:
        directory = self._repository(name) / "_manifests" / "tags"
        return sorted(entry.name for entry in _entries(directory) if not entry.name.startswith("."))

    def put_manifest(
        self, name: str, data: bytes, revision: ManifestRevision, tag: str | None, referrer: ReferrerDescriptor | None
    ) -> str:
        """Stores the manifest's bytes as a blob, then links it: a reader finds it only once it is whole."""
        digest = self.blobs.write(data)
        path = self._revision(name, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, msgspec.json.encode(revision))
        if referrer is not None:
            link = self._referrer(name, revision.subject, digest)
            link.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(link, msgspec.json.encode(referrer))
        if tag is not None:
            self.tag_manifest(name, tag, digest)
        return digest

    def tag_manifest(self, name: str, tag: str, digest: str) -> None:
        path = self._tag(name, tag)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, msgspec.json.encode(TagLink(digest)))

    def untag(self, name: str, tag: str) -> bool:
        try:
            self._tag(name, tag).unlink()
        except FileNotFoundError:
            return False
        return True

    def delete_manifest(self, name: str, digest: str) -> bool:
        """Unlinks a manifest from the repository with every tag on it; gc reclaims its blob."""
        revision = self.revision(name, digest)
        if revision is None:
            return False
        for tag in self.tags(name):
            if self.resolve_tag(name, tag) == digest:
                self.untag(name, tag)
        if revision.subject:
            self._referrer(name, revision.subject, digest).unlink(missing_ok=True)
        self._revision(name, digest).unlink(missing_ok=True)
        return True

    def referrers(self, name: str, subject: str) -> list[ReferrerDescriptor]:
        directory = self._repository(name) / "_referrers" / "sha256" / split_digest(subject)[1]
        found = []
        for entry in _entries(directory):
            if not entry.name.startswith("."):
                found.append(msgspec.json.decode(Path(entry.path).read_bytes(), type=ReferrerDescriptor))
        return sorted(found, key=lambda descriptor: descriptor.digest)


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return list(entries)
    except FileNotFoundError:
        return []


def _digests_in(directory: Path) -> list[str]:
    """The digests named by a directory of sha256 links (skipping a temp file an atomic write left behind)."""
    return sorted(f"sha256:{entry.name}" for entry in _entries(directory) if len(entry.name) == 64)
