"""`hydock cp`, `diff` and `export` through hydockd, on running and stopped containers, with docker's copy rules."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from tests.integration.conftest import Cli


def _ok(result: subprocess.CompletedProcess[bytes]) -> str:
    return _bytes(result).decode()


def _bytes(result: subprocess.CompletedProcess[bytes]) -> bytes:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _until(cli: Cli, *check: str) -> None:
    """Waits (10 s at most) until the command succeeds: the container's setup has run."""
    deadline = time.monotonic() + 10
    while cli(*check).returncode != 0:
        assert time.monotonic() < deadline, check
        time.sleep(0.05)


def _tree(path: Path) -> dict[str, tuple[str, int, int, str]]:
    """Relative path -> (kind, uid, gid, content or link target)."""
    found = {}
    for entry in sorted(path.rglob("*")):
        st = entry.lstat()
        if entry.is_symlink():
            found[str(entry.relative_to(path))] = ("link", st.st_uid, st.st_gid, os.readlink(entry))
        elif entry.is_dir():
            found[str(entry.relative_to(path))] = ("dir", st.st_uid, st.st_gid, "")
        else:
            found[str(entry.relative_to(path))] = ("file", st.st_uid, st.st_gid, entry.read_text())
    return found


SETUP = (
    "mkdir -p /d/sub && echo a > /d/a && echo b > /d/sub/b && ln -s /d/a /d/link && ln -s /d /dl"
    " && chown 1000:50 /d/a && ln /d/a /d/hard"
)


@pytest.fixture(params=["running", "stopped"])
def box(request: pytest.FixtureRequest, cli: Cli, image: str) -> str:
    """A container with a small tree in /d and a volume at /vol, running or stopped."""
    command = f"{SETUP}; sleep 1000" if request.param == "running" else SETUP
    name = f"box-{request.param}"
    _ok(cli("run", "-d", "--name", name, "-v", f"vol-{request.param}:/vol", image, "sh", "-c", command))
    if request.param == "stopped":
        assert _ok(cli("wait", name)) == "0\n"
    else:
        _until(cli, "exec", name, "test", "-e", "/d/hard")
    return name


def test_cp_from_a_container_follows_dockers_rules(cli: Cli, box: str, tmp_path: Path) -> None:
    _ok(cli("cp", f"{box}:/d", f"{tmp_path}/copy"))  # a new name: the directory is renamed
    assert _tree(tmp_path / "copy") == {
        "a": ("file", 0, 0, "a\n"), "hard": ("file", 0, 0, "a\n"), "link": ("link", 0, 0, "/d/a"),
        "sub": ("dir", 0, 0, ""), "sub/b": ("file", 0, 0, "b\n"),
    }  # fmt: skip
    assert (tmp_path / "copy/a").stat().st_ino == (tmp_path / "copy/hard").stat().st_ino
    (tmp_path / "into").mkdir()
    _ok(cli("cp", f"{box}:/d", f"{tmp_path}/into"))  # an existing directory: copied into it
    assert (tmp_path / "into/d/sub/b").read_text() == "b\n"
    _ok(cli("cp", f"{box}:/d/.", f"{tmp_path}/into"))  # trailing /.: the contents
    assert (tmp_path / "into/sub/b").read_text() == "b\n"
    _ok(cli("cp", "-a", f"{box}:/d/a", f"{tmp_path}/owned"))
    assert ((tmp_path / "owned").stat().st_uid, (tmp_path / "owned").stat().st_gid) == (1000, 50)
    _ok(cli("cp", f"{box}:/dl", f"{tmp_path}/link-itself"))
    assert os.readlink(tmp_path / "link-itself") == "/d"
    _ok(cli("cp", f"{box}:/dl/", f"{tmp_path}/link-followed"))
    assert sorted(os.listdir(tmp_path / "link-followed")) == ["a", "hard", "link", "sub"]
    _ok(cli("cp", "-L", f"{box}:/d/link", f"{tmp_path}/deref"))
    assert (tmp_path / "deref").read_text() == "a\n" and not (tmp_path / "deref").is_symlink()
    tar = _bytes(cli("cp", f"{box}:/d/sub", "-"))
    assert tarfile.open(fileobj=io.BytesIO(tar)).getnames() == ["sub", "sub/b"]


def test_cp_into_a_container_and_its_volume(cli: Cli, box: str, tmp_path: Path) -> None:
    local = tmp_path / "local"
    (local / "dir/sub").mkdir(parents=True)
    (local / "dir/f").write_text("f\n")
    (local / "dir/sub/g").write_text("g\n")
    os.symlink("f", local / "dir/lf")
    os.chown(local / "dir/f", 1234, 1234)
    _ok(cli("cp", str(local / "dir"), f"{box}:/vol/"))
    _ok(cli("cp", str(local / "dir") + "/.", f"{box}:/d/sub"))
    _ok(cli("cp", "-a", str(local / "dir/f"), f"{box}:/d/renamed"))
    _ok(cli("cp", str(local / "dir/f"), f"{box}:/dl/via-link"))
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w") as tar:
        info = tarfile.TarInfo("from-stdin")
        info.size, info.uid = 3, 42
        tar.addfile(info, io.BytesIO(b"in\n"))
    _ok(cli("cp", "-", f"{box}:/d", input=stream.getvalue()))
    _ok(cli("cp", f"{box}:/", str(tmp_path / "whole")))
    whole = tmp_path / "whole"
    assert (whole / "vol/dir/sub/g").read_text() == "g\n" and os.readlink(whole / "vol/dir/lf") == "f"
    assert (whole / "d/sub/f").read_text() == "f\n" and (whole / "d/sub/sub/g").read_text() == "g\n"
    assert (whole / "d/via-link").read_text() == "f\n"
    ids = _bytes(cli("cp", f"{box}:/d", "-"))
    members = {m.name: (m.uid, m.gid) for m in tarfile.open(fileobj=io.BytesIO(ids))}
    assert members["d/renamed"] == (1234, 1234)  # no user configured: -a keeps the ids the tar carries
    assert members["d/from-stdin"] == (42, 0)


