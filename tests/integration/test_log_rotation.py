"""json-file log rotation (`--log-opt max-size`/`max-file`) and `--log-driver none`, end to end through the CLI and
the engine: the files the shim leaves on disk, and `logs` (with --tail and -f) reading across them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from hydock import Engine
from hydock.api_types import LogConfig
from hydock.engine.records import RunOptions
from tests.integration.conftest import Cli

LINES = 100
# Each line makes a json-file entry of about 100 bytes, so 1k (1000 bytes: Docker's units are decimal) holds ten.
WRITE_LINES = f"i=0; while [ $i -lt {LINES} ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done"


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def expected_lines(start: int, stop: int = LINES) -> str:
    return "".join(f"line-{i}-xxxxxxxxxxxxxxxxxxxx\n" for i in range(start, stop))


def log_files(log_path: Path) -> list[Path]:
    """The log's files on disk, oldest first."""
    rotated = sorted(log_path.parent.glob(f"{log_path.name}.*"), key=lambda p: int(p.suffix[1:]), reverse=True)
    return [*rotated, log_path]


def entries(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_rotated_files_on_disk_and_logs_across_them(cli: Cli, image: str) -> None:
    options = ("--log-opt", "max-size=1k", "--log-opt", "max-file=3")
    container_id = ok(cli("run", "-d", "--name", "chatty", *options, image, "sh", "-c", WRITE_LINES)).strip()
    assert ok(cli("wait", "chatty")) == "0\n"
    inspect = json.loads(ok(cli("inspect", "chatty")))[0]
    assert inspect["HostConfig"]["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1k", "max-file": "3"}}
    log_path = Path(inspect["LogPath"])
    assert log_path.name == f"{container_id}-json.log"
    files = log_files(log_path)
    assert [p.name for p in files] == [f"{log_path.name}.2", f"{log_path.name}.1", log_path.name]
    kept = []
    for path in files:
        assert 0 < path.stat().st_size <= 1000
        kept += [entry["log"] for entry in entries(path)]  # every line whole JSON
    first_kept = LINES - len(kept)
    assert first_kept > 0 and "".join(kept) == expected_lines(first_kept)

    assert ok(cli("logs", "chatty")) == expected_lines(first_kept)
    current = len(entries(log_path))
    assert current < 15 < current + len(entries(files[1]))
    assert ok(cli("logs", "--tail", "15", "chatty")) == expected_lines(LINES - 15)  # from two files

    assert ok(cli("rm", "chatty")) == "chatty\n"
    assert not log_path.parent.exists()


def test_max_file_one_starts_the_log_again(cli: Cli, image: str) -> None:
    ok(cli("run", "-d", "--name", "single", "--log-opt", "max-size=1k", image, "sh", "-c", WRITE_LINES))
    assert ok(cli("wait", "single")) == "0\n"
    log_path = Path(json.loads(ok(cli("inspect", "single")))[0]["LogPath"])
    assert log_files(log_path) == [log_path]
    assert log_path.stat().st_size <= 1000
    kept = len(entries(log_path))
    assert ok(cli("logs", "single")) == expected_lines(LINES - kept)


def test_logs_follow_across_rotations(cli: Cli, image: str) -> None:
    """Output written in bursts, many rotations while `logs -f` follows through the daemon: every line, once.

    A follower polls, so it can fall behind by as many lines as the kept files hold (about 40 here) before it
    loses any, as Docker's does; the bursts stay well under that."""
    lines = 400
    script = (
        "sleep 0.5; i=0; "
        f"while [ $i -lt {lines} ]; do echo follow-$i; i=$((i+1)); [ $((i % 10)) = 0 ] && sleep 0.05; done; true"
    )
    options = ("--log-opt", "max-size=500", "--log-opt", "max-file=8")
    ok(cli("run", "-d", "--name", "followed", *options, image, "sh", "-c", script))
    follower = subprocess.run(cli.argv("logs", "-f", "followed"), capture_output=True, timeout=60)
    assert follower.returncode == 0, follower.stderr
    assert follower.stdout.decode() == "".join(f"follow-{i}\n" for i in range(lines))
    log_path = Path(json.loads(ok(cli("inspect", "followed")))[0]["LogPath"])
    assert len(log_files(log_path)) == 8


def test_engine_follow_from_the_oldest_file(engine: Engine, image: str) -> None:
    """The in-process engine follows the same chain of files, from the oldest."""
    lines = 200
    script = (
        f"sleep 0.3; i=0; while [ $i -lt {lines} ]; do echo e-$i; i=$((i+1)); [ $((i % 10)) = 0 ] && sleep 0.1; done"
    )
    config = LogConfig("json-file", {"max-size": "300", "max-file": "10"})
    record = engine.container_service.create(image, ["sh", "-c", script], RunOptions(log_config=config))
    engine.container_service.start(record.id)
    followed = b"".join(data for _, data in engine.container_service.logs(record.id, follow=True))
    assert followed.decode() == "".join(f"e-{i}\n" for i in range(lines))
    tail = list(engine.container_service.logs(record.id, tail=3))
    assert tail == [("stdout", f"e-{i}\n".encode()) for i in range(lines - 3, lines)]


INVALID = [
    (["--log-opt", "max-size=abc"], "failed to initialize logging driver: invalid size: 'abc'"),
    (["--log-opt", "max-size=0"], "failed to initialize logging driver: max-size must be a positive number"),
    (["--log-opt", "max-size"], "failed to initialize logging driver: invalid size: ''"),
    (["--log-opt", "max-file=0"], "failed to initialize logging driver: max-file cannot be less than 1"),
    (["--log-opt", "max-file=x"], 'failed to initialize logging driver: strconv.Atoi: parsing "x": invalid syntax'),
    (["--log-opt", "foo=bar"], "unknown log opt 'foo' for json-file log driver"),
    (["--log-driver", "bogus"], 'error looking up logging plugin bogus: plugin "bogus" not found'),
    (["--log-driver", "syslog"], "logging driver 'syslog' is not supported by hydock yet"),
    (["--log-opt", "compress=true"], "log opt 'compress' for json-file log driver is not supported by hydock yet"),
    (["--log-driver", "none", "--log-opt", "max-size=1k"], "invalid logging opts for driver none"),
]


def test_invalid_log_options_exit_125(cli: Cli, image: str) -> None:
    """Refused at create with Docker's message (dockerd 20.10 says the same, but only when the container starts)."""
    for flags, message in INVALID:
        for command in ("run", "create"):
            result = cli(command, *flags, image, "true")
            assert result.returncode == 125, (flags, result.stderr)
            assert message in result.stderr.decode()
    assert ok(cli("ps", "-aq")) == ""


def test_log_driver_none_keeps_no_log(cli: Cli, image: str) -> None:
    assert ok(cli("run", "--name", "quiet", "--log-driver", "none", image, "echo", "hi")) == "hi\n"
    inspect = json.loads(ok(cli("inspect", "quiet")))[0]
    assert inspect["HostConfig"]["LogConfig"] == {"Type": "none", "Config": {}}
    assert inspect["LogPath"] == ""
    container_dir = Path(inspect["GraphDriver"]["Data"]["UpperDir"]).parent
    assert list(container_dir.glob("*-json.log*")) == []
    logs = cli("logs", "quiet")
    assert logs.returncode == 1
    assert logs.stderr.decode() == "Error response from daemon: configured logging driver does not support reading\n"
