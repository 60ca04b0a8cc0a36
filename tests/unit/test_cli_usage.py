"""CLI usage errors exit like Docker's (125) with one line naming the problem; no root needed."""

from __future__ import annotations

import subprocess
import sys


def hydock(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "hydock", *args], capture_output=True, timeout=30)


def test_version() -> None:
    result = hydock("--version")
    assert result.returncode == 0
    assert result.stdout.startswith(b"hydock version ")


def test_unknown_flag() -> None:
    result = hydock("ps", "--bogus")
    assert result.returncode == 125
    assert result.stderr.splitlines()[0] == b"unknown flag: --bogus"


def test_missing_argument() -> None:
    result = hydock("rm")
    assert result.returncode == 125
    assert b"Missing argument" in result.stderr


def test_bad_cpus_value(tmp_path) -> None:
    result = hydock("--root", str(tmp_path), "run", "--cpus", "lots", "img")
    assert result.returncode == 125
    assert b'invalid argument "lots" for "--cpus" flag' in result.stderr


def test_cli_import_path_stays_lean() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "hydock", "--version"], capture_output=True).stderr
    imported = {line.split("|")[-1].strip() for line in out.decode().splitlines() if "|" in line}
    assert "hydock._core" not in imported
    assert "hydock.engine" not in imported
