"""COPY and ADD: which files a step copies (and their digest, for its cache key), then copying them by Docker's
destination rules: a trailing `/` or an existing directory takes sources by name, a directory source gives its
contents, several sources need a directory. ADD also unpacks local tar archives and downloads URLs."""

from __future__ import annotations

import bz2
import hashlib
import lzma
import os
import posixpath
import shutil
import stat
import tarfile
from pathlib import Path
from typing import NamedTuple

from hydock.dockerfile import nodes
from hydock.dockerfile.builder.copy_files import ROOT, Owner, Placement, RootWriter, child
from hydock.dockerfile.builder.fetch import Download, download, is_git, is_url
from hydock.dockerfile.builder.sources import Entry, SourceTree, clean
from hydock.dockerfile.dockerignore import IgnoreMatcher, read_patterns
from hydock.errors import BuildError
from hydock.store.layers import extract_tar

HEREDOC_MODE = 0o644
DOWNLOAD_MODE = 0o600


class CopySource(NamedTuple):
    path: str
    """As matched in its tree; with --parents, what is kept of it under the destination."""
    entries: list[Entry]


class CopyPlan(NamedTuple):
    sources: list[CopySource]
    downloads: list[Download]
    digest: str
    """Of every source's content and metadata: what the step's cache key needs besides the instruction."""
    summary: str
    """Docker's `file:<hash>`, `dir:<hash>` or `multi:<hash>` for the history line."""


def plan_copy(instruction: nodes.Copy | nodes.Add, tree: SourceTree, downloads_dir: Path) -> CopyPlan:
    """Matches and lists the sources (downloading ADD's URLs) without writing anything."""
    excludes = IgnoreMatcher(read_patterns("\n".join(instruction.excludes))) if instruction.excludes else None
    total = hashlib.sha256()
    sources: list[CopySource] = []
    downloads: list[Download] = []
    for pattern in instruction.sources:
        if is_url(pattern) or is_git(pattern):
            if isinstance(instruction, nodes.Copy):
                raise BuildError("source can't be a URL for COPY")
            if is_git(pattern):
                raise BuildError(f"ADD of a git repository is not supported: {pattern}")
            fetched = download(pattern, downloads_dir, instruction.checksum)
            downloads.append(fetched)
            total.update(f"url\0{pattern}\0{fetched.digest}\0".encode())
            continue
        for path in tree.match(pattern, instruction=instruction.name):
            entries = tree.entries(path, excludes)
            sources.append(CopySource(_kept_path(pattern, path), entries))
            total.update(f"source\0{path}\0{tree.digest(entries)}\0".encode())
    for inline in instruction.inline_sources:
        total.update(f"inline\0{inline.path}\0".encode() + inline.data.encode() + b"\0")
    digest = total.hexdigest()
    count = len(sources) + len(downloads) + len(instruction.inline_sources)
    if count > 1:
        kind = "multi"
    elif sources and stat.S_ISDIR(sources[0].entries[0].stat.st_mode):
        kind = "dir"
    else:
        kind = "file"
    return CopyPlan(sources, downloads, digest, f"{kind}:{digest}")


def _kept_path(pattern: str, path: str) -> str:
    """For --parents: the matched path from the `/./` pivot of the pattern on (from the root without one)."""
    if "/./" not in pattern:
        return path
    pivot = clean(pattern.split("/./", 1)[0])
    return path[len(pivot) :].lstrip("/") if pivot else path


def parse_chmod(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or any(ch > "7" for ch in text) or int(text, 8) > 0o7777:
        raise BuildError(f"invalid chmod parameter: {text!r}: only octal modes are supported")
    return int(text, 8)


class Destination(NamedTuple):
    path: str
    """Absolute inside the root, a trailing `/` kept."""
    owner: Owner
    """Of the directories the copy creates."""


def destination(instruction: nodes.Copy | nodes.Add, workdir: str, owner: Owner) -> Destination:
    dest = instruction.dest
    absolute = posixpath.join("/", workdir or "/", dest)
    if dest.endswith("/") and not absolute.endswith("/"):
        absolute += "/"
    return Destination(absolute, owner)


def run_copy(
    instruction: nodes.Copy | nodes.Add,
    plan: CopyPlan,
    root: Path,
    dest: Destination,
    placement: Placement,
    scratch: Path,
) -> None:
    """Copies the planned sources into the root filesystem mounted at `root` (`scratch`: a directory outside it
    for temporary files)."""
    writer = RootWriter(root)
    count = len(plan.sources) + len(plan.downloads) + len(instruction.inline_sources)
    wants_dir = dest.path.endswith("/")
    if count > 1 and not wants_dir:
        raise BuildError(
            f"When using {instruction.name} with more than one source file, "
            "the destination must be a directory and end with a /"
        )
    into_dir = wants_dir or writer.is_dir(dest.path)
    unpack = isinstance(instruction, nodes.Add) and instruction.unpack is not False
    for source in plan.sources:
        top = source.entries[0]
        kept = source.path if _parents(instruction) else ""
        if stat.S_ISDIR(top.stat.st_mode):
            target = writer.make_dirs(posixpath.join(dest.path, kept), dest.owner)
            writer.copy_tree(source.entries, target, placement)
        elif unpack and stat.S_ISREG(top.stat.st_mode) and _is_archive(top.host_path):
            _unpack(top.host_path, writer.host(writer.make_dirs(dest.path, dest.owner)), scratch)
        else:
            name = kept or posixpath.basename(source.path)
            _place_file(writer, dest, into_dir, name, top, placement)
    for fetched in plan.downloads:
        if fetched.mtime is not None:
            os.utime(fetched.path, (fetched.mtime, fetched.mtime))
        entry = Entry("", str(fetched.path), os.lstat(fetched.path), "")
        mode = DOWNLOAD_MODE if placement.mode is None else placement.mode
        _place_file(writer, dest, into_dir, fetched.name, entry, Placement(placement.owner or ROOT, mode))
    for inline in instruction.inline_sources:
        path = posixpath.join(dest.path, inline.path) if into_dir else dest.path
        parent = writer.make_dirs(posixpath.dirname(path), dest.owner)
        mode = HEREDOC_MODE if placement.mode is None else placement.mode
        writer.write_file(child(parent, posixpath.basename(path)), inline.data.encode(), placement.owner or ROOT, mode)
    writer.finish()


def _parents(instruction: nodes.Copy | nodes.Add) -> bool:
    return isinstance(instruction, nodes.Copy) and instruction.parents


def _place_file(
    writer: RootWriter, dest: Destination, into_dir: bool, name: str, entry: Entry, placement: Placement
) -> None:
    path = posixpath.join(dest.path, name) if into_dir else dest.path
    parent = writer.make_dirs(posixpath.dirname(path), dest.owner)
    writer.place(entry, child(parent, posixpath.basename(path)), placement)


def _is_archive(path: str) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def _unpack(archive: str, target: str, scratch: Path) -> None:
    """ADD's local tar archives (plain, gzip, bzip2, xz) are unpacked into the destination directory."""
    with open(archive, "rb") as file:
        magic = file.read(6)
    opener = bz2.open if magic.startswith(b"BZh") else lzma.open if magic.startswith(b"\xfd7zXZ") else None
    if opener is None:
        extract_tar(archive, Path(target))
        return
    plain = scratch / "unpacked.tar"
    try:
        with opener(archive, "rb") as source, open(plain, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        extract_tar(str(plain), Path(target))
    finally:
        plain.unlink(missing_ok=True)
