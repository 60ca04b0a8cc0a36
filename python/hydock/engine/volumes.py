"""Volumes of the local driver: `volumes/<name>/_data` with a msgspec record beside it; created, listed, removed
and pruned as Docker does, refusing to remove a volume a container uses."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import msgspec

from hydock.api_storage import Volume, VolumeUsage
from hydock.errors import Conflict, InvalidArgument, NotFound, VolumeNotFound
from hydock.filters import all_labels_match, any_label_matches
from hydock.store import Store
from hydock.store.atomic import write_atomic
from hydock.store.file_lock import exclusive_lock

LOCAL_DRIVER = "local"
ANONYMOUS_LABEL = "com.docker.volume.anonymous"
"""Set on a volume created without a name (Docker 23+'s label): `rm -v` and `prune` without `-a` remove only these."""

_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
# The local driver's options (`-o`), and which others each needs.
_OPTIONS = ("type", "device", "o", "size")
_NEEDS = {"device": ("type",), "type": ("device",), "o": ("device",)}


class VolumeRecord(msgspec.Struct, frozen=True):
    """volumes/<name>/volume.json."""

    name: str
    created_at: str
    labels: dict[str, str] = {}
    options: dict[str, str] = {}
    remove_with: str = ""
    """An anonymous volume of an auto-removed (`--rm`) container: the container's ID, so that the volume goes when
    the container has gone, whoever removed it (its shim, most often)."""

    @property
    def anonymous(self) -> bool:
        return ANONYMOUS_LABEL in self.labels


_decoder = msgspec.json.Decoder(VolumeRecord)

VolumeUsers = Callable[[], dict[str, list[str]]]
"""Volume name -> the IDs of the containers that mount it."""


def check_name(name: str) -> None:
    if len(name) < 2:
        raise InvalidArgument(
            f"create {name}: volume name is too short, names should be at least two alphanumeric characters"
        )
    if not _NAME.fullmatch(name):
        raise InvalidArgument(
            f'create {name}: "{name}" includes invalid characters for a local volume name, only '
            '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'
        )


def _check_options(name: str, options: dict[str, str]) -> None:
    for option in options:
        if option not in _OPTIONS:
            raise InvalidArgument(f'create {name}: invalid option: "{option}"')
    for option, needed in _NEEDS.items():
        for other in needed:
            if option in options and other not in options:
                raise InvalidArgument(f'create {name}: missing required option: "{other}"')
    if "size" in options:
        raise InvalidArgument(f"create {name}: quota size requested but no quota support")


class VolumeService:
    def __init__(self, store: Store, users: VolumeUsers) -> None:
        self.dir = store.root / "volumes"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._users = users

    def lock(self) -> AbstractContextManager[None]:
        """Held while volumes are created or removed, and while a container that uses them is created, so that no
        volume goes away between being found and being recorded as used."""
        return exclusive_lock(self.dir / ".lock")

    def data_dir(self, name: str) -> Path:
        return self.dir / name / "_data"

    def record(self, name: str) -> VolumeRecord:
        try:
            return _decoder.decode((self.dir / name / "volume.json").read_bytes())
        except (FileNotFoundError, NotADirectoryError):
            raise VolumeNotFound(f"get {name}: no such volume") from None

    def records(self) -> list[VolumeRecord]:
        found = []
        for path in self.dir.iterdir():
            try:
                found.append(_decoder.decode((path / "volume.json").read_bytes()))
            except (FileNotFoundError, NotADirectoryError):
                continue  # being created or removed
        return sorted(found, key=lambda record: record.name)

    def to_api(self, record: VolumeRecord, usage: VolumeUsage | None = None) -> Volume:
        return Volume(
            name=record.name,
            driver=LOCAL_DRIVER,
            mountpoint=str(self.data_dir(record.name)),
            created_at=record.created_at,
            labels=dict(record.labels) or None,
            scope="local",
            options=dict(record.options) or None,
            usage_data=usage,
        )

    def inspect(self, name: str) -> Volume:
        return self.to_api(self.record(name))

    def create(
        self,
        name: str = "",
        *,
        driver: str = "",
        labels: dict[str, str] | None = None,
        options: dict[str, str] | None = None,
    ) -> VolumeRecord:
        """Creates the volume, or returns the one of that name (as Docker does); no name makes an anonymous one."""
        with self.lock():
            return self.create_locked(name, driver=driver, labels=labels, options=options)

    def create_locked(
        self,
        name: str = "",
        *,
        driver: str = "",
        labels: dict[str, str] | None = None,
        options: dict[str, str] | None = None,
        remove_with: str = "",
    ) -> VolumeRecord:
        """`create` for a caller that holds `lock()`."""
        if driver not in ("", LOCAL_DRIVER):
            raise NotFound(f"error looking up volume plugin {driver}: plugin {driver!r} not found")
        labels = dict(labels or {})
        if not name:
            name = secrets.token_hex(32)
            labels[ANONYMOUS_LABEL] = ""
        check_name(name)
        try:
            return self.record(name)
        except VolumeNotFound:
            pass
        options = dict(options or {})
        _check_options(name, options)
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        record = VolumeRecord(name, created, labels, options, remove_with)
        staging = self.dir / f".new-{name}"
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "_data").mkdir(parents=True, mode=0o755)
        write_atomic(staging / "volume.json", msgspec.json.encode(record))
        os.rename(staging, self.dir / name)
        return record

    def users(self) -> dict[str, list[str]]:
        return self._users()

    def remove(self, name: str, *, force: bool = False) -> None:
        """Docker's `volume rm`: refused while a container uses it; with `force` a missing volume is no error."""
        with self.lock():
            try:
                self.record(name)
            except VolumeNotFound:
                if force:
                    return
                raise
            users = self.users().get(name)
            if users:
                raise Conflict(f"remove {name}: volume is in use - [{', '.join(users)}]")
            self._delete(name)

    def remove_unused(self, names: list[str]) -> list[str]:
        """Removes those of `names` that exist and no container uses (a container's anonymous volumes when it goes);
        the names removed."""
        removed = []
        with self.lock():
            users = self.users()
            for name in names:
                if name not in users and (self.dir / name / "volume.json").exists():
                    self._delete(name)
                    removed.append(name)
        return removed

    def remove_orphans(self, container_exists: Callable[[str], bool]) -> list[str]:
        """Removes the anonymous volumes of auto-removed containers that have gone; the names removed."""
        orphans = [r.name for r in self.records() if r.remove_with and not container_exists(r.remove_with)]
        return self.remove_unused(orphans) if orphans else []

    def delete_locked(self, names: list[str]) -> None:
        """Deletes volumes no container has been recorded with; the caller holds `lock()`."""
        for name in names:
            self._delete(name)

    def _delete(self, name: str) -> None:
        doomed = self.dir / f".rm-{name}"
        os.rename(self.dir / name, doomed)
        shutil.rmtree(doomed)

    def disk_usage(self) -> list[Volume]:
        """`system df`'s volumes: the bytes under each and how many containers use it; like Docker's, not those with
        driver options, whose data is not local."""
        from hydock.engine.containers import tree_size

        users = self.users()
        return [
            self.to_api(record, VolumeUsage(tree_size(self.data_dir(record.name)), len(users.get(record.name, []))))
            for record in self.records()
            if not record.options
        ]

    def prune(
        self, *, all: bool, labels: tuple[str, ...] = (), not_labels: tuple[str, ...] = ()
    ) -> tuple[list[str], int]:
        """Removes unused volumes (anonymous ones only unless `all`), as Docker leaving alone those with driver
        options (they hold no local data); the names removed and the bytes they held."""
        from hydock.engine.containers import tree_size

        deleted, reclaimed = [], 0
        with self.lock():
            users = self.users()
            for record in self.records():
                if record.name in users or record.options:
                    continue
                if not all and ANONYMOUS_LABEL not in record.labels:
                    continue
                if not all_labels_match(record.labels, labels) or any_label_matches(record.labels, not_labels):
                    continue
                size = tree_size(self.data_dir(record.name))
                self._delete(record.name)
                deleted.append(record.name)
                reclaimed += size
        return deleted, reclaimed
