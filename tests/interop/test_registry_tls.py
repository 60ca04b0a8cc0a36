"""Registries off the loopback: HTTPS verified against the CAs in certs.d/HOST:PORT/, plain HTTP only for
those given to hydockd with --insecure-registry."""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.conftest import Daemon
from tests.interop.registry_support import DockerRegistry
from tests.interop.test_daemon_ops import make_certs
from tests.interop.test_docker_cli import ok
from tests.interop.test_registry_client import publish

# A documentation-range address on lo: routable to this machine, yet not loopback to the client.
ADDRESS = "198.51.100.77"


@pytest.fixture
def address() -> Iterator[str]:
    subprocess.run(["ip", "addr", "add", f"{ADDRESS}/32", "dev", "lo"], check=True)
    try:
        yield ADDRESS
    finally:
        subprocess.run(["ip", "addr", "del", f"{ADDRESS}/32", "dev", "lo"], check=True)


def test_https_needs_the_ca_and_http_needs_insecure_registry(address: str, tmp_path: Path, busybox_tar: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    make_certs(certs, address)
    registries = []
    daemon = Daemon(tmp_path / "root")
    try:
        for name in ("tls", "plain", "unlisted"):
            (tmp_path / name).mkdir()
            tls = (certs / "server.pem", certs / "server-key.pem") if name == "tls" else None
            registries.append(DockerRegistry(tmp_path / name, host=address, tls=tls))
        secure, plain, unlisted = registries
        for registry in registries:
            publish(busybox_tar, tmp_path, f"{registry.address}/busybox:latest", [("linux", "amd64")])
        certs_d = tmp_path / "certs.d"
        daemon.root.mkdir()
        daemon.start("--registry-certs-dir", str(certs_d), "--insecure-registry", plain.address)

        unverified = daemon.docker("pull", f"{secure.address}/busybox")
        assert unverified.returncode == 1 and b"certificate verify failed" in unverified.stderr
        (certs_d / secure.address).mkdir(parents=True)
        shutil.copy(certs / "ca.pem", certs_d / secure.address / "ca.crt")
        ok(daemon.docker("pull", f"{secure.address}/busybox"))

        ok(daemon.docker("pull", f"{plain.address}/busybox"))
        refused = daemon.docker("pull", f"{unlisted.address}/busybox")
        assert refused.returncode == 1, refused.stdout
        assert f"cannot reach registry {unlisted.address}".encode() in refused.stderr
    finally:
        if daemon.process is not None:
            for line in daemon.docker("ps", "-aq").stdout.split():
                daemon.docker("rm", "-f", line.decode())
            daemon.kill(signal.SIGTERM)
        for registry in registries:
            registry.stop()
