"""`hydock cp`, `diff` and `export`: a container's files through the Engine API's archive, changes and export
endpoints, with the docker CLI's copy rules (cp_paths) and messages."""

from __future__ import annotations

import io
import os
import sys
import tarfile
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from hydock.cli.context import api, exits_1_on_refusal
from hydock.cli.cp_paths import (
    CopyInfo,
    copy_info_destination_path,
    copy_info_source_path,
    prepare_archive_copy,
    rebase_name,
    resolve_local_path,
    split_cp_arg,
    split_path_dir_entry,
)
from hydock.errors import HydockError, LocalError

if TYPE_CHECKING:
    from hydock.client.api import APIClient

_CHUNK = 1 << 20
# Go's os.FileMode bits, as PathStat.mode carries them.
_GO_MODE_DIR = 1 << 31
_GO_MODE_SYMLINK = 1 << 27
_GO_MODE_DEVICE = 1 << 26
_GO_MODE_IRREGULAR = 1 << 19


class _ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (a streamed reply body)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@click.command("cp")
@click.option("-L", "--follow-link", is_flag=True, help="Always follow symbol link in SRC_PATH")
@click.option("-a", "--archive", is_flag=True, help="Archive mode (copy all uid/gid information)")
@click.option("-q", "--quiet", is_flag=True, help="Suppress progress output during copy")
@click.argument("source")
@click.argument("destination")
def cp(follow_link: bool, archive: bool, quiet: bool, source: str, destination: str) -> None:
    """Copy files/folders between a container and the local filesystem.

    Use '-' as the source to read a tar archive from stdin and extract it to a directory destination in a
    container. Use '-' as the destination to stream a tar archive of a container source to stdout.
    """
    if not source:
        raise LocalError("source can not be empty")
    if not destination:
        raise LocalError("destination can not be empty")
    source_container, source_path = split_cp_arg(source)
    destination_container, destination_path = split_cp_arg(destination)
    if source_container and destination_container:
        raise LocalError("copying between containers is not supported")
    if not source_container and not destination_container:
        raise LocalError("must specify at least one container source")
    client = api()
    with exits_1_on_refusal():
        if source_container:
            copied = _copy_from_container(client, source_container, source_path, destination_path, follow_link, archive)
            target = destination_path
        else:
            copied = _copy_to_container(
                client, destination_container, source_path, destination_path, follow_link, archive
            )
            target = f"{destination_container}:{destination_path}"
    if not quiet and sys.stdout.isatty() and destination_path != "-":
        from hydock.units import human_size

        click.echo(f"Successfully copied {human_size(copied)} to {target}", err=True)


def _copy_from_container(
    client: APIClient, container: str, source: str, destination: str, follow_link: bool, archive: bool
) -> int:
    """Unpacks the container's tar of `source` locally as the docker CLI does; the bytes received."""
    if destination != "-":
        destination = resolve_local_path(destination)
        _check_output_path(destination)
    rebase = ""
    if follow_link:
        try:
            stat = client.stat_path(container, source)
        except HydockError:
            stat = None
        if stat is not None and stat.mode & _GO_MODE_SYMLINK:
            target = stat.link_target
            if not target.startswith("/"):
                target = os.path.join(split_path_dir_entry(source)[0], target)
            source, rebase = rebase_name(source, target)
    stat, chunks = client.get_archive(container, source)
    counted = _Counted(chunks)
    if destination == "-":
        for chunk in counted:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return counted.size
    source_info = CopyInfo(source, exists=True, is_dir=bool(stat.mode & _GO_MODE_DIR), rebase_name=rebase)
    destination_info = copy_info_destination_path(destination)
    directory, _, name = prepare_archive_copy(source_info, destination_info)
    # The daemon names the tar's top entry after the path asked for (which -L may have changed).
    owner = None if archive else (os.getuid(), os.getgid())
    _untar(_ChunkReader(iter(counted)), directory, split_path_dir_entry(source)[1], name, owner)
    return counted.size


class _Counted:
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.size += len(chunk)
            yield chunk


def _check_output_path(path: str) -> None:
    """The docker CLI's ValidateOutputPath: the parent must exist; an existing target a directory or a file."""
    parent = os.path.dirname(os.path.normpath(path))
    if parent and not os.path.exists(parent):
        raise LocalError(f'invalid output path: directory "{parent}" does not exist')
    if os.path.exists(path) and not (os.path.isdir(path) or os.path.isfile(path)):
        raise LocalError(f'invalid output path: "{path}" must be a directory or a regular file')


