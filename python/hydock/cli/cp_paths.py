"""`cp`'s path rules, as the docker CLI applies them (moby's pkg/archive copy.go): which directory a tar is unpacked
into and what its top entry is renamed to, so that `cp SRC DST` behaves like `cp -a` whether DST exists, is a
directory, ends in `/` or `/.`."""

from __future__ import annotations

import os
import posixpath
import stat

import msgspec

from hydock.errors import LocalError

_MAX_SYMLINKS = 10


class CopyInfo(msgspec.Struct):
    """A source or destination of a copy (moby's archive.CopyInfo)."""

    path: str
    exists: bool = False
    is_dir: bool = False
    rebase_name: str = ""


def split_cp_arg(arg: str) -> tuple[str, str]:
    """`CONTAINER:PATH` -> (container, path); a local path (absolute, or `./x:y`) -> ("", arg)."""
    if arg.startswith("/"):
        return "", arg
    container, sep, path = arg.partition(":")
    if not sep or container.startswith("."):
        return "", arg
    return container, path


def go_base(path: str) -> str:
    stripped = path.rstrip("/")
    return posixpath.basename(stripped) if stripped else "/"


def specifies_current_dir(path: str) -> bool:
    return go_base(path) == "."


def asserts_directory(path: str) -> bool:
    return path.endswith("/") or specifies_current_dir(path)


def preserve_trailing_dot_or_separator(cleaned: str, original: str) -> str:
    if not specifies_current_dir(cleaned) and specifies_current_dir(original):
        cleaned = (cleaned if cleaned.endswith("/") else cleaned + "/") + "."
    if not cleaned.endswith("/") and original.endswith("/"):
        cleaned += "/"
    return cleaned


def resolve_local_path(path: str) -> str:
    return preserve_trailing_dot_or_separator(os.path.abspath(path), path)


def split_path_dir_entry(path: str) -> tuple[str, str]:
    """(directory, last element), the path cleaned but a trailing `.` kept."""
    cleaned = posixpath.normpath(path)
    if specifies_current_dir(path):
        cleaned = cleaned.rstrip("/") + "/."
    return posixpath.dirname(cleaned) or ".", go_base(cleaned)


def rebase_name(path: str, resolved: str) -> tuple[str, str]:
    """moby's GetRebaseName: `resolved` given `path`'s trailing `/` or `/.`, and the name entries must take
    when following a link changed the last element."""
    if specifies_current_dir(path) and not specifies_current_dir(resolved):
        resolved += "/."
    if path.endswith("/") and not resolved.endswith("/"):
        resolved += "/"
    return resolved, go_base(path) if go_base(path) != go_base(resolved) else ""


def copy_info_source_path(path: str, follow_link: bool) -> CopyInfo:
    """A local source: symlinks before the last element resolved (the last one too with `-L`); it must exist."""
    if follow_link:
        resolved, rebase = rebase_name(path, os.path.realpath(path))
    else:
        directory, base = os.path.split(path)
        resolved = os.path.realpath(directory or ".").rstrip("/") + "/" + base
        rebase = go_base(path) if path.endswith("/") and go_base(path) != go_base(resolved) else ""
    try:
        is_dir = stat.S_ISDIR(os.lstat(resolved).st_mode)
    except FileNotFoundError:
        raise LocalError(f"lstat {resolved}: no such file or directory") from None
    return CopyInfo(resolved, exists=True, is_dir=is_dir, rebase_name=rebase)


def copy_info_destination_path(path: str) -> CopyInfo:
    """A local destination: symlinks followed (a dangling last one is created); if missing, its parent must be a
    directory."""
    original = path
    for _ in range(_MAX_SYMLINKS + 1):
        if not os.path.islink(path):
            break
        target = os.readlink(path)
        path = target if target.startswith("/") else posixpath.join(split_path_dir_entry(path)[0], target)
    else:
        raise LocalError(f"too many symlinks in {original}")
    if os.path.lexists(path):
        return CopyInfo(path, exists=True, is_dir=os.path.isdir(path))
    parent = split_path_dir_entry(path)[0]
    if not os.path.lexists(parent):
        raise LocalError(f"lstat {parent}: no such file or directory")
    if not os.path.isdir(parent):
        raise LocalError("not a directory")
    return CopyInfo(path)


def prepare_archive_copy(source: CopyInfo, destination: CopyInfo) -> tuple[str, str, str]:
    """moby's PrepareArchiveCopy: the directory to unpack into, and the top entry's name in the tar and the name it
    must take there (the same name when nothing is to be renamed)."""
    destination_dir, destination_base = split_path_dir_entry(destination.path)
    source_base = source.rebase_name or split_path_dir_entry(source.path)[1]
    if destination.exists and destination.is_dir:
        return destination.path, source_base, source_base
    if destination.exists and source.is_dir:
        raise LocalError("cannot copy directory")
    if not destination.exists and not source.is_dir and asserts_directory(destination.path):
        raise LocalError("no such directory")
    return destination_dir, source_base, destination_base


def rebased(name: str, old: str, new: str) -> str:
    """An entry's name with the first occurrence of `old` replaced by `new`, as moby's RebaseArchiveEntries does
    (the root directory's entries keep their leading separator)."""
    if old == new:
        return name
    return name.replace("" if old == "/" else old, new, 1)
