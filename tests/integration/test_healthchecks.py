"""Healthchecks through the hydock CLI and its daemon: an image's HEALTHCHECK (built by `hydock build`) runs, the run's
flags go over it, --no-healthcheck turns it off; the in-process Engine records a check without probing it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from hydock import Engine
from tests.integration.conftest import Cli

DOCKERFILE = "FROM busybox\nHEALTHCHECK --interval=200ms --timeout=2s --retries=1 CMD cat /tmp/state\n"


def _out(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


def _health(cli: Cli, name: str) -> dict[str, Any] | None:
    return json.loads(_out(cli("inspect", "-f", "{{json .State.Health}}", name)))


def _becomes(cli: Cli, name: str, status: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = _health(cli, name)
        if health and health["Status"] == status:
            return health
        time.sleep(0.05)
    raise AssertionError(f"{name} not {status} within {timeout} s: {_health(cli, name)}")


def test_built_image_healthcheck_runs(cli: Cli, image: str, tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(DOCKERFILE)
    _out(cli("build", "-q", "-t", "checked", str(context)))
    _out(cli("run", "-d", "--name", "built", "checked", "sleep", "60"))
    unhealthy = _becomes(cli, "built", "unhealthy")
    assert unhealthy["Log"][-1]["Output"] == "cat: can't open '/tmp/state': No such file or directory\n"
    _out(cli("exec", "built", "sh", "-c", "echo fine > /tmp/state"))
    healthy = _becomes(cli, "built", "healthy")
    assert (healthy["Log"][-1]["ExitCode"], healthy["Log"][-1]["Output"]) == (0, "fine\n")
    assert _out(cli("ps", "--filter", "name=built", "--format", "{{.Status}}")).endswith(" (healthy)\n")

    # The run's flags over the image's check: what they leave out stays the image's.
    _out(cli("create", "--name", "tuned", "--health-retries", "3", "--health-start-interval", "1s", "checked", "true"))
    tuned = json.loads(_out(cli("inspect", "-f", "{{json .Config.Healthcheck}}", "tuned")))
    assert tuned == {"Test": ["CMD-SHELL", "cat /tmp/state"], "Interval": 200_000_000, "Timeout": 2_000_000_000,
                     "StartInterval": 1_000_000_000, "Retries": 3}  # fmt: skip

    _out(cli("run", "-d", "--name", "off", "--no-healthcheck", "checked", "sleep", "60"))
    time.sleep(0.6)  # three of the image's intervals
    assert _health(cli, "off") is None
    status = _out(cli("ps", "--filter", "name=off", "--format", "{{.Status}}"))
    assert status.startswith("Up ") and "(" not in status

    invalid = cli("run", "--health-interval", "500us", "--health-cmd", "true", "checked", "true")
    assert invalid.returncode == 125
    assert b"Interval in Healthcheck cannot be less than 1ms" in invalid.stderr
    for name in ("built", "tuned", "off"):
        _out(cli("rm", "-f", name))


def test_in_process_engine_records_a_check_it_does_not_run(engine: Engine, image: str) -> None:
    container = engine.containers.run(
        image, ["sleep", "30"], detach=True, healthcheck={"test": "true", "interval": 100_000_000}
    )
    try:
        assert container.attrs["Config"]["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 100_000_000}
        time.sleep(0.3)
        container.reload()
        assert container.attrs["State"]["Health"] == {"Status": "starting", "FailingStreak": 0, "Log": []}
        container.stop(timeout=0)
    finally:
        container.remove(force=True)
