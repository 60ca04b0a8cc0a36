"""Restart policies, as Docker applies them: on exits, after `stop`, and when the daemon restarts."""

from __future__ import annotations

import signal
import time

from tests.interop.conftest import Daemon
from tests.interop.test_docker_cli import ok


def inspect(daemon: Daemon, name: str, fmt: str) -> str:
    return ok(daemon.docker("inspect", "-f", fmt, name)).strip()


def wait_for(condition, timeout: float = 15) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_on_failure_retries_up_to_its_limit(daemon: Daemon) -> None:
    ok(
        daemon.docker(
            "run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 1"
        )
    )
    assert wait_for(lambda: inspect(daemon, "flaky", "{{.RestartCount}}") == "2")
    assert wait_for(lambda: inspect(daemon, "flaky", "{{.State.Status}}") == "exited")
    time.sleep(1.0)  # a third restart would have happened by now (backoff 0.4 s)
    assert inspect(daemon, "flaky", "{{.RestartCount}} {{.State.ExitCode}}") == "2 1"
    assert ok(daemon.docker("logs", "flaky")) == "run\n" * 3


def test_on_failure_leaves_a_clean_exit_alone(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "fine", "--restart", "on-failure", "busybox", "true"))
    assert wait_for(lambda: inspect(daemon, "fine", "{{.State.Status}}") == "exited")
    time.sleep(0.5)
    assert inspect(daemon, "fine", "{{.RestartCount}}") == "0"


def test_always_restarts_until_stopped_and_after_a_daemon_restart(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "forever", "--restart", "always", "busybox", "sleep", "0.3"))
    assert wait_for(lambda: int(inspect(daemon, "forever", "{{.RestartCount}}")) >= 2)
    ok(daemon.docker("run", "-d", "--name", "unless", "--restart", "unless-stopped", "busybox", "sleep", "300"))
    ok(daemon.docker("stop", "-t", "1", "unless"))
    ok(daemon.docker("stop", "-t", "1", "forever"))
    count = inspect(daemon, "forever", "{{.RestartCount}}")
    time.sleep(1.0)
    assert inspect(daemon, "forever", "{{.State.Status}} {{.RestartCount}}") == f"exited {count}"
    daemon.kill(signal.SIGTERM)
    daemon.start()
    # Docker: `always` comes back when the daemon does, even after a manual stop; `unless-stopped` does not.
    assert wait_for(
        lambda: (
            inspect(daemon, "forever", "{{.State.Running}}") == "true"
            or int(inspect(daemon, "forever", "{{.RestartCount}}")) > int(count)
        )
    )
    assert inspect(daemon, "unless", "{{.State.Status}}") == "exited"
    ok(daemon.docker("rm", "-f", "forever", "unless"))


def test_restart_and_rm_conflict(daemon: Daemon) -> None:
    result = daemon.docker("run", "--rm", "--restart", "always", "busybox", "true")
    assert result.returncode == 125
