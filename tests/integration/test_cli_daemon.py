"""The CLI and hydock.Client as clients of hydockd: auto-start, explicit hosts, the Python client, ps --format."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

import hydock
from tests.integration.conftest import Cli


def test_first_command_starts_the_daemon_once(root: Path) -> None:
    cli = Cli(root)
    first = cli("ps", "-a")
    assert first.returncode == 0, first.stderr
    pid = int((root / "hydockd.pid").read_text())
    assert first.stderr.decode() == f"hydock: started hydockd (pid {pid}) for {root}\n"
    os.kill(pid, 0)
    again = cli("ps", "-a")
    assert again.returncode == 0 and again.stderr == b""
    assert int((root / "hydockd.pid").read_text()) == pid


def test_explicit_host_that_does_not_answer_is_an_error(root: Path, tmp_path: Path) -> None:
    dead = f"unix://{tmp_path / 'nobody.sock'}"
    cli = Cli(root)
    for argv, env in ((["-H", dead], {}), ([], {"HYDOCK_HOST": dead})):
        result = subprocess.run(cli.argv(*argv, "ps"), capture_output=True, env={**os.environ, **env}, timeout=30)
        assert result.returncode == 1
        assert result.stderr.decode() == f"Cannot connect to the hydock daemon at {dead}. Is the daemon running?\n"
    assert not (root / "hydockd.pid").exists()


def test_ps_format_names_and_status(cli, image: str) -> None:
    cli("run", "-d", "--name", "up", image, "sleep", "30")
    cli("create", "--name", "fresh", image, "true")
    result = cli("ps", "-a", "--format", "{{.Names}} {{.Status}}")
    assert result.returncode == 0, result.stderr
    lines = sorted(result.stdout.decode().splitlines())
    assert lines[0] == "fresh Created"
    assert lines[1].startswith("up Up ")
    filtered = cli("ps", "-a", "--filter", "name=fresh", "--format", "{{.Names}}")
    assert filtered.stdout == b"fresh\n"
    assert cli("rm", "-f", "up").returncode == 0


def test_client_run_list_logs_remove(cli, root: Path, busybox_tar: Path) -> None:
    client = hydock.Client(base_url=f"unix://{root / 'hydock.sock'}")
    image = client.images.import_image(busybox_tar, "clientbox:1")
    assert "clientbox:1" in image.tags
    assert client.images.get("clientbox:1").id == image.id
    assert client.containers.run("clientbox:1", ["sh", "-c", "echo hello"], remove=True) == b"hello\n"
    with pytest.raises(hydock.errors.ContainerError) as failed:
        client.containers.run("clientbox:1", "echo oops >&2; exit 4", remove=True)
    assert failed.value.exit_status == 4 and failed.value.stderr == b"oops\n"
    container = client.containers.run("clientbox:1", "echo one; echo two >&2", detach=True, name="bg")
    assert container.wait()["StatusCode"] == 0
    assert container.logs() == b"one\ntwo\n"
    assert container.logs(stderr=False) == b"one\n"
    assert [c.name for c in client.containers.list(all=True)] == ["bg"]
    assert client.containers.list() == []
    container.reload()
    assert container.attrs["State"]["Status"] == "exited"
    container.remove()
    assert client.containers.list(all=True) == []
    with pytest.raises(hydock.errors.NotFound):
        client.containers.get("bg")


def test_attach_streams_output_forwards_signals_and_exits_with_the_status(cli: Cli, image: str) -> None:
    script = "trap 'echo got TERM; exit 3' TERM; while true; do echo tick; echo tock >&2; sleep 0.1; done"
    container = cli("run", "-d", image, "sh", "-c", script).stdout.decode().strip()
    attached = subprocess.Popen(cli.argv("attach", container), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert attached.stdout is not None and attached.stdout.readline() == b"tick\n"  # attached, signals proxied
        attached.send_signal(signal.SIGTERM)
        stdout, stderr = attached.communicate(timeout=30)
    finally:
        attached.kill()
    assert attached.returncode == 3, stderr
    assert stdout.endswith(b"got TERM\n") and set(stdout.splitlines()[:-1]) <= {b"tick"}
    assert set(stderr.splitlines()) == {b"tock"}
    stopped = cli("attach", container)
    assert (stopped.returncode, stopped.stderr) == (1, b"You cannot attach to a stopped container, start it first\n")
    assert cli("rm", container).returncode == 0
