"""`cp`'s path rules (moby's pkg/archive copy.go) and the archive endpoints' path forms, without a container."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hydock.cli.cp_paths import (
    CopyInfo,
    copy_info_destination_path,
    copy_info_source_path,
    prepare_archive_copy,
    rebase_name,
    rebased,
    split_cp_arg,
    split_path_dir_entry,
)
from hydock.engine.root_archive import container_path, go_base, go_file_mode, rfc3339_nano
from hydock.errors import LocalError


def test_container_arguments_are_told_from_local_paths() -> None:
    assert split_cp_arg("box:/etc/hosts") == ("box", "/etc/hosts")
    assert split_cp_arg("/abs:with-colon") == ("", "/abs:with-colon")
    assert split_cp_arg("./rel:with-colon") == ("", "./rel:with-colon")
    assert split_cp_arg("plain") == ("", "plain")
    assert split_cp_arg("box:") == ("box", "")


def test_paths_keep_a_trailing_separator_or_dot() -> None:
    assert container_path("d/sub/..") == "/d"
    assert container_path("/d/") == "/d/"
    assert container_path("d/.") == "/d/."
    assert container_path("") == "/"
    assert (go_base("/d/"), go_base("/d/."), go_base("/")) == ("d", ".", "/")
    assert split_path_dir_entry("/a/b/.") == ("/a/b", ".")
    assert split_path_dir_entry("/a/b/") == ("/a", "b")


def test_go_file_modes_and_times() -> None:
    assert go_file_mode(stat.S_IFDIR | 0o755) == (1 << 31) | 0o755
    assert go_file_mode(stat.S_IFLNK | 0o777) == 134218239  # what dockerd 20.10 reports for a symlink
    assert go_file_mode(stat.S_IFCHR | 0o600) == (1 << 26) | (1 << 21) | 0o600
    assert go_file_mode(stat.S_IFDIR | stat.S_ISVTX | 0o777) == (1 << 31) | (1 << 20) | 0o777
    assert rfc3339_nano(1_795_927_772_079_441_350) == "2026-11-29T04:49:32.07944135Z"
    assert rfc3339_nano(1_795_927_772_000_000_000) == "2026-11-29T04:49:32Z"


@pytest.mark.parametrize(
    ("source", "destination", "expected"),
    [
        (CopyInfo("/s/dir", True, True), CopyInfo("/t/out", True, True), ("/t/out", "dir", "dir")),
        (CopyInfo("/s/dir", True, True), CopyInfo("/t/new"), ("/t", "dir", "new")),
        (CopyInfo("/s/dir/.", True, True), CopyInfo("/t/new"), ("/t", ".", "new")),
        (CopyInfo("/s/file", True, False), CopyInfo("/t/other", True, False), ("/t", "file", "other")),
        (CopyInfo("/s/link", True, True, rebase_name="named"), CopyInfo("/t/x"), ("/t", "named", "x")),
    ],
)
def test_where_a_copy_lands(source: CopyInfo, destination: CopyInfo, expected: tuple[str, str, str]) -> None:
    assert prepare_archive_copy(source, destination) == expected


def test_copies_docker_refuses() -> None:
    with pytest.raises(LocalError, match="^cannot copy directory$"):
        prepare_archive_copy(CopyInfo("/s/dir", True, True), CopyInfo("/t/file", True, False))
    with pytest.raises(LocalError, match="^no such directory$"):
        prepare_archive_copy(CopyInfo("/s/file", True, False), CopyInfo("/t/missing/"))


def test_rebasing_replaces_the_first_element_only() -> None:
    assert rebased("dir/sub/dir", "dir", "new") == "new/sub/dir"
    assert rebased("./a", ".", "x") == "x/a"
    assert rebased("a", "a", "a") == "a"
    assert rebase_name("/d/link/", "/d/target") == ("/d/target/", "link")
    assert rebase_name("/d/link/.", "/d/target") == ("/d/target/.", "")


def test_local_sources_and_destinations(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    os.symlink("dir", tmp_path / "link")
    os.symlink("missing", tmp_path / "dangling")
    assert copy_info_source_path(str(tmp_path / "link"), follow_link=False) == CopyInfo(
        f"{tmp_path}/link", exists=True, is_dir=False
    )
    assert copy_info_source_path(str(tmp_path / "link"), follow_link=True) == CopyInfo(
        f"{tmp_path}/dir", exists=True, is_dir=True, rebase_name="link"
    )
    with pytest.raises(LocalError, match="no such file or directory"):
        copy_info_source_path(str(tmp_path / "nope"), follow_link=False)
    assert copy_info_destination_path(str(tmp_path / "link")) == CopyInfo(f"{tmp_path}/dir", True, True)
    assert copy_info_destination_path(str(tmp_path / "dangling")) == CopyInfo(f"{tmp_path}/missing")
    with pytest.raises(LocalError, match="not a directory"):
        copy_info_destination_path(str(tmp_path / "file/x"))
    with pytest.raises(LocalError, match="no such file or directory"):
        copy_info_destination_path(str(tmp_path / "a/b"))
