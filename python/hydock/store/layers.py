"""Unpacked layers under layers/<chain-id>/diff, each with an overlay short link in layers/l/."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import string
from pathlib import Path

import msgspec

from hydock import _core
from hydock.errors import DigestMismatch, NotFound
from hydock.store.atomic import write_atomic
from hydock.store.records import LayerRecord

_SHORT_ALPHABET = string.ascii_uppercase + string.digits
_SHORT_LENGTH = 26


def chain_id(parent_chain: str, diff_id: str) -> str:
    """The OCI ChainID of a layer stacked on `parent_chain` ("" for the bottom layer)."""
    if not parent_chain:
        return diff_id
    return "sha256:" + hashlib.sha256(f"{parent_chain} {diff_id}".encode()).hexdigest()


def extract_tar(source: int | str, target: Path) -> None:
    """Unpacks a tar (plain, gzip or zstd) into the directory `target`; no entry or symlink can lead outside it."""
    _core.apply_layer(source, str(target), None)


class AppliedBlob(msgspec.Struct):
    """What unpacking a layer stream produced: the layer and the raw blob it came from."""

    layer: LayerRecord
    digest: str
    compressed_size: int
    compression: str


class LayerStore:
    def __init__(self, root: Path) -> None:
        self.dir = root / "layers"
        self.links = self.dir / "l"

    def _layer_dir(self, chain: str) -> Path:
        return self.dir / chain.removeprefix("sha256:")

    def get(self, chain: str) -> LayerRecord:
        try:
            data = (self._layer_dir(chain) / "layer.json").read_bytes()
        except FileNotFoundError:
            raise NotFound(f"layer {chain} not found in the store") from None
        return msgspec.json.decode(data, type=LayerRecord)

    def exists(self, chain: str) -> bool:
        return (self._layer_dir(chain) / "layer.json").exists()

    def lower_path(self, layer: LayerRecord) -> Path:
        """The short path overlayfs is given for this layer, keeping long lower lists within a page."""
        return self.links / layer.short

    def diff_path(self, layer: LayerRecord) -> Path:
        return self._layer_dir(layer.chain_id) / "diff"

    def apply(
        self, source: int | str, parent_chain: str, tee: Path | None, *, diff_id: str | None = None
    ) -> AppliedBlob:
        """Unpack a layer stream (fd or path) on top of `parent_chain`, teeing the raw bytes to `tee`.

        The layer becomes visible (layer.json written, directory renamed in) only once it is whole, and, when
        `diff_id` is given, only if its content has that digest.
        """
        staging = self.dir / f".tmp-{secrets.token_hex(8)}"
        (staging / "diff").mkdir(parents=True)
        try:
            stats = _core.apply_layer(source, str(staging / "diff"), str(tee) if tee else None)
            if diff_id is not None and stats.diff_id != diff_id:
                raise DigestMismatch(f"layer content hashes to {stats.diff_id}, not to its diff id {diff_id}")
            record = self._install(staging, parent_chain, stats.diff_id, stats.size)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return AppliedBlob(record, stats.digest, stats.compressed_size, stats.compression)

    def diff(self, directory: Path, out: Path, compression: str, mtime: int | None = None) -> _core.DiffStats:
        """Writes the layer tar of `directory` (an overlay upper dir: its whiteouts become OCI ones) to `out`,
        entries sorted and, with `mtime`, no entry newer than it, so the same files always give the same bytes."""
        return _core.diff_layer(str(directory), str(out), compression, mtime)

    def adopt(self, directory: Path, parent_chain: str, diff_id: str, size: int) -> LayerRecord:
        """Makes `directory` (moved, not copied) the unpacked layer `diff_id` on top of `parent_chain`; if that
        layer is already stored, `directory` is removed and the stored one returned.

        The caller vouches that the directory holds what the layer's tar (`diff` of it) holds, overlay whiteouts
        included: a committed container's upper dir, which need not be unpacked again from its own tar.
        """
        staging = self.dir / f".tmp-{secrets.token_hex(8)}"
        staging.mkdir()
        try:
            os.rename(directory, staging / "diff")
            return self._install(staging, parent_chain, diff_id, size)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _install(self, staging: Path, parent_chain: str, diff_id: str, size: int) -> LayerRecord:
        """Renames a staging directory holding `diff/` in as the layer; it is removed if the layer exists."""
        chain = chain_id(parent_chain, diff_id)
        final = self._layer_dir(chain)
        if (final / "layer.json").exists():
            shutil.rmtree(staging)
            return self.get(chain)
        record = LayerRecord(chain, diff_id, parent_chain, size, self._new_short())
        write_atomic(staging / "layer.json", msgspec.json.encode(record))
        if final.exists():
            shutil.rmtree(final)
        try:
            os.rename(staging, final)
        except OSError:
            if not (final / "layer.json").exists():
                raise
            # Another process (or a build's other stage) installed the same layer meanwhile.
            shutil.rmtree(staging)
            return self.get(chain)
        os.symlink(f"../{final.name}/diff", self.links / record.short)
        return record

    def verify(self, source: int | str, diff_id: str) -> str:
        """Checks a layer blob against its diff id without unpacking it; returns how it is compressed."""
        stats = _core.digest_layer(source)
        if stats.diff_id != diff_id:
            raise DigestMismatch(f"layer content hashes to {stats.diff_id}, not to its diff id {diff_id}")
        return stats.compression

    def _new_short(self) -> str:
        while True:
            short = "".join(secrets.choice(_SHORT_ALPHABET) for _ in range(_SHORT_LENGTH))
            if not (self.links / short).is_symlink():
                return short

    def remove(self, chain: str) -> None:
        try:
            record = self.get(chain)
        except NotFound:
            return
        (self.links / record.short).unlink(missing_ok=True)
        final = self._layer_dir(chain)
        doomed = self.dir / f".tmp-rm-{secrets.token_hex(8)}"
        os.rename(final, doomed)
        shutil.rmtree(doomed)

    def all_chains(self) -> list[str]:
        return ["sha256:" + p.parent.name for p in self.dir.glob("*/layer.json") if not p.parent.name.startswith(".")]

    def total_size(self) -> int:
        total = 0
        for chain in self.all_chains():
            try:
                total += self.get(chain).size
            except NotFound:
                continue  # removed meanwhile
        return total
