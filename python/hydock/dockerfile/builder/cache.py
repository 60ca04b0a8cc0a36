"""The build cache: what each step produced, under a key made of everything the step's result depends on.

A step's key hashes its parent's key (so the whole chain of steps before it and the base image), the
instruction as evaluated (build args and variables applied, not where it sits in the file) and what it reads
besides: the content and metadata of COPY/ADD sources, RUN's environment, bind-mounted files. Records live in
`<root>/builder/cache/<key>.json`; `RUN --mount=type=cache` directories in `<root>/builder/mounts/`.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import msgspec

from hydock.dockerfile import nodes
from hydock.dockerfile.builder.state import BuildState
from hydock.engine.containers import tree_size
from hydock.engine.images import ImageService
from hydock.errors import NotFound
from hydock.store import Store
from hydock.store.atomic import write_atomic
from hydock.timeutil import now_rfc3339

# BuildKit's cache IDs are this long; a key's prefix of that length names a record in prune reports.
REPORTED_ID_LENGTH = 25


class CacheRecord(msgspec.Struct):
    key: str
    created: str
    state: BuildState


class StepInput(msgspec.Struct, frozen=True):
    """What a step's key hashes besides its parent's key."""

    instruction: nodes.AnyInstruction
    env: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    """Digests of what the step reads: source files, bind mounts, a downloaded URL."""


_record_decoder = msgspec.json.Decoder(CacheRecord)
_encoder = msgspec.json.Encoder()


def base_key(*parts: str) -> str:
    """The key a stage starts from: its base (an image ID, `scratch`) and the build-wide settings results
    depend on (SOURCE_DATE_EPOCH)."""
    return hashlib.sha256("\0".join(("base", *parts)).encode()).hexdigest()


def step_key(parent: str, step: StepInput) -> str:
    return hashlib.sha256(parent.encode() + b"\0" + _encoder.encode(_positionless(step))).hexdigest()


def _positionless(step: StepInput) -> StepInput:
    """The step without its place in the file: moving an instruction, or a comment, keeps its cache."""
    instruction = _without_position(step.instruction)
    if isinstance(instruction, nodes.Onbuild):
        instruction = msgspec.structs.replace(instruction, trigger=_without_position(instruction.trigger))
    return msgspec.structs.replace(step, instruction=instruction)


def _without_position(instruction: nodes.AnyInstruction) -> nodes.AnyInstruction:
    return msgspec.structs.replace(instruction, line=0, end_line=0, source="", comments=(), empty_continuation=False)


class BuildCache:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.dir = store.root / "builder" / "cache"
        self.mounts_dir = store.root / "builder" / "mounts"
        self.dir.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.dir / f"{key}.json"

    def get(self, key: str) -> BuildState | None:
        """The state a step with this key left, if it is recorded and every layer it names is still stored."""
        try:
            record = _record_decoder.decode(self._path(key).read_bytes())
        except (FileNotFoundError, msgspec.DecodeError):
            return None
        state = record.state
        for chain, descriptor in zip(state.chains(), state.layers, strict=True):
            if not (self.store.layers.exists(chain) and self.store.blobs.exists(descriptor.digest)):
                return None
        return state

    def put(self, key: str, state: BuildState) -> None:
        # Not fsynced: a record lost in a crash only costs running the step again.
        write_atomic(self._path(key), _encoder.encode(CacheRecord(key, now_rfc3339(), state)), durable=False)

    def cache_mount(self, ident: str) -> Path:
        """The directory `RUN --mount=type=cache,id=ID` mounts; it persists across builds."""
        name = hashlib.sha256(ident.encode()).hexdigest()
        path = self.mounts_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def prune(self, images: ImageService, *, everything: bool) -> tuple[list[str], int]:
        """Removes records (all of them, or those keeping layers alive that no image holds), the layers and blobs
        only they held and, with `everything`, the cache mounts; the IDs removed and the bytes reclaimed."""
        image_chains, image_blobs = _held_by_images(images)
        records = self._records()
        doomed = [r for r in records if everything or not set(r.state.chains()) <= image_chains]
        doomed_keys = {r.key for r in doomed}
        kept = [r for r in records if r.key not in doomed_keys]
        kept_chains = image_chains.union(*(r.state.chains() for r in kept))
        kept_blobs = image_blobs | {d.digest for r in kept for d in r.state.layers}
        reclaimed = 0
        for record in doomed:
            self._path(record.key).unlink(missing_ok=True)
            for chain, descriptor in zip(record.state.chains(), record.state.layers, strict=True):
                if chain not in kept_chains and self.store.layers.exists(chain):
                    reclaimed += self.store.layers.get(chain).size
                    self.store.layers.remove(chain)
                if descriptor.digest not in kept_blobs:
                    self.store.blobs.delete(descriptor.digest)
        deleted = [record.key[:REPORTED_ID_LENGTH] for record in doomed]
        if everything and self.mounts_dir.is_dir():
            for mount in self.mounts_dir.iterdir():
                reclaimed += tree_size(mount)
                shutil.rmtree(mount, ignore_errors=True)
                deleted.append(mount.name[:REPORTED_ID_LENGTH])
        return deleted, reclaimed

    def _records(self) -> list[CacheRecord]:
        records = []
        for path in self.dir.glob("*.json"):
            try:
                records.append(_record_decoder.decode(path.read_bytes()))
            except (FileNotFoundError, msgspec.DecodeError):
                path.unlink(missing_ok=True)
        return records


def _held_by_images(images: ImageService) -> tuple[set[str], set[str]]:
    """The layer chains and blobs images need."""
    chains: set[str] = set()
    blobs: set[str] = set()
    store = images.store.images
    for image_id in store.ids():
        try:
            chains.update(layer.chain_id for layer in images.layers(image_id))
            blobs.update(descriptor.digest for descriptor in store.manifest(store.record(image_id)).layers)
        except NotFound:
            continue  # removed meanwhile
    return chains, blobs