def test_cp_refusals_use_dockers_words(cli: Cli, box: str, tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    here, file, directory = str(tmp_path), str(tmp_path / "file"), str(tmp_path / "dir")
    cases = {
        (
            f"{box}:/nope",
            f"{here}/out",
        ): f"Error response from daemon: Could not find the file /nope in container {box}",
        (directory, f"{box}:/d/a"): "cannot copy directory",
        (file, f"{box}:/d/sub/missing/"): "no such directory",
        (file, f"{box}:/nodir/x"): f"Error response from daemon: Could not find the file /nodir in container {box}",
        (f"{box}:/d/a", f"{here}/nodir/a"): f'invalid output path: directory "{here}/nodir" does not exist',
        (file, f"{here}/other"): "must specify at least one container source",
        (f"{box}:/d", f"{box}:/e"): "copying between containers is not supported",
        (f"{box}:/d/a/", f"{here}/x"): "Error response from daemon: lstat /d/a/: not a directory",
    }
    for (source, destination), message in cases.items():
        result = cli("cp", source, destination)
        assert (result.returncode, result.stderr.decode()) == (1, message + "\n"), (source, destination)


def test_cp_never_leaves_the_container_root(cli: Cli, image: str, tmp_path: Path) -> None:
    escape = "ln -s / /up && ln -s ../../../../../../etc /rel && mkdir /box"
    _ok(cli("run", "-d", "--name", "sly", image, "sh", "-c", f"{escape}; sleep 1000"))
    _until(cli, "exec", "sly", "test", "-d", "/box")
    (tmp_path / "marker").write_text("not for the host\n")
    _ok(cli("cp", str(tmp_path / "marker"), "sly:/up/tmp/"))
    _ok(cli("cp", str(tmp_path / "marker"), "sly:/rel/"))
    assert not Path("/tmp/marker").exists() and not Path("/etc/marker").exists()
    assert _ok(cli("exec", "sly", "cat", "/tmp/marker", "/etc/marker")) == "not for the host\n" * 2
    _ok(cli("cp", "sly:/rel/passwd", str(tmp_path / "passwd")))
    assert (tmp_path / "passwd").read_text().startswith("root:x:0:0:root:/root:/bin/sh")  # the image's, not the host's


def test_diff_lists_changes_as_docker_does(cli: Cli, image: str) -> None:
    script = "echo hi > /tmp/x; rm /etc/group; mkdir -p /home/app/q; echo v > /vol/f"
    _ok(cli("run", "--name", "changed", "-v", "/vol", image, "sh", "-c", script))
    assert _ok(cli("diff", "changed")).splitlines() == [
        "C /etc", "D /etc/group", "C /home", "C /home/app", "A /home/app/q", "C /tmp", "A /tmp/x", "A /vol",
    ]  # fmt: skip
    _ok(cli("create", "--name", "fresh", image, "true"))
    assert _ok(cli("diff", "fresh")) == ""
    missing = cli("diff", "nobody")
    assert missing.returncode == 1 and missing.stderr == b"Error response from daemon: No such container: nobody\n"


def test_export_writes_the_root_filesystem_without_volumes(cli: Cli, image: str, tmp_path: Path) -> None:
    _ok(
        cli(
            "run",
            "-d",
            "--name",
            "exported",
            "-v",
            "/vol",
            image,
            "sh",
            "-c",
            "echo e > /e; echo v > /vol/v; sleep 1000",
        )
    )
    _until(cli, "exec", "exported", "test", "-e", "/vol/v")
    for state in ("running", "stopped"):
        target = tmp_path / f"{state}.tar"
        _ok(cli("export", "-o", str(target), "exported"))
        with tarfile.open(target) as tar:
            names = tar.getnames()
            assert "bin/busybox" in names and "e" in names and "vol" in names and "vol/v" not in names
            assert tar.extractfile("e").read() == b"e\n"  # type: ignore[union-attr]
        _ok(cli("stop", "-t", "0", "exported"))
    piped = _bytes(cli("export", "exported"))
    assert "bin/busybox" in tarfile.open(fileobj=io.BytesIO(piped)).getnames()


def test_cp_archive_mode_gives_files_to_the_containers_user(cli: Cli, image: str, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("f\n")
    _ok(cli("create", "--name", "as-app", "--user", "app", "--read-only", "-v", "/data", image, "true"))
    _ok(cli("cp", "-a", str(tmp_path / "f"), "as-app:/data/owned"))
    _ok(cli("cp", str(tmp_path / "f"), "as-app:/data/kept"))
    members = {m.name: (m.uid, m.gid) for m in tarfile.open(fileobj=io.BytesIO(_bytes(cli("cp", "as-app:/data", "-"))))}
    assert members["data/owned"] == (1000, 1000) and members["data/kept"] == (0, 0)
    refused = cli("cp", str(tmp_path / "f"), "as-app:/")
    assert refused.returncode == 1
    assert refused.stderr == b"Error response from daemon: container rootfs is marked read-only\n"
