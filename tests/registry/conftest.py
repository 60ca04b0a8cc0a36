"""Real registry servers (and token servers) in subprocesses on free ports, stopped at teardown whatever happens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

import hydock

START_TIMEOUT = 20


class Server:
    """`hydock registry <command> --addr 127.0.0.1:0 ...`; its URL is read from its announcement on stderr."""

    def __init__(self, command: str, args: list[str], log: Path) -> None:
        self.log = log
        env = {**os.environ, "PYTHONPATH": str(Path(hydock.__file__).parents[1])}  # the hydock under test
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hydock", "registry", command, "--addr", "127.0.0.1:0", *args],
                stdout=out, stderr=out, env=env,
            )  # fmt: skip
        self.url = self._wait_for_url()

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for line in self.log.read_text().splitlines():
                if " listening on " in line:
                    return line.rpartition(" listening on ")[2].strip()
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}: {self.log.read_text()}")
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"server did not announce its address within {START_TIMEOUT} s: {self.log.read_text()}")

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


StartServer = Callable[..., Server]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Starts `hydock registry <command> ARGS...`; every server started is stopped at teardown."""
    servers: list[Server] = []

    def start(command: str, *args: str) -> Server:
        server = Server(command, list(args), tmp_path / f"{command}-{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def registry_root(tmp_path: Path) -> Path:
    return tmp_path / "registry"


@pytest.fixture
def registry(start_server: StartServer, registry_root: Path) -> Server:
    return start_server("serve", "--root", str(registry_root))


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
