"""`cp CONTAINER:SRC DEST` unpacking: renamed, owned as asked, and nothing written outside DEST."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from hydock.cli.cp_extract import extract_confined
from hydock.errors import LocalError


def _tar(*entries: tuple[str, str, str]) -> io.BytesIO:
    """(kind, name, data or link target) entries: kind is file, dir, symlink or hardlink."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for kind, name, value in entries:
            info = tarfile.TarInfo(name)
            info.uid, info.gid, info.mode = 1234, 5678, 0o640
            if kind == "file":
                info.size = len(value)
                tar.addfile(info, io.BytesIO(value.encode()))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}[kind]
            info.mode = {"dir": 0o755, "symlink": 0o777}.get(kind, info.mode)
            info.linkname = value
            tar.addfile(info)
    buffer.seek(0)
    return buffer


def _extract(source: io.BytesIO, directory: Path, old: str = "src", new: str = "src") -> None:
    with tarfile.open(fileobj=source, mode="r|*") as tar:
        extract_confined(tar, str(directory), old, new, None)


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    (tmp_path / "dest").mkdir()
    (tmp_path / "outside").mkdir()
    return tmp_path / "dest"


def test_the_top_entry_is_renamed_and_links_are_made_as_they_are(dest: Path) -> None:
    source = _tar(
        ("dir", "src", ""),
        ("file", "src/a", "hello"),
        ("hardlink", "src/b", "src/a"),
        ("symlink", "src/rel", "a"),
        ("symlink", "src/abs", "/usr/share/zoneinfo/UTC"),
    )
    _extract(source, dest, "src", "copy")
    assert (dest / "copy/a").read_text() == "hello"
    assert os.path.samefile(dest / "copy/a", dest / "copy/b")
    assert os.readlink(dest / "copy/rel") == "a"
    assert os.readlink(dest / "copy/abs") == "/usr/share/zoneinfo/UTC"  # Docker copies absolute symlinks verbatim
    assert (dest / "copy/a").stat().st_mode & 0o777 == 0o640


def test_a_leading_slash_stays_inside(dest: Path) -> None:
    _extract(_tar(("file", "/src", "x")), dest)
    assert (dest / "src").read_text() == "x"


@pytest.mark.parametrize(
    ("entries", "why"),
    [
        ([("file", "src/../../outside/f", "x")], "it is outside of"),
        ([("symlink", "src", "../outside"), ("file", "src/f", "x")], "invalid symlink to '../outside'"),
        ([("hardlink", "src", "../outside/victim")], "invalid hard link to '../outside/victim'"),
    ],
)
def test_an_entry_reaching_outside_is_refused(dest: Path, entries: list[tuple[str, str, str]], why: str) -> None:
    (dest.parent / "outside/victim").write_text("kept")
    with pytest.raises(LocalError, match="refusing to extract") as refused:
        _extract(_tar(*entries), dest)
    assert why in str(refused.value)
    assert sorted(p.name for p in (dest.parent / "outside").iterdir()) == ["victim"]
    assert (dest.parent / "outside/victim").read_text() == "kept"


def test_nothing_is_written_through_an_absolute_symlink_an_earlier_entry_made(dest: Path) -> None:
    outside = dest.parent / "outside"
    source = _tar(("dir", "src", ""), ("symlink", "src/e", str(outside)), ("file", "src/e/planted", "x"))
    with pytest.raises(LocalError, match="refusing to extract 'src/e/planted': it is outside of"):
        _extract(source, dest)
    assert list(outside.iterdir()) == []
    assert os.readlink(dest / "src/e") == str(outside)


def test_a_directory_is_never_replaced_by_a_file_nor_the_other_way_round(dest: Path) -> None:
    (dest / "src").mkdir()
    with pytest.raises(LocalError, match=f'cannot overwrite directory "{dest}/src" with non-directory "{dest}"'):
        _extract(_tar(("file", "src", "x")), dest)
    (dest / "plain").write_text("x")
    with pytest.raises(LocalError, match=f'cannot overwrite non-directory "{dest}/plain" with directory "{dest}"'):
        _extract(_tar(("dir", "plain", "")), dest, "plain", "plain")
