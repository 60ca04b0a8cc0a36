"""Images and tags: images/<id>.json records and images/tags.json, the name -> image ID map."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import msgspec

from hydock.errors import Conflict, ImageNotFound, InvalidReference, NotFound
from hydock.store.atomic import write_atomic
from hydock.store.blobs import BlobStore
from hydock.store.file_lock import exclusive_lock
from hydock.store.records import ImageConfig, ImageRecord, Manifest
from hydock.store.reference import Reference, parse_reference

_tags_decoder = msgspec.json.Decoder(dict[str, str])
_record_decoder = msgspec.json.Decoder(ImageRecord)
_config_decoder = msgspec.json.Decoder(ImageConfig)
_manifest_decoder = msgspec.json.Decoder(Manifest)


class ImageStore:
    def __init__(self, root: Path, blobs: BlobStore) -> None:
        self.dir = root / "images"
        self.blobs = blobs
        self._tags_path = self.dir / "tags.json"

    def locked(self) -> AbstractContextManager[None]:
        """Serialise tag and record changes across processes sharing this root."""
        return exclusive_lock(self.dir / ".lock")

    def tags(self) -> dict[str, str]:
        """Full reference (docker.io/library/bb:latest) -> image ID."""
        try:
            return _tags_decoder.decode(self._tags_path.read_bytes())
        except FileNotFoundError:
            return {}

    def _write_tags(self, tags: dict[str, str]) -> None:
        write_atomic(self._tags_path, msgspec.json.encode(dict(sorted(tags.items()))))

    def record(self, image_id: str) -> ImageRecord:
        try:
            return _record_decoder.decode((self.dir / f"{image_id.removeprefix('sha256:')}.json").read_bytes())
        except FileNotFoundError:
            raise ImageNotFound(f"No such image: {image_id}") from None

    def put_record(self, record: ImageRecord) -> None:
        write_atomic(self.dir / f"{record.id.removeprefix('sha256:')}.json", msgspec.json.encode(record))

    def set_repo_digest(self, image_id: str, repo_digest: str, manifest_digest: str) -> None:
        """Records that a registry holds the image as `repo_digest` (repo@digest), replacing what was known for
        that repository; a new record (a pulled image) gets `manifest_digest` as its manifest."""
        repository = repo_digest.partition("@")[0]
        with self.locked():
            try:
                record = self.record(image_id)
            except NotFound:
                record = ImageRecord(image_id, manifest_digest)
            record.repo_digests = [d for d in record.repo_digests if d.partition("@")[0] != repository]
            record.repo_digests.append(repo_digest)
            self.put_record(record)

    def delete_record(self, image_id: str) -> None:
        (self.dir / f"{image_id.removeprefix('sha256:')}.json").unlink(missing_ok=True)

    def ids(self) -> list[str]:
        return ["sha256:" + p.stem for p in self.dir.glob("*.json") if p.name != "tags.json"]

    def config(self, record: ImageRecord) -> ImageConfig:
        return _config_decoder.decode(self.blobs.read(record.id))

    def manifest(self, record: ImageRecord) -> Manifest:
        return _manifest_decoder.decode(self.blobs.read(record.manifest_digest))

    def tag(self, image_id: str, ref: Reference) -> None:
        if ref.digest:
            raise InvalidReference(f"refusing to create a tag with a digest reference: {ref.familiar()}")
        with self.locked():
            tags = self.tags()
            tags[str(ref.with_default_tag())] = image_id
            self._write_tags(tags)

    def untag(self, ref: Reference) -> str:
        with self.locked():
            tags = self.tags()
            key = str(ref.with_default_tag())
            if key not in tags:
                raise ImageNotFound(f"No such image: {ref.familiar()}")
            image_id = tags.pop(key)
            self._write_tags(tags)
            return image_id

    def tags_of(self, image_id: str, tags: dict[str, str] | None = None) -> list[str]:
        tags = self.tags() if tags is None else tags
        return sorted(name for name, target in tags.items() if target == image_id)

    def resolve(self, name: str) -> str:
        """Image ID for a reference, a full ID or a unique ID prefix, as `docker` accepts them."""
        tags = self.tags()
        ref: Reference | None = None
        if not name.startswith("sha256:"):
            ref = parse_reference(name).with_default_tag()
            if str(ref) in tags:
                return tags[str(ref)]
        prefix = name.removeprefix("sha256:")
        if 0 < len(prefix) <= 64 and all(c in "0123456789abcdef" for c in prefix):
            matches = [i for i in self.ids() if i.removeprefix("sha256:").startswith(prefix)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise Conflict(f"multiple images found with provided prefix: {prefix}")
        raise ImageNotFound(f"No such image: {ref.familiar() if ref else name}")
