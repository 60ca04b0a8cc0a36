"""Archives exchanged with a real dockerd, started privately for the test (its own root, socket, containerd
namespace and bridge), so that it runs wherever dockerd is installed and touches no other Docker."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.leaks import mounts_under
from tests.interop.conftest import Daemon
from tests.interop.test_save_load import ok

# The private dockerd's bridge. Not --bridge=none: a dockerd started so deletes the link named docker0, which belongs
# to the system's dockerd (moby's removeDefaultBridgeInterface), and that dockerd's containers lose their network.
BRIDGE = "dkr-archives"


class PrivateDockerd:
    def __init__(self, run_dir: Path) -> None:
        self.url = f"unix://{run_dir / 'docker.sock'}"

    def docker(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["docker", "-H", self.url, *args], capture_output=True, timeout=120)


@pytest.fixture
def dockerd(tmp_path: Path) -> Iterator[PrivateDockerd]:
    binary = shutil.which("dockerd")
    if binary is None:
        pytest.skip("dockerd is not installed: there is no Docker to exchange archives with")
    # Its sockets (and those of the containerd it may start) live here: a short path, as unix sockets need.
    run_dir = Path(tempfile.mkdtemp(prefix="hydock-dockerd-"))
    private = PrivateDockerd(run_dir)
    log_path = tmp_path / "dockerd.log"
    data_root = tmp_path / "dockerd-data"
    system_bridge = _link_exists("docker0")
    subprocess.run(["ip", "link", "add", BRIDGE, "type", "bridge"], check=True)
    process = None
    try:
        subprocess.run(["ip", "addr", "add", "192.0.2.1/24", "dev", BRIDGE], check=True)
        # The namespaces keep its containers apart from those of a system dockerd sharing the system containerd.
        argv = [binary, "--data-root", str(data_root), "--exec-root", str(run_dir / "exec"),
                "--pidfile", str(run_dir / "docker.pid"), "-H", private.url, f"--bridge={BRIDGE}", "--iptables=false",
                "--ip6tables=false", "--containerd-namespace", "hydock-test",
                "--containerd-plugins-namespace", "hydock-test-plugins"]  # fmt: skip
        with open(log_path, "wb") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while private.docker("version").returncode != 0:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the private dockerd did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield private
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        # A dockerd that failed to start leaves its data root bind-mounted on itself.
        for mount in reversed(mounts_under(data_root)):
            subprocess.run(["umount", "--lazy", mount], check=True)
        shutil.rmtree(run_dir, ignore_errors=True)
        subprocess.run(["ip", "link", "del", BRIDGE], check=True)
    assert _link_exists("docker0") == system_bridge, "the private dockerd took the system dockerd's docker0"


def _link_exists(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


def test_dockerd_loads_and_runs_a_hydock_save(daemon: Daemon, dockerd: PrivateDockerd, tmp_path: Path) -> None:
    archive = tmp_path / "busybox.tar"
    ok(daemon.docker("tag", "busybox", "saved:by-hydock"))
    ok(daemon.docker("save", "-o", str(archive), "busybox", "saved:by-hydock"))
    assert (
        ok(dockerd.docker("load", "-i", str(archive)))
        == "Loaded image: busybox:latest\nLoaded image: saved:by-hydock\n"
    )
    hydock_id = ok(daemon.docker("image", "inspect", "-f", "{{.Id}}", "busybox"))
    assert ok(dockerd.docker("image", "inspect", "-f", "{{.Id}}", "saved:by-hydock")) == hydock_id
    assert ok(dockerd.docker("run", "--rm", "--network", "none", "saved:by-hydock", "echo", "ran")) == "ran\n"


def test_hydock_loads_and_runs_a_dockerd_save(daemon: Daemon, dockerd: PrivateDockerd, busybox_tar: Path) -> None:
    ok(dockerd.docker("import", str(busybox_tar), "saved:by-dockerd"))
    saved = dockerd.docker("save", "saved:by-dockerd")
    assert saved.returncode == 0, saved.stderr
    assert ok(daemon.docker("load", input=saved.stdout)) == "Loaded image: saved:by-dockerd\n"
    dockerd_id = ok(dockerd.docker("image", "inspect", "-f", "{{.Id}}", "saved:by-dockerd"))
    assert ok(daemon.docker("image", "inspect", "-f", "{{.Id}}", "saved:by-dockerd")) == dockerd_id
    assert ok(daemon.docker("run", "--rm", "saved:by-dockerd", "echo", "ran")) == "ran\n"
