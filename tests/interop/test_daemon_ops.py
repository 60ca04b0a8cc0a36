"""hydockd as a service: one per root, TLS on TCP, and 200 containers at once with nothing leaked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import docker

from tests.integration.leaks import container_cgroups, mounts_under, shim_processes
from tests.interop.conftest import Daemon
from tests.interop.test_docker_cli import ok


def test_second_daemon_on_the_same_root_refuses(daemon: Daemon) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "hydock.daemon.main", "--root", str(daemon.root)], capture_output=True, timeout=30
    )
    assert second.returncode != 0
    assert f"already running on root {daemon.root}".encode() in second.stderr
    assert ok(daemon.docker("version", "--format", "{{.Server.Version}}"))  # the first one still answers


def test_tcp_needs_tls_unless_explicitly_insecure(tmp_path: Path) -> None:
    root = tmp_path / "root"
    result = subprocess.run(
        [sys.executable, "-m", "hydock.daemon.main", "--root", str(root), "-H", "tcp://127.0.0.1:0"],
        capture_output=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert b"without --tlsverify" in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_certs(directory: Path, server_ip: str = "127.0.0.1") -> None:
    """A CA, a server certificate for `server_ip` and a client certificate, as Docker's TLS guide makes them."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=hydock-test-ca",
    )
    for name, extension in (
        ("server", f"subjectAltName=IP:{server_ip}\nextendedKeyUsage=serverAuth"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        (directory / f"{name}.ext").write_text(extension + "\n")
        openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{name}-key.pem",
            "-out",
            f"{name}.csr",
            "-subj",
            f"/CN={name}",
        )
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")  # fmt: skip


def test_mutual_tls_on_tcp(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    make_certs(certs)
    root = tmp_path / "root"
    port = _free_port()
    daemon = subprocess.Popen(
        [sys.executable, "-m", "hydock.daemon.main", "--root", str(root), "-H", f"tcp://127.0.0.1:{port}",
         "--tlsverify", "--tlscacert", str(certs / "ca.pem"), "--tlscert", str(certs / "server.pem"),
         "--tlskey", str(certs / "server-key.pem")],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        base = ["docker", "-H", f"tcp://127.0.0.1:{port}", "--tlsverify", "--tlscacert", str(certs / "ca.pem")]
        env = {**os.environ, "DOCKER_CONFIG": str(tmp_path / ".docker")}
        with_cert = base + ["--tlscert", str(certs / "client.pem"), "--tlskey", str(certs / "client-key.pem")]
        version = subprocess.run(
            [*with_cert, "version", "--format", "{{.Server.APIVersion}}"], capture_output=True, env=env
        )
        assert version.stdout == b"1.41\n", version.stderr
        without = subprocess.run([*base, "version", "--format", "{{.Server.APIVersion}}"], capture_output=True, env=env)
        assert without.returncode != 0
    finally:
        daemon.terminate()
        daemon.wait(timeout=20)


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_two_hundred_containers_at_once(daemon: Daemon) -> None:
    assert daemon.process is not None
    client = docker.DockerClient(base_url=daemon.url, version="auto", timeout=120)
    try:
        client.containers.run("busybox", ["true"], remove=True)  # warm the daemon's pools
        fds_before = _fds(daemon.process.pid)
        containers = [client.containers.run("busybox", ["sleep", "300"], detach=True) for _ in range(200)]
        running = client.containers.list(filters={"status": "running"})
        assert len(running) == 200
        assert len(shim_processes(daemon.root)) >= 200
        for container in containers:
            container.stop(timeout=0)
        for container in containers:
            assert container.wait()["StatusCode"] == 137
            container.remove()
        assert client.containers.list(all=True) == []
    finally:
        client.close()
    ids = {c.id for c in containers}
    assert mounts_under(daemon.root) == []
    assert container_cgroups(ids) == []
    assert shim_processes(daemon.root) == []
    # The daemon closes the client's keep-alive connections asynchronously: give it a moment.
    deadline = time.monotonic() + 5
    while _fds(daemon.process.pid) > fds_before + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _fds(daemon.process.pid) <= fds_before + 2
