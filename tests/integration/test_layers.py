"""Multi-layer images on overlayfs: whiteouts and opaque dirs; layer tars that try to escape."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from hydock import Engine
from hydock.errors import LayerError


def layer(path: Path, entries: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                info = tarfile.TarInfo(entry[0])
                info.size = len(entry[1])
                tar.addfile(info, io.BytesIO(entry[1]))
    return path


def directory(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info


def test_whiteout_and_opaque_dir(engine: Engine, busybox_tar: Path, tmp_path: Path) -> None:
    lower = layer(tmp_path / "l1.tar.gz", [directory("data"), ("data/keep", b"keep\n"), ("data/gone", b"gone\n"),
                                           directory("cache"), ("cache/old1", b"1"), ("cache/old2", b"2")])  # fmt: skip
    upper = layer(tmp_path / "l2.tar.gz", [("data/.wh.gone", b""), directory("cache"), ("cache/.wh..wh..opq", b""),
                                           ("cache/new", b"new\n")])  # fmt: skip
    engine.image_service.create_from_layers([busybox_tar, lower, upper], "layered:1")
    out = engine.containers.run("layered:1", ["sh", "-c", "ls /data; echo --; ls /cache; cat /cache/new"], remove=True)
    assert out == b"keep\n--\nnew\nnew\n"
    attrs = engine.images.get("layered:1").attrs
    assert len(attrs["RootFS"]["Layers"]) == 3


@pytest.mark.parametrize(
    "name, entry",
    [
        ("dotdot", ("../escaped", b"x")),
        ("absolute", ("/tmp/escaped-absolute", b"x")),
    ],
)
def test_escaping_entries_are_refused(engine: Engine, tmp_path: Path, name: str, entry: tuple[str, bytes]) -> None:
    bad = layer(tmp_path / f"{name}.tar.gz", [directory("ok"), entry])
    with pytest.raises(LayerError) as info:
        engine.images.import_image(bad, "bad:1")
    assert entry[0] in str(info.value)
    assert not (tmp_path / "escaped").exists()
    assert not Path("/tmp/escaped-absolute").exists()
    assert engine.image_service.summaries() == []
    assert list((engine.root / "layers").glob(".tmp-*")) == []
    assert list((engine.root / "ingest").iterdir()) == []


def test_symlink_escape_is_refused(engine: Engine, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    link = tarfile.TarInfo("link")
    link.type, link.linkname = tarfile.SYMTYPE, str(outside)
    bad = layer(tmp_path / "symlink.tar.gz", [link, ("link/planted", b"x")])
    with pytest.raises(LayerError) as info:
        engine.images.import_image(bad, "bad:2")
    assert "link/planted" in str(info.value)
    assert list(outside.iterdir()) == []


def test_hardlink_escape_is_refused(engine: Engine, tmp_path: Path) -> None:
    hard = tarfile.TarInfo("stolen")
    hard.type, hard.linkname = tarfile.LNKTYPE, "../../../../etc/passwd"
    bad = layer(tmp_path / "hardlink.tar.gz", [hard])
    with pytest.raises(LayerError) as info:
        engine.images.import_image(bad, "bad:3")
    assert "stolen" in str(info.value)


def test_corrupt_gzip_is_refused(engine: Engine, busybox_tar: Path, tmp_path: Path) -> None:
    good = layer(tmp_path / "good.tar.gz", [("f", b"x" * 100000)])
    data = good.read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(LayerError):
        engine.images.import_image(truncated, "bad:4")
    assert engine.image_service.summaries() == []
