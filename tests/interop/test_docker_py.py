"""docker-py (PyPI `docker`) against hydockd."""

from __future__ import annotations

import docker
import pytest

from tests.interop.conftest import Daemon


def test_docker_py_runs_lists_logs_and_removes(daemon: Daemon) -> None:
    client = docker.DockerClient(base_url=daemon.url, version="auto")
    try:
        assert client.containers.run("busybox", ["echo", "from docker-py"], remove=True) == b"from docker-py\n"
        container = client.containers.run("busybox", ["sh", "-c", "echo started; sleep 30"], detach=True, name="py")
        assert [c.name for c in client.containers.list()] == ["py"]
        container.reload()
        assert container.status == "running"
        deadline_logs = container.logs()
        assert deadline_logs in (b"", b"started\n")
        container.stop(timeout=1)
        assert container.wait()["StatusCode"] == 137
        assert b"started\n" == container.logs()
        container.remove()
        assert client.containers.list(all=True) == []
        with pytest.raises(docker.errors.ContainerError) as info:
            client.containers.run("busybox", ["sh", "-c", "exit 4"], remove=True)
        assert info.value.exit_status == 4
        with pytest.raises(docker.errors.NotFound):
            client.containers.get("missing")
    finally:
        client.close()
