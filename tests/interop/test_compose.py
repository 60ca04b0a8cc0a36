"""docker-compose 1.29 (Debian's, on python3-docker) against hydockd: a web server and its client on a user network,
a named volume, a healthcheck-gated depends_on, legacy links; up, ps, logs, exec, run, recreate and down -v leaving nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hydock.client import Client
from tests.interop.conftest import Daemon

PROJECT = "shop"
PAGE = "served from the volume"
COMPOSE_FILE = f"""\
version: "2.4"
services:
  web:
    image: busybox:latest
    init: true
    command: ["sh", "-c", "echo {PAGE} > /www/index.html && exec httpd -f -p 80 -h /www"]
    volumes: ["site:/www"]
    networks: [backend]
  client:
    image: busybox:latest
    init: true
    command: ["sh", "-c", "until wget -qO- http://web/; do sleep 0.1; done; exec sleep 3600"]
    depends_on: [web]
    networks: [backend]
networks:
  backend: {{}}
volumes:
  site: {{}}
"""
# The client asks once: it succeeds only if compose held it back until the web server's check passed, and the
# server only writes its page and listens after two seconds.
HEALTH_GATED_COMPOSE_FILE = """\
version: "2.4"
services:
  web:
    image: busybox:latest
    init: true
    command: ["sh", "-c", "sleep 2; echo healthy and served > /www/index.html; exec httpd -f -p 80 -h /www"]
    volumes: ["site:/www"]
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://localhost/"]
      interval: 500ms
      timeout: 2s
      retries: 20
  client:
    image: busybox:latest
    command: ["wget", "-qO-", "http://web/"]
    depends_on:
      web:
        condition: service_healthy
volumes:
  site: {}
"""

# Legacy links on the project's network: `www` is web's name for the client alone, not for the bystander.
LINKED_COMPOSE_FILE = """\
version: "2.4"
services:
  web:
    image: busybox:latest
    init: true
    command: ["sh", "-c", "mkdir /www && echo linked > /www/index.html && exec httpd -f -p 80 -h /www"]
  client:
    image: busybox:latest
    init: true
    command: ["sh", "-c", "until wget -qO- http://www/; do sleep 0.1; done; exec sleep 3600"]
    links: ["web:www"]
  bystander:
    image: busybox:latest
    init: true
    command: ["sleep", "3600"]
    depends_on: [client]
