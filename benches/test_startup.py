"""Container start-up latency: `run --rm IMAGE true` through hydock (Engine and CLI), runc and docker.

Without a network beside runc (whose prepared bundle gets an empty network namespace too) and beside
`docker run --network none`; hydock's default bridge is timed here too, and against dockerd's bridges in
test_network.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from benches.conftest import have, hydock_command, missing, record
from hydock import Engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("bench-root")
    engine = Engine(root)
    engine.images.import_image(busybox_tar, "busybox:latest")
    engine.containers.run("busybox", ["true"], remove=True)  # installs the shim binary once
    yield engine
    engine.close()
    # The CLI benchmark auto-starts the root's hydockd: stop it.
    pidfile = root / "hydockd.pid"
    if pidfile.exists():
        os.kill(int(pidfile.read_text()), signal.SIGTERM)


def test_engine_run_true(benchmark, engine: Engine) -> None:
    def run() -> None:
        engine.containers.run("busybox", ["true"], remove=True, network_mode="none")

    benchmark.pedantic(run, rounds=40, warmup_rounds=3)
    record(benchmark, "hydock Engine run --rm --network none true")


def test_engine_run_true_bridge(benchmark, engine: Engine) -> None:
    benchmark.pedantic(lambda: engine.containers.run("busybox", ["true"], remove=True), rounds=40, warmup_rounds=3)
    record(benchmark, "hydock Engine run --rm true (default bridge)")


@pytest.mark.parametrize("network", ["none", "default bridge"])
def test_cli_run_true(benchmark, engine: Engine, network: str) -> None:
    flags = ["--network", "none"] if network == "none" else []
    argv = [*hydock_command(), "--root", str(engine.root), "run", "--rm", *flags, "busybox", "true"]
    benchmark.pedantic(lambda: subprocess.run(argv, check=True), rounds=20, warmup_rounds=2)
    record(benchmark, f"hydock CLI run --rm true ({network})")


@pytest.fixture(scope="module")
def runc_bundle(tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path) -> Path:
    bundle = tmp_path_factory.mktemp("runc-bundle")
    (bundle / "rootfs").mkdir()
    subprocess.run(["tar", "-xf", str(busybox_tar), "-C", str(bundle / "rootfs")], check=True)
    subprocess.run(["runc", "spec"], cwd=bundle, check=True)
    config = json.loads((bundle / "config.json").read_text())
    config["process"]["terminal"] = False
    config["process"]["args"] = ["true"]
    (bundle / "config.json").write_text(json.dumps(config))
    return bundle


def test_runc_run_true(benchmark, runc_bundle: Path) -> None:
    if not have("runc"):
        missing("runc run (prepared bundle)", "runc is not installed (apt-get install runc)")
        return

    def run() -> None:
        subprocess.run(["runc", "run", "-b", str(runc_bundle), f"bench-{uuid.uuid4().hex[:12]}"], check=True)

    benchmark.pedantic(run, rounds=40, warmup_rounds=3)
    record(benchmark, "runc run (prepared bundle)")


@pytest.mark.parametrize("network", ["none", "default bridge"])
def test_docker_run_true(benchmark, busybox_tar: Path, network: str) -> None:
    name = f"docker run --rm true ({network})"
    if not have("docker") or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        missing(name, "no dockerd answers on this machine")
        return
    with open(busybox_tar, "rb") as tar:
        subprocess.run(
            ["docker", "import", "-", "hydock-bench-busybox:latest"], stdin=tar, check=True, capture_output=True
        )
    argv = [
        "docker",
        "run",
        "--rm",
        *(["--network", "none"] if network == "none" else []),
        "hydock-bench-busybox:latest",
        "true",
    ]
    probe = subprocess.run(argv, capture_output=True, text=True)
    if probe.returncode != 0:
        missing(name, f"dockerd cannot run it here: {probe.stderr.strip()}")
        return
    benchmark.pedantic(lambda: subprocess.run(argv, check=True), rounds=20, warmup_rounds=2)
    record(benchmark, name)
