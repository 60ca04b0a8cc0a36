"""The real docker CLI (Docker 28's client) against hydockd."""

from __future__ import annotations

import json
import subprocess
import time

from tests.interop.conftest import Daemon


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_version_negotiates_api_1_41(daemon: Daemon) -> None:
    versions = json.loads(ok(daemon.docker("version", "--format", "{{json .}}")))
    assert versions["Server"]["ApiVersion"] == "1.41"
    assert versions["Client"]["ApiVersion"] == "1.41"


def test_run_streams_output_and_exit_codes(daemon: Daemon) -> None:
    result = daemon.docker("run", "--rm", "busybox", "sh", "-c", "echo hi; echo oops >&2")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"hi\n", b"oops\n")
    assert daemon.docker("run", "--rm", "busybox", "sh", "-c", "exit 3").returncode == 3
    missing = daemon.docker("run", "--rm", "busybox", "no-such-binary")
    assert missing.returncode == 127, missing.stderr
    assert ok(daemon.docker("ps", "-aq")) == ""


def test_detached_lifecycle(daemon: Daemon) -> None:
    container_id = ok(
        daemon.docker("run", "-d", "--name", "ticker", "busybox", "sh", "-c", "while :; do echo tick; sleep 0.2; done")
    ).strip()
    assert len(container_id) == 64
    listing = ok(daemon.docker("ps"))
    assert "ticker" in listing and "Up " in listing
    time.sleep(0.5)
    assert ok(daemon.docker("logs", "ticker")).startswith("tick\n")
    follower = subprocess.Popen(
        ["docker", "logs", "-f", "--tail", "1", "ticker"],
        stdout=subprocess.PIPE,
        env={"DOCKER_HOST": daemon.url, "PATH": "/usr/local/bin:/usr/bin:/bin"},
    )
    assert follower.stdout is not None
    assert follower.stdout.readline() == b"tick\n"
    assert follower.stdout.readline() == b"tick\n"  # a line written after the follow began
    assert ok(daemon.docker("inspect", "-f", "{{.State.Running}}", "ticker")) == "true\n"
    stats = ok(daemon.docker("stats", "--no-stream", "ticker"))
    assert "ticker" in stats
    assert ok(daemon.docker("stop", "-t", "1", "ticker")) == "ticker\n"
    assert follower.wait(timeout=10) == 0
    assert ok(daemon.docker("wait", "ticker")) == "137\n"
    assert "Exited (137)" in ok(daemon.docker("ps", "-a"))
    assert ok(daemon.docker("rm", "ticker")) == "ticker\n"


def test_images_and_errors(daemon: Daemon) -> None:
    images = ok(daemon.docker("images"))
    assert "busybox" in images
    inspect = json.loads(ok(daemon.docker("image", "inspect", "busybox")))
    assert inspect[0]["RepoTags"] == ["busybox:latest"]
    missing = daemon.docker("rm", "nope")
    assert missing.returncode == 1
    assert b"No such container: nope" in missing.stderr
    pull = daemon.docker("pull", "busybox:1.36")
    assert pull.returncode != 0 and b"cannot reach registry docker.io" in pull.stderr  # no internet in the tests


def test_events_since(daemon: Daemon) -> None:
    since = str(int(time.time()) - 1)
    ok(daemon.docker("run", "--rm", "--name", "eventful", "busybox", "true"))
    until = str(int(time.time()) + 1)
    events = ok(
        daemon.docker(
            "events", "--since", since, "--until", until, "--format", "{{.Action}} {{.Actor.Attributes.name}}"
        )
    )
    actions = [line for line in events.splitlines() if line.endswith("eventful")]
    assert actions[:2] == ["create eventful", "start eventful"]
    assert "die eventful" in actions and "destroy eventful" in actions
