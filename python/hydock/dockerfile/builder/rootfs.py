"""Root filesystems a build works in: a state's layers mounted under a fresh upper dir, which a COPY or WORKDIR
writes through and which then becomes the step's layer; also read-only views of stages and images."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from types import TracebackType

from hydock.dockerfile.builder.state import BuildState
from hydock.engine.commit import CommittedLayer, commit_layer
from hydock.runtime import native
from hydock.store import Store


def clear_leftovers(store: Store) -> None:
    """What builds stopped half way (their daemon killed) left: mounts, scratch directories, contexts being
    received or unpacked. Only for when no build runs on the root, as when its daemon starts."""
    scratch = store.root / "builder" / "tmp"
    for target in sorted(_mounts_below(scratch), reverse=True):
        native.unmount(target)
    shutil.rmtree(scratch, ignore_errors=True)
    contexts = store.root / "builder" / "contexts"
    for transient in ("incoming-*", "unpacking-*"):
        for path in contexts.glob(transient):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def _mounts_below(directory: Path) -> list[Path]:
    prefix = f"{directory}/"
    with open("/proc/self/mountinfo") as table:
        points = [line.split()[4] for line in table]
    # mountinfo escapes spaces, tabs, newlines and backslashes as octal.
    decoded = [point.encode().decode("unicode_escape") for point in points]
    return [Path(point) for point in decoded if point.startswith(prefix)]


def lower_dirs(store: Store, state: BuildState) -> list[Path]:
    """The state's layers as overlayfs lower dirs, top-most first."""
    return [store.layers.lower_path(store.layers.get(chain)) for chain in reversed(state.chains())]


class MountedRoot:
    """`state`'s files at `path` (writable; what is written lands in `upper`) until closed."""

    def __init__(self, store: Store, state: BuildState) -> None:
        self.store = store
        self.state = state
        base = store.root / "builder" / "tmp"
        self.dir = base / secrets.token_hex(8)
        self.upper = self.dir / "upper"
        self.path = self.dir / "merged"
        self._mounted = False
        lowers = lower_dirs(store, state)
        if not lowers:
            # overlayfs wants a lower dir; scratch has none of its own.
            empty = base / "empty"
            empty.mkdir(parents=True, exist_ok=True)
            lowers = [empty]
        for sub in ("upper", "work", "merged"):
            (self.dir / sub).mkdir(parents=True)
        try:
            native.mount_rootfs(lowers, self.upper, self.dir / "work", self.path)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self._mounted = True

    def _unmount(self) -> None:
        if self._mounted:
            native.unmount(self.path)
            self._mounted = False

    def commit(self, mtime: int | None) -> CommittedLayer | None:
        """What was written, as a layer on the state's (None if nothing was); the root is closed."""
        self._unmount()
        return commit_layer(self.store, self.upper, self.state.top_chain, mtime=mtime)

    def close(self) -> None:
        self._unmount()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> MountedRoot:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
