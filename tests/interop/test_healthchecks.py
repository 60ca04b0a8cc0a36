"""Healthchecks run by hydockd, seen through the docker CLI and docker-py: starting, unhealthy, healthy, the probe
log, ps, events, timeouts, and probing resumed by a daemon started after a kill -9."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from typing import Any

import docker

from tests.interop.conftest import Daemon
from tests.interop.test_docker_cli import ok

FAST = ("--health-interval", "200ms", "--health-retries", "2")


def health(daemon: Daemon, name: str) -> dict[str, Any]:
    return json.loads(ok(daemon.docker("inspect", "-f", "{{json .State.Health}}", name)))


def wait_for(condition: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {condition}")


def status_becomes(daemon: Daemon, name: str, status: str) -> dict[str, Any]:
    return wait_for(lambda: (found := health(daemon, name))["Status"] == status and found)


def test_unhealthy_then_healthy_with_log_ps_and_events(daemon: Daemon) -> None:
    since = str(int(time.time()) - 1)
    ok(daemon.docker("run", "-d", "--name", "hc", "--health-cmd", "echo probing; test -f /tmp/ok", *FAST, "busybox",
                     "sleep", "60"))  # fmt: skip
    config = json.loads(ok(daemon.docker("inspect", "-f", "{{json .Config.Healthcheck}}", "hc")))
    assert config == {"Test": ["CMD-SHELL", "echo probing; test -f /tmp/ok"], "Interval": 200_000_000, "Retries": 2}
    assert health(daemon, "hc")["Status"] == "starting"
    assert ok(daemon.docker("ps", "--format", "{{.Status}}")).endswith("(health: starting)\n")

    unhealthy = status_becomes(daemon, "hc", "unhealthy")
    assert unhealthy["FailingStreak"] >= 2
    last = unhealthy["Log"][-1]
    assert (last["ExitCode"], last["Output"]) == (1, "probing\n")
    assert last["Start"] <= last["End"]
    assert ok(daemon.docker("ps", "--format", "{{.Status}}")).endswith("(unhealthy)\n")

    ok(daemon.docker("exec", "hc", "touch", "/tmp/ok"))
    healthy = status_becomes(daemon, "hc", "healthy")
    assert healthy["FailingStreak"] == 0
    assert healthy["Log"][-1]["ExitCode"] == 0
    assert 1 <= len(healthy["Log"]) <= 5
    wait_for(lambda: len(health(daemon, "hc")["Log"]) == 5)
    assert ok(daemon.docker("ps", "--format", "{{.Status}}")).endswith("(healthy)\n")

    ok(daemon.docker("run", "-d", "--name", "plain", "busybox", "sleep", "60"))
    assert "Health" not in json.loads(ok(daemon.docker("inspect", "-f", "{{json .State}}", "plain")))
    listed = {flag: ok(daemon.docker("ps", "--filter", f"health={flag}", "--format", "{{.Names}}")).split()
              for flag in ("healthy", "unhealthy", "starting", "none")}  # fmt: skip
    assert listed == {"healthy": ["hc"], "unhealthy": [], "starting": [], "none": ["plain"]}
    bad = daemon.docker("ps", "--filter", "health=fine")
    assert bad.returncode != 0 and b"Unrecognised filter value for health: fine" in bad.stderr

    until = str(int(time.time()) + 1)
    events = ok(daemon.docker("events", "--since", since, "--until", until, "--filter", "container=hc",
                              "--format", "{{.Action}}"))  # fmt: skip
    health_events = [line for line in events.splitlines() if line.startswith("health_status")]
    assert health_events == ["health_status: unhealthy", "health_status: healthy"]

    ok(daemon.docker("stop", "-t", "0", "hc"))
    status_becomes(daemon, "hc", "unhealthy")  # as Docker leaves a check that stopped
    ok(daemon.docker("start", "hc"))
    restarted = health(daemon, "hc")
    assert (restarted["Status"], restarted["FailingStreak"]) == ("starting", 0)
    assert len(restarted["Log"]) == 5  # kept from the last run
    status_becomes(daemon, "hc", "healthy")
    # The monitor of a run that a restart replaces must not end the next run's.
    ok(daemon.docker("restart", "-t", "0", "hc"))
    status_becomes(daemon, "hc", "healthy")
    ok(daemon.docker("exec", "hc", "rm", "/tmp/ok"))
    status_becomes(daemon, "hc", "unhealthy")


def test_probe_timeout(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "slow", "--health-cmd", "sleep 5", "--health-timeout", "300ms",
                     "--health-interval", "100ms", "--health-retries", "1", "busybox", "sleep", "60"))  # fmt: skip
    started = time.monotonic()
    last = status_becomes(daemon, "slow", "unhealthy")["Log"][-1]
    assert time.monotonic() - started < 4  # the probe was killed, not waited for
    assert (last["ExitCode"], last["Output"]) == (-1, "Health check exceeded timeout (300ms)")


def test_no_healthcheck_and_health_none(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "unchecked", "--no-healthcheck", "busybox", "sleep", "60"))
    config = json.loads(ok(daemon.docker("inspect", "-f", "{{json .Config.Healthcheck}}", "unchecked")))
    assert config == {"Test": ["NONE"]}
    time.sleep(0.5)
    assert "Health" not in json.loads(ok(daemon.docker("inspect", "-f", "{{json .State}}", "unchecked")))
    conflict = daemon.docker("run", "--no-healthcheck", "--health-cmd", "true", "busybox", "true")
    assert conflict.returncode == 125 and b"--no-healthcheck conflicts with --health-* options" in conflict.stderr


def test_probing_resumes_after_daemon_kill_9(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "kept", "--health-cmd", "test -f /tmp/ok", *FAST, "busybox", "sh", "-c",
                     "touch /tmp/ok; sleep 60"))  # fmt: skip
    status_becomes(daemon, "kept", "healthy")
    daemon.kill(signal.SIGKILL)
    daemon.start()
    # As dockerd restores a running container, its check starts again and goes on probing.
    assert health(daemon, "kept")["Status"] in ("starting", "healthy")
    status_becomes(daemon, "kept", "healthy")
    ok(daemon.docker("exec", "kept", "rm", "/tmp/ok"))
    status_becomes(daemon, "kept", "unhealthy")


def test_paused_containers_are_not_probed(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "napper", "--health-cmd", "true", *FAST, "busybox", "sleep", "60"))
    status_becomes(daemon, "napper", "healthy")
    ok(daemon.docker("pause", "napper"))
    probes = len(status_becomes(daemon, "napper", "unhealthy")["Log"])  # as Docker shows a paused container's check
    assert ok(daemon.docker("ps", "--format", "{{.Status}}")).endswith("(Paused)\n")
    time.sleep(0.6)
    assert len(health(daemon, "napper")["Log"]) == probes
    ok(daemon.docker("unpause", "napper"))
    status_becomes(daemon, "napper", "healthy")


def test_docker_py_healthcheck(daemon: Daemon) -> None:
    client = docker.DockerClient(base_url=daemon.url, version="auto")
    try:
        container = client.containers.run(
            "busybox",
            ["sleep", "60"],
            detach=True,
            name="pyhc",
            healthcheck={"test": ["CMD", "true"], "interval": 200_000_000, "retries": 2},
        )

        def status() -> str:
            container.reload()
            return container.attrs["State"]["Health"]["Status"]

        wait_for(lambda: status() == "healthy")
        assert container.attrs["Config"]["Healthcheck"]["Test"] == ["CMD", "true"]
        assert container.attrs["State"]["Health"]["Log"][-1]["ExitCode"] == 0

        missing = client.containers.run(
            "busybox", ["sleep", "60"], detach=True, healthcheck={"test": ["CMD", "/nowhere"], "interval": 100_000_000}
        )
        wait_for(lambda: (missing.reload(), missing.attrs["State"]["Health"]["Status"] == "unhealthy")[1])
        last = missing.attrs["State"]["Health"]["Log"][-1]
        assert last["ExitCode"] == -1 and "/nowhere" in last["Output"]
        # Probes that could not start leave no exec behind (once none is under way).
        missing.stop(timeout=0)
        wait_for(lambda: not list((daemon.root / "containers" / missing.id / "execs").iterdir()), timeout=5)
    finally:
        client.close()
