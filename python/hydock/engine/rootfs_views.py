"""Private views of a container's filesystem. Work that must see a container's rootfs (and volumes) while no process
of it runs is done on a thread of its own whose mount namespace is private: what it mounts is seen nowhere else and is
gone when the thread ends, whatever happens to the daemon."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from hydock.engine.records import ContainerRecord
from hydock.errors import HydockError
from hydock.runtime import native
from hydock.runtime.spec import Mount

T = TypeVar("T")


def run_in_private_mounts(work: Callable[[], T]) -> T:
    """`work()` on a new thread with a mount namespace of its own; its result, or its exception raised here."""
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            native.enter_private_mount_namespace()
            outcome.append((True, work()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="hydock-private-mounts")
    thread.start()
    thread.join()
    succeeded, value = outcome[0]
    if not succeeded:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]


@contextmanager
def mounted_rootfs(record: ContainerRecord, mounts: list[Mount] | None = None) -> Iterator[int]:
    """On a `run_in_private_mounts` thread: the container's overlay (writable) at its merged dir, with `mounts`
    made inside it; yields an O_PATH descriptor on its root. The caller keeps the container from starting meanwhile."""
    data = record.graph_driver.data
    merged = Path(data["MergedDir"])
    lowers = [Path(p) for p in data["LowerDir"].split(":")]
    native.mount_rootfs(lowers, Path(data["UpperDir"]), Path(data["WorkDir"]), merged)
    try:
        if mounts:
            native.mount_inside(merged, mounts)
        fd = os.open(merged, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            yield fd
        finally:
            os.close(fd)
    finally:
        # Innermost first, so the overlay is not busy: a container start may follow at once, on the same upper dir.
        for mount in reversed(mounts or []):
            try:
                native.unmount(merged / mount.destination.lstrip("/"))
            except HydockError:
                pass  # detached with the overlay below
        native.unmount(merged)
