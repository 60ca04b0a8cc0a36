"""`docker network …`, `docker run -p` and docker-py's networks against hydockd."""

from __future__ import annotations

import json
import socket
import time
import urllib.request

import docker
import pytest

from tests.interop.conftest import Daemon
from tests.interop.test_docker_cli import ok

SERVE = "mkdir -p /www && echo served > /www/index.html && exec httpd -f -p 80 -h /www"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def _get(url: str) -> str:
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode().strip()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_docker_network_commands_and_run_publish(daemon: Daemon) -> None:
    network_id = ok(daemon.docker("network", "create", "--subnet", "10.232.0.0/24", "--label", "app=web", "web"))
    listed = ok(daemon.docker("network", "ls", "--format", "{{.Name}} {{.Driver}}")).splitlines()
    assert sorted(listed) == ["bridge bridge", "host host", "none null", "web bridge"]
    again = daemon.docker("network", "create", "web")
    assert again.returncode == 1 and b"network with name web already exists" in again.stderr
    port = _free_port()
    ok(
        daemon.docker(
            "run", "-d", "--name", "srv", "--network", "web", "-p", f"{port}:80", "busybox", "sh", "-c", SERVE
        )
    )
    assert _get(f"http://127.0.0.1:{port}/") == "served"
    assert ok(daemon.docker("port", "srv", "80")).strip() == f"0.0.0.0:{port}"
    assert f"0.0.0.0:{port}->80/tcp" in ok(daemon.docker("ps", "--format", "{{.Ports}}"))
    inspected = json.loads(ok(daemon.docker("network", "inspect", "web")))[0]
    assert inspected["Id"] == network_id.strip() and inspected["Labels"] == {"app": "web"}
    assert inspected["IPAM"]["Config"] == [{"Subnet": "10.232.0.0/24", "Gateway": "10.232.0.1"}]
    (member,) = inspected["Containers"].values()
    assert member["Name"] == "srv" and member["IPv4Address"].startswith("10.232.0.")
    fetched = ok(daemon.docker("run", "--rm", "--network", "web", "busybox", "wget", "-qO-", "http://srv/"))
    assert fetched.strip() == "served"
    ok(daemon.docker("network", "create", "other"))
    ok(daemon.docker("network", "connect", "--alias", "api", "other", "srv"))
    assert (
        ok(daemon.docker("run", "--rm", "--network", "other", "busybox", "wget", "-qO-", "http://api/")) == "served\n"
    )
    networks = json.loads(ok(daemon.docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", "srv")))
    assert sorted(networks) == ["other", "web"] and "api" in networks["other"]["Aliases"]
    ok(daemon.docker("network", "disconnect", "other", "srv"))
    refused = daemon.docker("network", "rm", "web")
    assert refused.returncode == 1 and b"has active endpoints" in refused.stderr
    assert b"pre-defined network" in daemon.docker("network", "rm", "bridge").stderr
    ok(daemon.docker("rm", "-f", "srv"))
    pruned = ok(daemon.docker("network", "prune", "-f"))
    assert pruned.split()[:2] == ["Deleted", "Networks:"] and sorted(pruned.split()[2:]) == ["other", "web"]


def test_docker_py_networks_and_ports(daemon: Daemon) -> None:
    client = docker.DockerClient(base_url=daemon.url, version="auto")
    try:
        network = client.networks.create("pynet", driver="bridge")
        port = _free_port()
        server = client.containers.run(
            "busybox", ["sh", "-c", SERVE], detach=True, name="pysrv", network="pynet", ports={"80/tcp": port}
        )
        assert _get(f"http://127.0.0.1:{port}/") == "served"
        server.reload()
        assert server.ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(port)}]}
        assert server.attrs["NetworkSettings"]["Networks"]["pynet"]["IPAddress"]
        output = client.containers.run("busybox", ["wget", "-qO-", "http://pysrv/"], network="pynet", remove=True)
        assert output == b"served\n"
        network.reload()
        assert [c.name for c in network.containers] == ["pysrv"]
        server.remove(force=True)
        network.remove()
        assert [n.name for n in client.networks.list(names=["pynet"])] == []
    finally:
        client.close()


def test_links_through_the_docker_cli_and_docker_py(daemon: Daemon) -> None:
    """The docker CLI moves a user network's links into its endpoint settings; docker-py sends HostConfig.Links,
    which dockerd honours on the default bridge only."""
    ok(daemon.docker("network", "create", "linked"))
    ok(daemon.docker("run", "-d", "--name", "web", "--network", "linked", "busybox", "sh", "-c", SERVE))
    fetch = "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://www/ && exit 0; sleep 0.2; done; exit 1"
    linking = ("--network", "linked", "--link", "web:www")
    assert ok(daemon.docker("run", "--rm", *linking, "busybox", "sh", "-c", fetch)) == "served\n"
    created = json.loads(
        ok(daemon.docker("inspect", ok(daemon.docker("create", *linking, "busybox", "true")).strip()))
    )[0]
    assert created["HostConfig"]["Links"] is None
    assert created["NetworkSettings"]["Networks"]["linked"]["Links"] == ["web:www"]
    missing = daemon.docker("run", "--link", "nosuch:x", "busybox", "true")
    assert missing.returncode == 125
    assert b"Error response from daemon: could not get container for nosuch: No such container: nosuch" in (
        missing.stderr
    )

    client = docker.DockerClient(base_url=daemon.url, version="auto")
    try:
        ok(daemon.docker("run", "-d", "--name", "bridged", "--expose", "80", "busybox", "sh", "-c", SERVE))
        server = client.containers.get("bridged")
        address = server.attrs["NetworkSettings"]["IPAddress"]
        show = "grep -w www /etc/hosts; echo $WWW_NAME $WWW_PORT_80_TCP; " + fetch
        output = client.containers.run("busybox", ["sh", "-c", show], name="pyclient", links={"bridged": "www"})
        hosts_line, variables, page = output.decode().splitlines()
        assert hosts_line.split() == [address, "www", server.attrs["Config"]["Hostname"], "bridged"]
        assert variables == f"/pyclient/www tcp://{address}:80"
        assert page == "served"
        assert client.api.inspect_container("pyclient")["HostConfig"]["Links"] == ["/bridged:/pyclient/www"]
        with pytest.raises(docker.errors.APIError) as refused:
            client.containers.create("busybox", "true", links={"nosuch": "x"})
        assert refused.value.status_code == 400
        assert "could not get container for nosuch: No such container: nosuch" in str(refused.value)
    finally:
        client.close()
