"""The context tar the CLI sends: what tarfile reads back (names, owners, modes, links, long names), and what
.dockerignore leaves out and brings back."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from hydock.client.build_context import context_tar
from hydock.dockerfile.dockerignore import IgnoreMatcher, read_patterns
from tests.unit.test_dockerignore import FILES, IGNORE, KEPT_BY_DOCKER


def _read(chunks: object) -> tarfile.TarFile:
    data = b"".join(chunks)  # type: ignore[arg-type]
    return tarfile.open(fileobj=io.BytesIO(data))


def test_entries_owners_links_and_long_names(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 90) / ("e" * 90)
    deep.mkdir(parents=True)
    (deep / "f.txt").write_text("deep\n")
    unsplittable = tmp_path / ("n" * 120)
    unsplittable.write_text("long name\n")
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o750)
    os.symlink("run.sh", tmp_path / "link")
    os.symlink("t" * 150, tmp_path / "long-link")
    os.chown(tmp_path / "run.sh", 1000, 1000)
    tar = _read(context_tar(tmp_path, IgnoreMatcher([]), set(), {".dockerfile.abc": b"FROM scratch\n"}))
    members = {member.name: member for member in tar.getmembers()}
    assert list(members) == sorted(set(members) - {".dockerfile.abc"}) + [".dockerfile.abc"]
    assert tar.extractfile(members[f"{'d' * 90}/{'e' * 90}/f.txt"]).read() == b"deep\n"  # type: ignore[union-attr]
    assert tar.extractfile(members["n" * 120]).read() == b"long name\n"  # type: ignore[union-attr]
    assert members["run.sh"].mode == 0o750 and (members["run.sh"].uid, members["run.sh"].gid) == (0, 0)
    assert members["link"].issym() and members["link"].linkname == "run.sh"
    assert members["long-link"].linkname == "t" * 150
    assert members["d" * 90].isdir()
    assert tar.extractfile(members[".dockerfile.abc"]).read() == b"FROM scratch\n"  # type: ignore[union-attr]


def test_dockerignore_applies_but_the_build_files_stay(tmp_path: Path) -> None:
    for name in FILES:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    patterns = read_patterns(IGNORE + "Dockerfile\n.dockerignore\n")
    tar = _read(context_tar(tmp_path, IgnoreMatcher(patterns), {"Dockerfile", ".dockerignore"}))
    files = {member.name for member in tar.getmembers() if member.isfile()}
    assert files == KEPT_BY_DOCKER
