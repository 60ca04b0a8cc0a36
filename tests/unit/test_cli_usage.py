"""CLI usage errors exit like Docker's (125) with one line naming the problem; no root needed."""

from __future__ import annotations

import subprocess
import sys

import pytest


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


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["-m", "abc"], """invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'"""),
        (["--health-interval", "1x"], 'invalid argument "1x" for "--health-interval" flag: time: unknown unit "x" in duration "1x"'),
        (["--mount", "type=tmpfs,dst=/x,tmpfs-size=abc"], 'invalid argument "type=tmpfs,dst=/x,tmpfs-size=abc" for "--mount" flag: invalid value for tmpfs-size: abc'),
        (["--add-host", "bad"], 'invalid argument "bad" for "--add-host" flag: bad format for add-host: "bad"'),
    ],
)  # fmt: skip
def test_a_bad_flag_value_is_the_clis_own_error(tmp_path, flags: list[str], message: str) -> None:
    """As the docker CLI's: no "Error response from daemon" prefix, exit 125."""
    result = hydock("--root", str(tmp_path), "run", *flags, "img", "true")
    assert result.returncode == 125
    assert result.stderr.decode().splitlines()[0] == message


def test_run_does_not_import_the_dockerfile_package(tmp_path) -> None:
    script = 'import sys\nfrom hydock.cli.main import cli\ntry:\n cli.main(prog_name="hydock")\nexcept SystemExit:\n pass\nprint(*sys.modules)'
    argv = [sys.executable, "-c", script, "--root", str(tmp_path), "run", "--health-interval", "1x", "img"]
    imported = set(subprocess.run(argv, capture_output=True, check=True).stdout.splitlines()[-1].decode().split())
    assert "hydock.cli.run_options" in imported
    assert not {name for name in imported if name.startswith("hydock.dockerfile")}


def test_cli_import_path_stays_lean() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "hydock", "--version"], capture_output=True).stderr
    imported = {line.split("|")[-1].strip() for line in out.decode().splitlines() if "|" in line}
    assert "hydock._core" not in imported
    assert "hydock.engine" not in imported


def test_a_command_imports_only_its_own_module() -> None:
    script = 'import sys\nfrom hydock.cli.main import cli\ntry:\n cli.main(prog_name="hydock")\nexcept SystemExit:\n pass\nprint(*sys.modules)'
    out = subprocess.run([sys.executable, "-c", script, "rm", "--help"], capture_output=True, check=True).stdout
    imported = set(out.splitlines()[-1].decode().split())
    assert "hydock.cli.container_commands" in imported
    assert not imported & {"hydock.cli.image_commands", "hydock.cli.system_commands", "subprocess"}


def test_every_registered_command_is_listed_under_its_module() -> None:
    import importlib

    import click

    from hydock.cli.main import COMMAND_MODULES

    for module, names in COMMAND_MODULES.items():
        group = click.Group()
        importlib.import_module(module).register(group)
        assert sorted(group.commands) == sorted(names), module


def test_help_lists_every_command() -> None:
    result = hydock("--help")
    assert result.returncode == 0
    for name in ("run", "images", "events", "container"):
        assert f"\n  {name} ".encode() in result.stdout