"""


class Compose:
    """docker-compose run in a project directory against the daemon."""

    def __init__(self, daemon: Daemon, directory: Path) -> None:
        self.daemon = daemon
        self.directory = directory
        self.env = {**os.environ, "DOCKER_HOST": daemon.url, "DOCKER_CONFIG": str(daemon.root / ".docker")}

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker-compose", "-p", PROJECT, *args],
            cwd=self.directory,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def ok(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = self.run(*args, env=env)
        assert result.returncode == 0, f"docker-compose {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def follow(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["docker-compose", "-p", PROJECT, *args],
            cwd=self.directory,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )


def _compose(daemon: Daemon, tmp_path: Path, compose_file: str) -> Iterator[Compose]:
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is required (tools/install.sh installs Debian's)")
    directory = tmp_path / "app"
    directory.mkdir()
    (directory / "docker-compose.yml").write_text(compose_file)
    compose = Compose(daemon, directory)
    try:
        yield compose
    finally:
        # Whatever the test left; the daemon fixture then stops hydockd, checks for leaks and removes the root.
        compose.run("down", "-v", "--remove-orphans", "-t", "1")


@pytest.fixture
def compose(daemon: Daemon, tmp_path: Path) -> Iterator[Compose]:
    yield from _compose(daemon, tmp_path, COMPOSE_FILE)


@pytest.fixture
def health_gated(daemon: Daemon, tmp_path: Path) -> Iterator[Compose]:
    yield from _compose(daemon, tmp_path, HEALTH_GATED_COMPOSE_FILE)


@pytest.fixture
def linked(daemon: Daemon, tmp_path: Path) -> Iterator[Compose]:
    yield from _compose(daemon, tmp_path, LINKED_COMPOSE_FILE)


@pytest.fixture
def client(daemon: Daemon) -> Iterator[Client]:
    with Client(base_url=daemon.url) as connected:
        yield connected


def _eventually(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)


def root_links(root: Path) -> set[str]:
    """Links hydock made for this root (bridges and veths carry the alias `hydock <root>`), as `ip link` shows them."""
    listing = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in listing.splitlines() if f"alias hydock {root}" in line}


def root_mounts(root: Path) -> list[str]:
    with open("/proc/mounts") as mounts:
        return [line for line in mounts if str(root) in line]


def assert_nothing_left(client: Client, root: Path, links_before: set[str], bridge: str) -> None:
    assert client.api.containers(all=True) == []
    assert sorted(network.name for network in client.api.networks()) == ["bridge", "host", "none"]
    assert client.api.volumes().volumes == []
    # A container's veths go with its network namespace, which the kernel destroys a little after its last process.
    _eventually(lambda: root_links(root) == links_before, f"links back to {links_before}: {root_links(root)}")
    assert bridge not in subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    assert root_mounts(root) == []


def project_containers(client: Client, service: str) -> list[str]:
    labels = [f"com.docker.compose.project={PROJECT}", f"com.docker.compose.service={service}"]
    return [summary.id for summary in client.api.containers(all=True, filters={"label": labels})]


def client_logs(compose: Compose, *options: str) -> str:
    return compose.ok("logs", "--no-color", *options, "client")


def test_up_ps_logs_exec_run_recreate_and_down(compose: Compose, client: Client, daemon: Daemon) -> None:
    links_before = root_links(daemon.root)
    up = compose.run("up", "-d")
    assert up.returncode == 0, up.stderr
    assert f'Creating network "{PROJECT}_backend"' in up.stderr and f'Creating volume "{PROJECT}_site"' in up.stderr
    _eventually(lambda: PAGE in client_logs(compose), "the client fetched http://web/")

    # ps: one container per service (listed by its compose labels, every one of which must match)
    (web_id,), (client_id,) = project_containers(client, "web"), project_containers(client, "client")
    ps = compose.ok("ps").splitlines()
    assert [line.split()[0] for line in ps[2:]] == [f"{PROJECT}_client_1", f"{PROJECT}_web_1"]
    assert all(" Up " in line for line in ps[2:])
    assert sorted(compose.ok("ps", "-q").split()) == sorted([web_id, client_id])
    assert compose.ok("ps", "--services").split() == ["web", "client"]

    # what compose made, with its labels; the web server reachable as "web" on the project's network
    network = client.api.inspect_network(f"{PROJECT}_backend")
    assert network.labels["com.docker.compose.network"] == "backend"
    assert network.labels["com.docker.compose.project"] == PROJECT
    bridge = f"hy-{network.id[:12]}"
    assert bridge in root_links(daemon.root)
    (volume,) = client.api.volumes().volumes
    assert volume.name == f"{PROJECT}_site" and volume.labels["com.docker.compose.volume"] == "site"
    web = client.api.inspect_container(web_id)
    assert "web" in web["NetworkSettings"]["Networks"][f"{PROJECT}_backend"]["Aliases"]
    assert web["Mounts"][0]["Name"] == f"{PROJECT}_site" and web["Mounts"][0]["Destination"] == "/www"
    assert len(root_mounts(daemon.root)) == 2  # the two root filesystems; the volume is mounted in their namespaces

    # logs: all services, timestamps, follow
    assert f"client_1  | {PAGE}" in compose.ok("logs", "--no-color")
    stamped = client_logs(compose, "-t")
    assert re.search(rf"client_1  \| \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{9}}Z {PAGE}$", stamped, re.M), stamped
    follower = compose.follow("logs", "--no-color", "-f", "client")
    try:
        assert follower.stdout is not None
        assert follower.stdout.readline().startswith("Attaching to")
        assert follower.stdout.readline().rstrip() == f"client_1  | {PAGE}"
        assert follower.poll() is None  # following a running container
    finally:
        follower.kill()
        follower.wait()

    # exec, through the docker CLI (compose's default) and through the API (dockerpty)
    assert compose.ok("exec", "-T", "web", "cat", "/www/index.html") == f"{PAGE}\n"
    through_api = compose.run(
        "exec", "-T", "web", "sh", "-c", "cat /www/index.html; exit 3", env={"COMPOSE_INTERACTIVE_NO_CLI": "1"}
    )
    assert (through_api.returncode, through_api.stdout) == (3, f"{PAGE}\n"), through_api.stderr

    # a one-off container, attached through the API, removed after. dockerpty attaches only once it has started
    # the container, and starts it again if it has already ended: the sleep keeps it running until the attach.
    fetch_once = ["sh", "-c", "sleep 1; wget -qO- http://web/"]
    one_off = compose.run("run", "--rm", "-T", "client", *fetch_once, env={"COMPOSE_INTERACTIVE_NO_CLI": "1"})
    assert (one_off.returncode, one_off.stdout) == (0, f"{PAGE}\n"), one_off.stderr
    assert client.api.containers(all=True, filters={"label": ["com.docker.compose.oneoff=True"]}) == []

    # recreate: the old containers renamed out of the way, then removed; the new ones work as the old did
    recreated = compose.run("up", "-d", "--force-recreate")
    assert recreated.returncode == 0, recreated.stderr
    (new_web,), (new_client,) = project_containers(client, "web"), project_containers(client, "client")
    assert {new_web, new_client}.isdisjoint({web_id, client_id})
    assert sorted(c.names[0] for c in client.api.containers(all=True)) == [f"/{PROJECT}_client_1", f"/{PROJECT}_web_1"]
    _eventually(lambda: PAGE in client_logs(compose), "the recreated client fetched http://web/")

    down = compose.run("down", "-v")
    assert down.returncode == 0, down.stderr
    assert f"Removing network {PROJECT}_backend" in down.stderr and f"Removing volume {PROJECT}_site" in down.stderr
    assert_nothing_left(client, daemon.root, links_before, bridge)

    # up again, on a fresh network and volume, and down again
    compose.ok("up", "-d")
    _eventually(lambda: PAGE in client_logs(compose), "the client of the second up fetched http://web/")
    second_bridge = f"hy-{client.api.inspect_network(f'{PROJECT}_backend').id[:12]}"
    compose.ok("down", "-v")
    assert_nothing_left(client, daemon.root, links_before, second_bridge)


def test_up_attached_ends_with_the_client(compose: Compose, client: Client, daemon: Daemon) -> None:
    """`up` in the foreground attaches to every container before starting it and follows events to stop them all
    when the client ends."""
    (compose.directory / "docker-compose.override.yml").write_text(
        'version: "2.4"\nservices:\n  client:\n    command: ["sh", "-c", "until wget -qO- http://web/; do sleep 0.1; done"]\n'
    )
    up = compose.run("up", "--no-color", "--exit-code-from", "client", timeout=60)
    assert up.returncode == 0, up.stderr
    assert f"client_1  | {PAGE}" in up.stdout
    assert f"{PROJECT}_client_1 exited with code 0" in up.stdout
    assert [c.state for c in client.api.containers(all=True)] == ["exited", "exited"]


def test_depends_on_service_healthy(health_gated: Compose, client: Client, daemon: Daemon) -> None:
    compose = health_gated
    links_before = root_links(daemon.root)
    up = compose.run("up", "-d", timeout=90)
    assert up.returncode == 0, up.stderr
    (web_id,), (client_id,) = project_containers(client, "web"), project_containers(client, "client")
    web = client.api.inspect_container(web_id)
    assert web["State"]["Health"]["Status"] == "healthy"
    _eventually(lambda: client.api.inspect_container(client_id)["State"]["Status"] == "exited", "the client ended")
    assert client.api.inspect_container(client_id)["State"]["ExitCode"] == 0
    assert compose.ok("logs", "--no-color", "client").splitlines()[-1] == "client_1  | healthy and served"
    ps = compose.ok("ps")
    assert re.search(rf"^{PROJECT}_web_1 .* Up \(healthy\)", ps, re.M), ps
    assert re.search(rf"^{PROJECT}_client_1 .* Exit 0", ps, re.M), ps
    bridge = f"hy-{client.api.inspect_network(f'{PROJECT}_default').id[:12]}"
    compose.ok("down", "-v")
    assert_nothing_left(client, daemon.root, links_before, bridge)


def test_links_name_the_linked_service_for_the_linking_one_only(
    linked: Compose, client: Client, daemon: Daemon
) -> None:
    compose = linked
    links_before = root_links(daemon.root)
    compose.ok("up", "-d")
    _eventually(lambda: "linked" in client_logs(compose), "the client fetched http://www/")
    (web_id,), (client_id,) = project_containers(client, "web"), project_containers(client, "client")
    network = f"{PROJECT}_default"
    address = client.api.inspect_container(web_id)["NetworkSettings"]["Networks"][network]["IPAddress"]
    linking = client.api.inspect_container(client_id)
    assert f"{PROJECT}_web_1:www" in linking["NetworkSettings"]["Networks"][network]["Links"]
    assert linking["HostConfig"]["Links"] is None  # dockerd's: a user network's links are its endpoint's
    assert address in compose.ok("exec", "-T", "client", "nslookup", "www")
    assert address not in compose.run("exec", "-T", "bystander", "nslookup", "www").stdout
    bridge = f"hy-{client.api.inspect_network(network).id[:12]}"
    compose.ok("down", "-v", "-t", "1")
    assert_nothing_left(client, daemon.root, links_before, bridge)
