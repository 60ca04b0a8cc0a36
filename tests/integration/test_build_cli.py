"""`hydock build` through the daemon: the context sent as a tar (.dockerignore applied here), Docker's output,
-q/--iidfile, a Dockerfile or a whole context on stdin, secrets, outputs, the live view, errors, builder prune."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from hydock import Engine
from hydock.dockerfile.builder.bases import scratch_state
from hydock.dockerfile.builder.rootfs import MountedRoot
from tests.integration.conftest import Cli, stop_daemon
from tests.integration.leaks import mounts_under

DOCKERFILE = "FROM busybox\nARG WHO=world\nCOPY . /ctx/\nRUN echo hello $WHO > /greeting\nCMD cat /greeting\n"


@pytest.fixture
def context(tmp_path: Path, cli: Cli, busybox_tar: Path) -> Path:
    assert cli("import", str(busybox_tar), "busybox:latest").returncode == 0
    path = tmp_path / "context"
    path.mkdir()
    (path / "Dockerfile").write_text(DOCKERFILE)
    (path / "kept.txt").write_text("kept\n")
    (path / "secret.key").write_text("never sent\n")
    (path / ".dockerignore").write_text("*.key\n")
    return path


def test_build_tag_and_run(cli: Cli, context: Path, tmp_path: Path) -> None:
    built = cli("build", "-t", "greeter", "--build-arg", "WHO=hydock", "--build-arg", "UNUSED=1", str(context))
    assert built.returncode == 0, built.stderr
    out = built.stdout.decode()
    assert out.startswith("Sending build context to Docker daemon  ")
    assert "Step 1/5 : FROM busybox\n" in out and "Step 4/5 : RUN echo hello $WHO > /greeting\n" in out
    assert "[Warning] One or more build-args [UNUSED] were not consumed\n" in out
    assert out.endswith("Successfully tagged greeter:latest\n")
    assert cli("run", "--rm", "greeter").stdout == b"hello hydock\n"
    listed = cli("run", "--rm", "greeter", "ls", "-A", "/ctx").stdout.decode().split()
    assert listed == [".dockerignore", "Dockerfile", "kept.txt"], "secret.key never left the client"

    quiet = cli("build", "-q", "--iidfile", str(tmp_path / "iid"), "--build-arg", "WHO=hydock", str(context))
    assert quiet.returncode == 0, quiet.stderr
    image_id = quiet.stdout.decode().strip()
    assert image_id.startswith("sha256:") and (tmp_path / "iid").read_text() == image_id
    assert cli("inspect", "-f", "{{.Id}}", "greeter").stdout.decode().strip() == image_id, "fully cached: same image"

    live = cli("build", "--progress", "tty", "--build-arg", "WHO=hydock", str(context))
    assert live.returncode == 0, live.stderr
    assert b"[+] Building" in live.stdout and b"CACHED [4/5] RUN echo hello $WHO" in live.stdout


def test_stdin_dockerfile_and_stdin_context(cli: Cli, context: Path) -> None:
    piped = cli("build", "-q", "-f", "-", str(context), input=b"FROM busybox\nCOPY kept.txt /\n")
    assert piped.returncode == 0, piped.stderr
    assert cli("run", "--rm", piped.stdout.decode().strip(), "cat", "/kept.txt").stdout == b"kept\n"

    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in (("Dockerfile", b"FROM busybox\nCOPY data /data\n"), ("data", b"from a tar\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    from_tar = cli("build", "-q", "-", input=archive.getvalue())
    assert from_tar.returncode == 0, from_tar.stderr
    assert cli("run", "--rm", from_tar.stdout.decode().strip(), "cat", "/data").stdout == b"from a tar\n"

    only_dockerfile = cli("build", "-q", "-", input=b"FROM busybox\nRUN echo plain > /p\n")
    assert only_dockerfile.returncode == 0, only_dockerfile.stderr


def test_outputs(cli: Cli, context: Path, tmp_path: Path) -> None:
    built = cli("build", "-o", f"type=local,dest={tmp_path / 'out'}", "-o", f"type=tar,dest={tmp_path / 'files.tar'}",
                "-o", str(tmp_path / "shorthand"), str(context))  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "out" / "greeting").read_text() == "hello world\n"
    assert (tmp_path / "shorthand" / "ctx" / "kept.txt").read_text() == "kept\n"
    with tarfile.open(tmp_path / "files.tar") as files:
        assert "greeting" in files.getnames()


def test_errors(cli: Cli, context: Path) -> None:
    (context / "Dockerfile").write_text("FROM busybox\nRUN echo about to fail; exit 4\n")
    failed = cli("build", str(context))
    assert failed.returncode == 4
    assert b"about to fail\n" in failed.stdout
    assert failed.stderr == b"The command '/bin/sh -c echo about to fail; exit 4' returned a non-zero code: 4\n"

    (context / "Dockerfile").write_text("FROM busybox\nRUNN x\n")
    invalid = cli("build", str(context))
    assert invalid.returncode == 1
    assert b"Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)" in invalid.stderr

    missing = cli("build", "-f", str(context / "nope"), str(context))
    assert missing.returncode == 1 and b"unable to prepare context" in missing.stderr


def test_builder_prune(cli: Cli, context: Path) -> None:
    assert cli("build", "-q", str(context)).returncode == 0
    pruned = cli("builder", "prune", "-a", "-f")
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.decode().startswith("Deleted build cache objects:\n")
    assert pruned.stdout.decode().splitlines()[-1].startswith("Total reclaimed space: ")
    again = cli("build", str(context))
    assert b"Using cache" not in again.stdout


def test_a_new_daemon_clears_what_a_stopped_build_left(cli: Cli, root: Path) -> None:
    store = Engine(root).store
    stop_daemon(root)
    leftover = MountedRoot(store, scratch_state("linux/amd64"))
    contexts = root / "builder" / "contexts"
    (contexts / "unpacking-1234").mkdir(parents=True)
    (contexts / "incoming-5678").write_bytes(b"half a tar")
    assert mounts_under(root / "builder")
    assert cli("ps").returncode == 0, "the CLI starts a new daemon"
    assert mounts_under(root / "builder") == []
    assert not leftover.dir.exists() and list(contexts.iterdir()) == []


def test_a_context_sent_again_is_not_unpacked_again(cli: Cli, context: Path, root: Path) -> None:
    contexts = root / "builder" / "contexts"

    def kept() -> dict[str, int]:
        return {path.name: path.stat().st_ino for path in contexts.iterdir() if len(path.name) == 64}

    assert cli("build", "-q", str(context)).returncode == 0
    first = kept()
    assert len(first) == 1 and (contexts / f"{next(iter(first))}.digests.json").exists()
    assert cli("build", "-q", str(context)).returncode == 0
    assert kept() == first, "the same directory, not unpacked again"
    for round_number in range(4):
        (context / "kept.txt").write_text(f"round {round_number}\n")
        assert cli("build", "-q", str(context)).returncode == 0
    assert len(kept()) == 3 and not set(first) & set(kept()), "the most recently used three are kept"
