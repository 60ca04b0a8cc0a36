"""RUN --mount: what each mount contributes to the step's cache key, and the host directories and files made
ready for it: cache directories that outlive the build, read-only (or throwaway-writable) views of the context,
a stage or an image, tmpfs, and secrets written outside any root filesystem."""

from __future__ import annotations

import fcntl
import os
import posixpath
import secrets as random
import shutil
from pathlib import Path
from typing import NamedTuple

from hydock.dockerfile import nodes
from hydock.dockerfile.builder.rootfs import MountedRoot
from hydock.dockerfile.builder.sources import SourceTree, resolve_in
from hydock.dockerfile.builder.step_context import StepContext
from hydock.errors import BuildError
from hydock.runtime import native

SECRETS_DIR = "/run/secrets"


class RunMount(NamedTuple):
    kind: str
    """"bind" or "tmpfs"."""
    source: str
    target: str
    read_only: bool
    size: int = 0


def mount_target(mount: nodes.Mount, workdir: str) -> str:
    """Where a mount goes: a relative target is under the working directory; a secret goes to /run/secrets/ID."""
    target = mount.target
    if not target and mount.type == "secret":
        target = posixpath.join(SECRETS_DIR, mount.id or posixpath.basename(mount.source))
    if not target:
        raise BuildError(f"mount type {mount.type} needs a target")
    return posixpath.normpath(posixpath.join("/", workdir or "/", target))


def mount_inputs(run: nodes.Run, ctx: StepContext) -> list[str]:
    """What the mounts make the step depend on: the content of bind-mounted context files, the key of a mounted
    stage or image. Caches, tmpfs and secrets are not part of it (a secret's value never is)."""
    inputs = []
    for mount in run.mounts:
        if mount.type == "bind":
            if mount.from_:
                inputs.append(f"bind\0{mount.from_}\0{ctx.from_source(mount.from_).key}\0{mount.source}")
            else:
                inputs.append(f"bind\0{mount.source}\0{_context_digest(ctx, mount.source or '.')}")
        elif mount.type == "ssh":
            raise BuildError("RUN --mount=type=ssh is not supported: no SSH agent is forwarded to builds")
    return inputs


def _context_digest(ctx: StepContext, source: str) -> str:
    """What a bind of `source` from the context mounts, hashed (remembered when the context never changes)."""
    memo, memo_key = ctx.context.memo, f"bind\0{source}"
    if memo is not None and memo_key in memo:
        return memo[memo_key]
    digest = ctx.context.digest(ctx.context.entries(ctx.context.match(source, instruction="RUN")[0]))
    if memo is not None:
        memo[memo_key] = digest
    return digest


class PreparedMounts:
    """The mounts of one RUN, ready on the host until closed; `env` holds secrets asked for as variables."""

    def __init__(self, run: nodes.Run, ctx: StepContext, workdir: str) -> None:
        self.mounts: list[RunMount] = []
        self.env: list[str] = []
        self._ctx = ctx
        self._roots: list[MountedRoot] = []
        self._overlays: list[Path] = []
        self._locks: list[int] = []
        self._dir = ctx.scratch / f"mounts-{random.token_hex(6)}"
        self._dir.mkdir()
        try:
            for mount in run.mounts:
                self._prepare(mount, workdir)
        except BaseException:
            self.close()
            raise
        self.mounts.sort(key=lambda m: m.target.count("/"))

    def _prepare(self, mount: nodes.Mount, workdir: str) -> None:
        if mount.type == "secret":
            self._secret(mount, workdir)
            return
        target = mount_target(mount, workdir)
        if mount.type == "tmpfs":
            self.mounts.append(RunMount("tmpfs", "", target, False, mount.size or 0))
        elif mount.type == "cache":
            self.mounts.append(RunMount("bind", str(self._cache_dir(mount, target)), target, mount.readonly))
        else:
            source = self._bind_source(mount)
            if not mount.readonly:
                source = self._writable_copy(source)
            self.mounts.append(RunMount("bind", source, target, mount.readonly))

    def _cache_dir(self, mount: nodes.Mount, target: str) -> Path:
        path = self._ctx.cache.cache_mount(mount.id or target)
        stamp = path.parent / f"{path.name}.created"
        if not stamp.exists():
            os.chown(path, mount.uid or 0, mount.gid or 0)
            os.chmod(path, 0o755 if mount.mode is None else mount.mode)
            stamp.touch()
        if mount.sharing == "locked":
            fd = os.open(path.parent / f"{path.name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._locks.append(fd)
        return path

    def _bind_source(self, mount: nodes.Mount) -> str:
        if mount.from_:
            root = MountedRoot(self._ctx.store, self._ctx.from_source(mount.from_).state)
            self._roots.append(root)
            tree = SourceTree(root.path, owned=True, name=f"stage {mount.from_}")
        else:
            tree = self._ctx.context
        resolved = resolve_in(tree.root, mount.source or "/")
        path = os.path.join(tree.root, resolved) if resolved else str(tree.root)
        if not os.path.exists(path):
            raise BuildError(f"failed to mount {mount.source or '/'}: not found in {tree.name}")
        return path

    def _writable_copy(self, source: str) -> str:
        """A view of `source` the command may write to; what it writes is thrown away with the view."""
        view = self._dir / f"rw-{len(self._overlays)}"
        if not os.path.isdir(source):
            view.mkdir()
            shutil.copy2(source, view / "file")
            return str(view / "file")
        for sub in ("upper", "work", "merged"):
            (view / sub).mkdir(parents=True)
        native.mount_rootfs([Path(source)], view / "upper", view / "work", view / "merged")
        self._overlays.append(view / "merged")
        return str(view / "merged")

    def _secret(self, mount: nodes.Mount, workdir: str) -> None:
        ident = mount.id or posixpath.basename(mount.source)
        value = self._ctx.secrets.get(ident)
        if value is None:
            if mount.required:
                raise BuildError(f"secret {ident} not found: give it with --secret id={ident},src=FILE")
            return
        if mount.env:
            self.env.append(f"{mount.env}={value.decode(errors='replace')}")
            if not mount.target:
                return
        path = self._dir / f"secret-{len(self.mounts)}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o400)
        try:
            os.write(fd, value)
            os.fchown(fd, mount.uid or 0, mount.gid or 0)
            os.fchmod(fd, 0o400 if mount.mode is None else mount.mode)
        finally:
            os.close(fd)
        self.mounts.append(RunMount("bind", str(path), mount_target(mount, workdir), True))

    def close(self) -> None:
        for merged in self._overlays:
            native.unmount(merged)
        for root in self._roots:
            root.close()
        for fd in self._locks:
            os.close(fd)
        shutil.rmtree(self._dir, ignore_errors=True)
