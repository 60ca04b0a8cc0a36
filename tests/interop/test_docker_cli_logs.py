"""The real docker CLI's `--log-opt max-size/max-file` and `docker logs` against hydockd."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.interop.conftest import Daemon

LINES = 100
WRITE_LINES = f"i=0; while [ $i -lt {LINES} ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done"


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def expected_lines(start: int) -> str:
    return "".join(f"line-{i}-xxxxxxxxxxxxxxxxxxxx\n" for i in range(start, LINES))


def test_docker_run_log_opts_rotate_and_docker_logs_reads_across_files(daemon: Daemon) -> None:
    options = ("--log-opt", "max-size=1k", "--log-opt", "max-file=3")
    container_id = ok(daemon.docker("run", "-d", "--name", "rotating", *options, "busybox", "sh", "-c", WRITE_LINES))
    assert ok(daemon.docker("wait", "rotating")) == "0\n"
    config = json.loads(ok(daemon.docker("inspect", "-f", "{{json .HostConfig.LogConfig}}", "rotating")))
    assert config == {"Type": "json-file", "Config": {"max-file": "3", "max-size": "1k"}}
    log_path = Path(ok(daemon.docker("inspect", "-f", "{{.LogPath}}", "rotating")).strip())
    assert log_path.name == f"{container_id.strip()}-json.log"
    files = [log_path.with_name(f"{log_path.name}.2"), log_path.with_name(f"{log_path.name}.1"), log_path]
    assert sorted(log_path.parent.glob("*-json.log*")) == sorted(files)
    assert all(path.stat().st_size <= 1000 for path in files)
    kept = sum(len(path.read_bytes().splitlines()) for path in files)

    assert ok(daemon.docker("logs", "rotating")) == expected_lines(LINES - kept)
    assert ok(daemon.docker("logs", "--tail", "15", "rotating")) == expected_lines(LINES - 15)

    refused = daemon.docker("run", "--rm", "--log-opt", "max-size=abc", "busybox", "true")
    assert refused.returncode == 125
    assert b"failed to initialize logging driver: invalid size: 'abc'" in refused.stderr
    assert ok(daemon.docker("rm", "rotating")) == "rotating\n"
    assert not log_path.parent.exists()
