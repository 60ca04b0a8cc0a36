"""Containers outlive the daemon: kill -9 hydockd, start another, and everything is still manageable."""

from __future__ import annotations

import signal
import time

from tests.interop.conftest import Daemon
from tests.interop.test_docker_cli import ok


def test_kill_9_and_restart(daemon: Daemon) -> None:
    ok(
        daemon.docker(
            "run", "-d", "--name", "survivor", "busybox", "sh", "-c", "while :; do echo alive; sleep 0.2; done"
        )
    )
    ok(daemon.docker("run", "-d", "--name", "quitter", "busybox", "sh", "-c", "sleep 1; exit 7"))
    pid_before = ok(daemon.docker("inspect", "-f", "{{.State.Pid}}", "survivor")).strip()
    daemon.kill(signal.SIGKILL)
    time.sleep(1.5)  # `quitter` exits while no daemon runs
    daemon.start()
    assert ok(daemon.docker("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", "survivor")) == f"true {pid_before}\n"
    assert ok(daemon.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "quitter")) == "exited 7\n"
    assert ok(daemon.docker("logs", "--tail", "1", "survivor")) == "alive\n"
    ok(daemon.docker("stop", "-t", "1", "survivor"))
    assert ok(daemon.docker("wait", "survivor")) == "137\n"
