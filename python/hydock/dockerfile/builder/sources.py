"""What COPY, ADD and bind mounts read: the files of the build context (.dockerignore applied) or of a stage's
or image's root filesystem, found by Docker's wildcard rules and hashed for the cache by content and metadata
(never by modification time)."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from hydock.dockerfile.dockerignore import IgnoreMatcher
from hydock.errors import BuildError

_WILDCARD = frozenset("*?[")
_MAX_LINKS = 255


class Entry(NamedTuple):
    path: str
    """Relative to the source it belongs to, "" for the source itself."""
    host_path: str
    stat: os.stat_result
    link: str
    """A symlink's target, "" for anything else."""


def clean(path: str) -> str:
    """A source path as Docker scopes it: relative to the tree's root, `..` never leaving it ("" is the root)."""
    return posixpath.normpath("/" + path).lstrip("/")


def has_wildcard(path: str) -> bool:
    return not _WILDCARD.isdisjoint(path)


def resolve_in(root: Path, path: str) -> str:
    """`path` inside the directory `root` with the symlinks on its way followed as if `root` were `/`: absolute
    targets start again from `root` and `..` never climbs above it."""
    parts = clean(path).split("/") if clean(path) else []
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        if part in ("", "."):
            continue
        candidate = os.path.join(root, *resolved, part)
        if os.path.islink(candidate):
            links += 1
            if links > _MAX_LINKS:
                raise BuildError(f"too many levels of symbolic links: {path}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = target.split("/") + parts
            continue
        resolved.append(part)
    return "/".join(resolved)


def _go_match(pattern: str, name: str) -> bool:
    """Go's filepath.Match for one path component (`[^...]` negates, as `[!...]` does for fnmatch)."""
    return fnmatch.fnmatchcase(name, pattern.replace("[^", "[!"))


class SourceTree:
    """A directory sources are taken from. Files of the build context become root's when copied (`owned` False);
    those of a stage or image keep their owners, which then count in their hash."""

    def __init__(
        self,
        root: Path,
        ignore: IgnoreMatcher | None = None,
        *,
        owned: bool,
        name: str = "",
        memo: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.ignore = ignore if ignore is not None and ignore.patterns else None
        self.owned = owned
        self.name = name or "build context"
        self.memo = memo
        """Digests already taken in this tree, for a tree that never changes (a received context)."""

    def _ignored(self, path: str) -> bool:
        return self.ignore is not None and bool(path) and self.ignore.excluded(path)

    def resolve(self, path: str) -> str:
        return resolve_in(self.root, path)

    def match(self, pattern: str, *, instruction: str = "COPY") -> list[str]:
        """The paths a source names: itself, or what its wildcards match (each component as Go's filepath.Match)."""
        wanted = clean(pattern)
        if not has_wildcard(wanted):
            if self._ignored(wanted) or not os.path.lexists(self.root / self.resolve(wanted)):
                raise BuildError(
                    f"{instruction} failed: file not found in {self.name} or excluded by .dockerignore: "
                    f"stat {wanted or '.'}: file does not exist"
                )
            return [wanted]
        found = sorted(self._expand(wanted.split("/"), ""))
        if not found:
            raise BuildError(f"{instruction} failed: no source files were specified")
        return found

    def _expand(self, components: list[str], prefix: str) -> Iterator[str]:
        first, rest = components[0], components[1:]
        directory = self.root / self.resolve(prefix) if prefix else self.root
        if has_wildcard(first):
            try:
                names = sorted(os.listdir(directory))
            except (NotADirectoryError, FileNotFoundError):
                return
            candidates = [name for name in names if _go_match(first, name)]
        else:
            candidates = [first] if os.path.lexists(directory / first) else []
        for name in candidates:
            path = f"{prefix}/{name}" if prefix else name
            if self._ignored(path) and not rest:
                continue
            if rest:
                yield from self._expand(rest, path)
            else:
                yield path

    def entries(self, source: str, excludes: IgnoreMatcher | None = None) -> list[Entry]:
        """The source and, for a directory, everything below it (sorted), minus what is ignored or excluded.

        A source that is itself a symlink is followed; symlinks below it are entries of their own."""
        top = self.resolve(source)
        host = os.path.join(self.root, top) if top else str(self.root)
        info = os.lstat(host)
        found = [Entry("", host, info, "")]
        if stat.S_ISDIR(info.st_mode):
            self._walk(host, top, "", excludes, found)
        return found

    def _walk(self, host: str, tree_path: str, path: str, excludes: IgnoreMatcher | None, out: list[Entry]) -> None:
        with os.scandir(host) as scan:
            children = sorted(scan, key=lambda entry: entry.name)
        for child in children:
            child_tree = f"{tree_path}/{child.name}" if tree_path else child.name
            child_path = f"{path}/{child.name}" if path else child.name
            skipped = self._ignored(child_tree) or (excludes is not None and excludes.excluded(child_path))
            is_dir = child.is_dir(follow_symlinks=False)
            if skipped:
                if is_dir and self.ignore is not None and self.ignore.may_include_below(child_tree):
                    self._walk(child.path, child_tree, child_path, excludes, out)
                continue
            info = child.stat(follow_symlinks=False)
            link = os.readlink(child.path) if stat.S_ISLNK(info.st_mode) else ""
            out.append(Entry(child_path, child.path, info, link))
            if is_dir:
                self._walk(child.path, child_tree, child_path, excludes, out)

    def digest(self, entries: list[Entry]) -> str:
        """The hash of what a copy of `entries` would hold: paths, types, modes, owners (in a stage or image),
        sizes, contents and link targets; not times."""
        total = hashlib.sha256()
        for entry in entries:
            info = entry.stat
            owner = f"{info.st_uid}:{info.st_gid}" if self.owned else ""
            total.update(f"{entry.path}\0{info.st_mode:o}\0{owner}\0{info.st_size}\0{entry.link}\0".encode())
            if stat.S_ISREG(info.st_mode):
                total.update(_file_digest(entry.host_path))
            elif stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
                total.update(f"{os.major(info.st_rdev)},{os.minor(info.st_rdev)}".encode())
        return total.hexdigest()


def _file_digest(path: str) -> bytes:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").digest()
