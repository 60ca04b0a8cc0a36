"""docker exec and docker-py's exec_run against hydockd: a process joining a running container."""

from __future__ import annotations

import docker

from tests.interop.conftest import Daemon
from tests.interop.test_docker_cli import ok


def test_docker_exec(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "host", "busybox", "sleep", "60"))
    out = ok(daemon.docker("exec", "host", "sh", "-c", "hostname; echo $$; cat /proc/1/cmdline | tr '\\0' ' '"))
    hostname, pid, init = out.splitlines()
    assert hostname == ok(daemon.docker("inspect", "-f", "{{.Config.Hostname}}", "host")).strip()
    assert pid != "1" and init.strip() == "sleep 60"
    assert daemon.docker("exec", "host", "sh", "-c", "exit 5").returncode == 5
    assert (
        ok(daemon.docker("exec", "-u", "app", "-w", "/tmp", "-e", "X=1", "host", "sh", "-c", "id -u; pwd; echo $X"))
        == "1000\n/tmp\n1\n"
    )
    missing = daemon.docker("exec", "host", "no-such-binary")
    assert missing.returncode == 127
    assert b"executable file not found" in missing.stdout + missing.stderr
    assert daemon.docker("exec", "host", "/etc/passwd").returncode == 126
    assert daemon.docker("exec", "-d", "host", "sleep", "1").returncode == 0
    assert ok(daemon.docker("inspect", "-f", "{{.State.Running}}", "host")) == "true\n"


def test_exec_needs_a_running_container(daemon: Daemon) -> None:
    ok(daemon.docker("create", "--name", "idle", "busybox", "sleep", "60"))
    result = daemon.docker("exec", "idle", "true")
    assert result.returncode != 0 and b"is not running" in result.stderr


def test_docker_py_exec_run(daemon: Daemon) -> None:
    client = docker.DockerClient(base_url=daemon.url, version="auto")
    try:
        container = client.containers.run("busybox", ["sleep", "60"], detach=True)
        result = container.exec_run(["sh", "-c", "echo out; echo err >&2; exit 2"])
        assert result.exit_code == 2
        assert sorted(result.output.splitlines()) == [b"err", b"out"]
        demuxed = container.exec_run(["sh", "-c", "echo out; echo err >&2"], demux=True)
        assert demuxed.output == (b"out\n", b"err\n")
        container.remove(force=True)
    finally:
        client.close()