def _untar(source: io.RawIOBase, directory: str, old: str, new: str, owner: tuple[int, int] | None) -> None:
    from hydock.cli.cp_extract import extract_confined

    with tarfile.open(fileobj=io.BufferedReader(source, _CHUNK), mode="r|*") as tar:
        extract_confined(tar, directory, old, new, owner)


def _copy_to_container(
    client: APIClient, container: str, source: str, destination: str, follow_link: bool, archive: bool
) -> int:
    """Sends the tar of a local path (or of stdin's tar) to unpack where `destination` says; the bytes sent."""
    destination_info = CopyInfo(destination)
    try:
        stat = client.stat_path(container, destination)
        if stat.mode & _GO_MODE_SYMLINK:
            target = stat.link_target
            if not target.startswith("/"):
                target = os.path.join(split_path_dir_entry(destination)[0], target)
            destination_info.path = target
            stat = client.stat_path(container, target)
    except HydockError:
        stat = None  # missing: its parent may still be there to unpack into
    if stat is not None:
        for bit, problem in ((_GO_MODE_DEVICE, "got a device"), (_GO_MODE_IRREGULAR, "got an irregular file")):
            if stat.mode & bit:
                raise LocalError(
                    f'destination "{container}:{destination}" must be a directory or a regular file: {problem}'
                )
        destination_info.exists, destination_info.is_dir = True, bool(stat.mode & _GO_MODE_DIR)
    if source == "-":
        if not destination_info.is_dir:
            raise LocalError(f'destination "{container}:{destination}" must be a directory')
        counted = _Counted(iter(lambda: sys.stdin.buffer.read(_CHUNK), b""))
        client.put_archive(container, destination_info.path, counted, copy_uid_gid=archive)
        return counted.size
    source_info = copy_info_source_path(resolve_local_path(source), follow_link)
    directory, _, name = prepare_archive_copy(source_info, destination_info)
    sender = _TarSender(source_info.path, name)
    counted = _Counted(sender.chunks())
    client.put_archive(container, directory, counted, copy_uid_gid=archive, no_overwrite_dir_non_dir=True)
    sender.finish()
    return counted.size


class _TarSender:
    """A tar of a local path, its top entry named `name`, written by a thread as the request body reads it."""

    def __init__(self, path: str, name: str) -> None:
        self.path = os.path.normpath(path)
        self.name = name
        self.error: BaseException | None = None
        self.read_fd, write_fd = os.pipe()
        self.thread = threading.Thread(target=self._write, args=(write_fd,), daemon=True)
        self.thread.start()

    def _write(self, write_fd: int) -> None:
        try:
            with open(write_fd, "wb") as out, tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                tar.add(self.path, arcname=self.name)
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread by finish()
            self.error = exc

    def chunks(self) -> Iterator[bytes]:
        with open(self.read_fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(_CHUNK):
                yield chunk

    def finish(self) -> None:
        self.thread.join()
        if isinstance(self.error, OSError):
            raise LocalError(str(self.error))
        if self.error is not None:
            raise self.error


@click.command("diff")
@click.argument("container")
def diff(container: str) -> None:
    """Inspect changes to files or directories on a container's filesystem."""
    with exits_1_on_refusal():
        changes = api().changes(container)
    for change in changes:
        click.echo(f"{'CAD'[change.kind]} {change.path}")


@click.command("export")
@click.option("-o", "--output", default=None, help="Write to a file, instead of STDOUT")
@click.argument("container")
def export(output: str | None, container: str) -> None:
    """Export a container's filesystem as a tar archive."""
    if output is None:
        if sys.stdout.isatty():
            raise LocalError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
        for chunk in api().export(container):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return
    from pathlib import Path

    from hydock.store.atomic import temp_sibling

    # Like docker, the file appears only once the whole archive is in it.
    partial = temp_sibling(Path(output))
    try:
        with open(partial, "wb") as tar:
            for chunk in api().export(container):
                tar.write(chunk)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def register(group: click.Group) -> None:
    for command in (cp, diff, export):
        group.add_command(command)
