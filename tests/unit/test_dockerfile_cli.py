"""`hydock build --check`: parses and lints locally (no daemon), prints warnings, exits 1 on an invalid file."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

BROKEN_HOST = {"HYDOCK_HOST": "unix:///nonexistent/hydock.sock"}


def hydock(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **BROKEN_HOST, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-m", "hydock", *args], input=stdin, capture_output=True, timeout=30, env=env, cwd=cwd
    )
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode(), result.stderr.decode())


@pytest.fixture()
def context(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text('FROM alpine as build\nRUN echo hi\nCMD ["sh"]\n')
    return tmp_path


def test_warnings_are_printed_and_the_check_passes(context: Path) -> None:
    result = hydock("build", "--check", str(context))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Check complete, 1 warning has been found!\n\nWARNING: FromAsCasing - ")
    assert "Dockerfile:1\n" in result.stdout
    assert "   1 | >>> FROM alpine as build" in result.stdout


def test_a_clean_file(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FROM alpine\nCMD ["sh"]\n')
    result = hydock("build", "--check", str(tmp_path))
    assert (result.returncode, result.stdout) == (0, "Check complete, no warnings found.\n")


def test_an_invalid_file_fails_with_the_line_and_a_caret(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile.dev").write_text("FROM alpine\nCOPY --chwn=app . /app\n")
    result = hydock("build", "--check", "-f", str(tmp_path / "Dockerfile.dev"), str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == (
        f"{tmp_path / 'Dockerfile.dev'}:2: unknown flag: --chwn (did you mean chown?)\n"
        "    2 | COPY --chwn=app . /app\n"
        "      |      ^\n"
    )


def test_dockerfile_from_stdin() -> None:
    result = hydock("build", "--check", "-f", "-", ".", stdin=b"FROM scratch\nRUNN x\n")
    assert result.returncode == 1
    assert result.stderr.startswith("Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)\n")
    assert hydock("build", "--check", "-", stdin=b"FROM scratch\n").returncode == 0


def test_context_tar_from_stdin() -> None:
    data = b"FROM scratch\nMAINTAINER me\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        member = tarfile.TarInfo("Dockerfile")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    result = hydock("build", "--check", "-", stdin=buffer.getvalue())
    assert (result.returncode, result.stdout.splitlines()[0]) == (0, "Check complete, 1 warning has been found!")


def test_build_args_and_target(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "ARG BASE\nFROM ${BASE:-alpine} AS base\nFROM base AS app\nARG MODE\nENV MODE=${MODE:?set_MODE}\n"
    )
    assert hydock("build", "--check", "--target", "base", str(tmp_path)).returncode == 0
    failing = hydock("build", "--check", str(tmp_path))
    assert (failing.returncode, failing.stderr.splitlines()[0]) == (
        1,
        'Dockerfile:5: failed to process "${MODE:?set_MODE}": MODE: set_MODE',
    )
    assert hydock("build", "--check", "--build-arg", "MODE=prod", str(tmp_path)).returncode == 0
    missing = hydock("build", "--check", "--target", "ap", str(tmp_path))
    assert missing.stderr == 'Dockerfile: target stage "ap" could not be found (did you mean app?)\n'


def test_check_error_true_fails_on_warnings(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("# check=error=true\nFROM alpine as build\n")
    result = hydock("build", "--check", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == "ERROR: lint violation found for rules: FromAsCasing\n"


def test_missing_context_or_dockerfile(tmp_path: Path) -> None:
    missing = hydock("build", "--check", str(tmp_path / "nope"))
    assert (missing.returncode, missing.stderr) == (
        1,
        f'unable to prepare context: path "{tmp_path / "nope"}" not found\n',
    )
    absent = hydock("build", "--check", str(tmp_path))
    assert absent.returncode == 1
    assert f"lstat {tmp_path / 'Dockerfile'}: no such file or directory" in absent.stderr


def test_lowercase_dockerfile_is_found_too(tmp_path: Path) -> None:
    (tmp_path / "dockerfile").write_text("FROM scratch\n")
    assert hydock("build", "--check", str(tmp_path)).returncode == 0


def test_building_needs_the_daemon_but_check_does_not(context: Path) -> None:
    result = hydock("build", str(context))
    assert result.returncode == 1
    assert "Cannot connect to the hydock daemon" in result.stderr


def test_check_loads_no_client_or_engine_code(context: Path) -> None:
    script = (
        'import sys\nfrom hydock.cli.main import cli\ntry:\n cli.main(prog_name="hydock")\nexcept SystemExit:\n pass\n'
        "print(*sorted(m for m in sys.modules if m.startswith('hydock')))"
    )
    env = {**os.environ, **BROKEN_HOST, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", script, "build", "--check", str(context)], capture_output=True, check=True, env=env
    ).stdout
    imported = set(out.decode().splitlines()[-1].split())
    assert "hydock.dockerfile.lint" in imported
    assert not {m for m in imported if m.startswith(("hydock.client", "hydock.engine", "hydock._core", "hydock.store"))}
