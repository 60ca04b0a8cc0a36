"""Networks for real: user-defined bridges with DNS, isolation, published ports, host/none/container modes, a daemon
restart, and nothing left behind. Each test's root fixture removes its containers and networking, and checks."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hydock import Engine
from tests.integration.conftest import BackendCli, Cli, stop_daemon
from tests.integration.leaks import firewall_rules, network_leftovers, network_links

SERVE = "mkdir -p /www && echo hello from $(hostname) > /www/index.html && exec httpd -f -p 80 -h /www"


def _ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def _host_address() -> str:
    """A non-loopback address of this machine that is not on one of hydock's bridges."""
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        names = {link["index"]: link.get("ifname") for link in ipr.get_links()}
        for address in ipr.get_addr(family=socket.AF_INET):
            name = names.get(address["index"], "")
            if name != "lo" and not name.startswith(("hy", "docker", "br-")):
                return address.get("IFA_ADDRESS")
    pytest.fail("this machine has no non-loopback IPv4 address")


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode().strip()


def _page(url: str, failure: str) -> str:
    """The page at `url` once it answers (a published port is wired a moment after the container starts)."""
    for _ in range(50):
        try:
            return _get(url)
        except OSError:
            continue
    pytest.fail(failure)


def test_containers_on_a_network_reach_each_other_by_name_and_not_across_networks(cli: Cli, image: str) -> None:
    _ok(cli("network", "create", "front"))
    _ok(cli("network", "create", "back"))
    _ok(cli("run", "-d", "--name", "srv", "--network", "front", "--network-alias", "www", image, "sh", "-c", SERVE))
    fetch = "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://$0/ && exit 0; sleep 0.2; done; exit 1"
    assert _ok(cli("run", "--rm", "--network", "front", image, "sh", "-c", fetch, "srv")).startswith("hello from")
    assert _ok(cli("run", "--rm", "--network", "front", image, "sh", "-c", fetch, "www")).startswith("hello from")
    short_id = _ok(cli("inspect", "-f", "{{.Id}}", "srv"))[:12]
    assert _ok(cli("run", "--rm", "--network", "front", image, "wget", "-qO-", f"http://{short_id}/"))
    address = _ok(cli("inspect", "-f", "{{.NetworkSettings.Networks.front.IPAddress}}", "srv"))
    assert cli("run", "--rm", "--network", "back", image, "nslookup", "srv").returncode != 0
    across = cli("run", "--rm", "--network", "back", image, "wget", "-T", "2", "-qO-", f"http://{address}/")
    assert across.returncode != 0
    listed = json.loads(_ok(cli("network", "inspect", "front")))[0]
    assert [c["Name"] for c in listed["Containers"].values()] == ["srv"]
    assert cli("network", "rm", "front").returncode != 0  # srv is on it
    _ok(cli("rm", "-f", "srv"))
    assert _ok(cli("network", "rm", "front", "back")).split() == ["front", "back"]


def test_a_published_port_answers_on_loopback_and_on_the_hosts_address(cli: Cli, image: str) -> None:
    port = _free_port()
    container = _ok(cli("run", "-d", "-p", f"{port}:80", "-p", "127.0.0.1::81/udp", image, "sh", "-c", SERVE))
    for host in ("127.0.0.1", _host_address()):
        assert _page(f"http://{host}:{port}/", f"nothing answered on {host}:{port}") == f"hello from {container[:12]}"
    mappings = _ok(cli("port", container)).splitlines()
    assert mappings[0] == f"80/tcp -> 0.0.0.0:{port}"
    assert mappings[1].startswith("81/udp -> 127.0.0.1:")
    assert f"0.0.0.0:{port}->80/tcp" in _ok(cli("ps", "--format", "{{.Ports}}"))
    taken = cli("run", "-d", "-p", f"{port}:80", image, "true")
    assert taken.returncode == 125
    assert f"Bind for 0.0.0.0:{port} failed: port is already allocated" in taken.stderr.decode()
    assert b"invalid hostPort: x" in cli("run", "-p", "x:80", image, "true").stderr


def test_host_and_none_networks(cli: Cli, image: str) -> None:
    assert _ok(cli("run", "--rm", "--network", "host", image, "hostname")) == socket.gethostname()
    # Other roots' bridges may come and go meanwhile: compare with the host's links before and after.
    before = {p.name for p in Path("/sys/class/net").iterdir()}
    seen = set(_ok(cli("run", "--rm", "--network", "host", image, "ls", "/sys/class/net")).split())
    after = {p.name for p in Path("/sys/class/net").iterdir()}
    assert before & after <= seen <= before | after
    assert _ok(cli("run", "--rm", "--network", "none", image, "ls", "/sys/class/net")).split() == ["lo"]
    none = json.loads(_ok(cli("inspect", _ok(cli("create", "--network", "none", image, "true")))))[0]
    assert list(none["NetworkSettings"]["Networks"]) == ["none"]


def test_a_container_joins_anothers_network(cli: Cli, image: str) -> None:
    _ok(cli("run", "-d", "--name", "first", image, "sh", "-c", SERVE))
    fetch = "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1/ && exit 0; sleep 0.2; done; exit 1"
    shared = _ok(cli("run", "--rm", "--network", "container:first", image, "sh", "-c", fetch))
    assert shared == f"hello from {_ok(cli('inspect', '-f', '{{.Config.Hostname}}', 'first'))}"
    stopped = _ok(cli("create", "--name", "idle", image, "true"))
    refused = cli("run", "--rm", "--network", f"container:{stopped}", image, "true")
    assert b"cannot join network of a non running container" in refused.stderr
    assert (
        b"conflicting options: port publishing"
        in cli("run", "--network", "container:first", "-p", "80", image, "true").stderr
    )


def test_a_container_started_again_at_once_gets_its_network_again(engine: Engine, image: str) -> None:
    """The kernel destroys an ended run's namespace and veths in the background: the next run must not clash."""
    container = engine.containers.create(image, ["sh", "-c", "ip -o -4 addr show eth0 | wc -l"])
    for _ in range(20):
        container.start()
        assert container.wait()["StatusCode"] == 0
    assert container.logs().split() == [b"1"] * 20


def _link_address(name: str) -> str:
    return Path(f"/sys/class/net/{name}/address").read_text().strip()


def test_a_bridge_keeps_its_address_as_containers_come_and_go(cli: Cli, image: str) -> None:
    """Left to the kernel, a bridge takes the lowest address of its ports: a container plugged in later could change
    the gateway's address under the others' ARP caches and cut them off (their DNS queries among them)."""
    bridge = f"hy-{_ok(cli('network', 'create', 'steady'))[:12]}"
    first = _ok(cli("run", "-d", "--network", "steady", image, "sleep", "60"))
    address = _link_address(bridge)
    assert Path(f"/sys/class/net/{bridge}/addr_assign_type").read_text().strip() == "3"  # NET_ADDR_SET: pinned
    assert f"lladdr {address}" in _ok(
        cli("exec", first, "sh", "-c", "ping -c1 -W2 $(ip route | awk '/default/{print $3}') >/dev/null; ip neigh")
    )
    others = [_ok(cli("run", "-d", "--network", "steady", image, "sleep", "60")) for _ in range(3)]
    ports = [port.name for port in Path(f"/sys/class/net/{bridge}/brif").iterdir()]
    assert len(ports) == 4 and address not in [_link_address(port) for port in ports]
    _ok(cli("rm", "-f", first))
    assert _link_address(bridge) == address
    _ok(cli("rm", "-f", *others))


def test_network_label_filters_need_every_label(cli: Cli) -> None:
    _ok(cli("network", "create", "--label", "a=1", "--label", "b=2", "both"))
    _ok(cli("network", "create", "--label", "a=1", "one"))
    listed = _ok(cli("network", "ls", "--filter", "label=a=1", "--filter", "label=b", "--format", "{{.Name}}"))
    assert listed.split() == ["both"]
    assert sorted(_ok(cli("network", "ls", "-f", "label=a=1", "--format", "{{.Name}}")).split()) == ["both", "one"]


def test_etc_files_follow_the_flags(cli: Cli, image: str) -> None:
    _ok(cli("network", "create", "--subnet", "10.231.0.0/24", "--gateway", "10.231.0.254", "named"))
    out = _ok(
        cli(
            "run", "--rm", "--network", "named", "--ip", "10.231.0.77", "-h", "box", "--add-host", "db:10.0.0.9",
            "--add-host", "gw:host-gateway", "--dns-search", "example.test", "--dns-option", "ndots:2",
            image, "sh", "-c", "cat /etc/hosts /etc/resolv.conf; ip -o -4 addr show eth0; ip route",
        )
    )  # fmt: skip
    assert "10.0.0.9\tdb" in out and "\tgw" in out and "10.231.0.77\tbox" in out
    assert "nameserver 10.231.0.254" in out and "search example.test" in out and "options ndots:2" in out
    assert "inet 10.231.0.77/24" in out and "default via 10.231.0.254" in out
    _ok(cli("network", "create", "--internal", "sealed"))
    assert "default" not in _ok(cli("run", "--rm", "--network", "sealed", image, "ip", "route"))


def test_a_link_on_a_user_network_is_a_name_only_the_linking_container_resolves(cli: Cli, image: str) -> None:
    _ok(cli("network", "create", "linked"))
    _ok(cli("run", "-d", "--name", "web", "--network", "linked", image, "sh", "-c", SERVE))
    web = json.loads(_ok(cli("inspect", "web")))[0]
    address = web["NetworkSettings"]["Networks"]["linked"]["IPAddress"]
    fetch = "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://$0/ && exit 0; sleep 0.2; done; exit 1"
    linking = ("--network", "linked", "--link", "web:www")
    _ok(cli("run", "-d", "--name", "client", *linking, image, "sleep", "60"))
    assert _ok(cli("exec", "client", "sh", "-c", fetch, "www")) == f"hello from {web['Config']['Hostname']}"
    # Another container on the network, while the linking one runs: `www` is not a name of web for it (it may still
    # be some other host's).
    looked_up = cli("run", "--rm", "--network", "linked", image, "nslookup", "www")
    assert address not in looked_up.stdout.decode()
    assert json.loads(_ok(cli("inspect", "-f", "{{json .NetworkSettings.Networks.linked.Links}}", "client"))) == [
        "web:www"
    ]
    created = json.loads(_ok(cli("inspect", _ok(cli("create", *linking, image, "true")))))[0]
    assert created["HostConfig"]["Links"] is None
    assert created["NetworkSettings"]["Networks"]["linked"]["Links"] == ["web:www"]
    bad = cli("run", "--rm", "--link", "a:b:c", image, "true")
    assert (bad.returncode, bad.stderr.decode().strip()) == (
        125,
        'invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c',
    )


def test_a_link_on_the_default_bridge_writes_hosts_and_environment(cli: Cli, image: str) -> None:
    _ok(cli("run", "-d", "--name", "web", "--expose", "80", "-e", "GREETING=hi", image, "sh", "-c", SERVE))
    web = json.loads(_ok(cli("inspect", "web")))[0]
    address, hostname = web["NetworkSettings"]["IPAddress"], web["Config"]["Hostname"]
    show = "cat /etc/hosts; env; for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://www/ && exit 0; sleep 0.2; done"
    seen = _ok(cli("run", "--name", "client", "--link", "web:www", image, "sh", "-c", show)).splitlines()
    assert f"{address}\twww {hostname} web" in seen
    assert f"hello from {hostname}" in seen
    assert {
        f"WWW_PORT=tcp://{address}:80",
        f"WWW_PORT_80_TCP=tcp://{address}:80",
        f"WWW_PORT_80_TCP_ADDR={address}",
        "WWW_PORT_80_TCP_PORT=80",
        "WWW_PORT_80_TCP_PROTO=tcp",
        "WWW_NAME=/client/www",
        "WWW_ENV_GREETING=hi",
    } <= set(seen)
    assert json.loads(_ok(cli("inspect", "-f", "{{json .HostConfig.Links}}", "client"))) == ["/web:/client/www"]
    # An exec gets the links' environment too, worked out again each time: none while a linked container is stopped.
    _ok(cli("run", "-d", "--name", "linking", "--link", "web:www", image, "sleep", "60"))
    assert f"WWW_PORT_80_TCP_ADDR={address}" in _ok(cli("exec", "linking", "env")).splitlines()
    _ok(cli("stop", "-t", "0", "web"))
    refused = cli("exec", "linking", "env")
    assert (refused.returncode, refused.stderr.decode().strip()) == (
        1,
        "Error response from daemon: Cannot link to a non running container: /web AS /linking/www",
    )
    _ok(cli("start", "web"))
    missing = cli("run", "--link", "nosuch:x", image, "true")
    assert (missing.returncode, missing.stderr.decode().strip()) == (
        125,
        "Error response from daemon: could not get container for nosuch: No such container: nosuch",
    )
    _ok(cli("create", "--name", "idle", image, "true"))
    stopped = cli("run", "--link", "idle", image, "true")
    assert "Cannot link to a non running container: /idle AS /" in stopped.stderr.decode()
    elsewhere = _ok(cli("create", "--network", "none", "--link", "web", image, "true"))
    assert json.loads(_ok(cli("inspect", "-f", "{{json .HostConfig.Links}}", elsewhere)))[0].startswith("/web:/")


def test_a_linking_containers_hosts_follow_the_linked_one_to_its_new_address(cli: Cli, image: str) -> None:
    """dockerd's parent update: a linked container that starts again rewrites the link's line in the running linking
    containers' /etc/hosts (which they have bind-mounted: rewritten in place)."""
    _ok(cli("run", "-d", "--name", "web", image, "sleep", "60"))
    _ok(cli("run", "-d", "--name", "client", "--link", "web:www", image, "sleep", "60"))
    before = _ok(cli("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"))
    _ok(cli("restart", "-t", "0", "web"))
    after = _ok(cli("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"))
    assert after != before  # leases are serial: the restart took the next address
    hosts = _ok(cli("exec", "client", "cat", "/etc/hosts")).splitlines()
    assert [line.split("\t")[0] for line in hosts if "\twww " in line] == [after]


def test_links_follow_a_rename_of_either_container(cli: Cli, image: str) -> None:
    """As dockerd's link index: the link names the renamed containers, and the next start finds them by it."""
    _ok(cli("run", "-d", "--name", "web", image, "sleep", "60"))
    _ok(cli("run", "-d", "--name", "client", "--link", "web:www", image, "sleep", "60"))
    _ok(cli("rename", "web", "web2"))
    _ok(cli("rename", "client", "client2"))
    assert json.loads(_ok(cli("inspect", "-f", "{{json .HostConfig.Links}}", "client2"))) == ["/web2:/client2/www"]
    _ok(cli("restart", "-t", "0", "client2"))
    address, hostname = _ok(cli("inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.Config.Hostname}}", "web2")).split()
    assert f"{address}\twww {hostname} web2" in _ok(cli("exec", "client2", "cat", "/etc/hosts")).splitlines()
    assert "WWW_NAME=/client2/www" in _ok(cli("exec", "client2", "env")).splitlines()


def test_a_daemon_restart_keeps_a_containers_network_and_duplicates_no_rule(cli: Cli, image: str, root: Path) -> None:
    port = _free_port()
    _ok(cli("network", "create", "keep"))
    _ok(cli("run", "-d", "--name", "kept", "--network", "keep", "-p", f"{port}:80", image, "sh", "-c", SERVE))
    before = firewall_rules(root)
    assert before
    stop_daemon(root)
    assert firewall_rules(root) == []  # the rules go with the daemon...
    assert "hy-" in " ".join(network_links(root))  # ...the running container's bridge and veth stay
    _ok(cli("ps"))  # starts the daemon again, which puts the rules back as it restores
    deadline = time.monotonic() + 10
    while firewall_rules(root) != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert firewall_rules(root) == before
    page = _page(f"http://127.0.0.1:{port}/", "the published port did not answer after the daemon restart")
    assert page.startswith("hello from")
    table = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout
    assert table.count(f"{port} : ") == 1
    assert _ok(cli("run", "--rm", "--network", "keep", image, "wget", "-qO-", "http://kept/")).startswith("hello")


def _dns_listeners(address: str) -> list[str]:
    """The sockets listening on port 53 of `address` (the embedded DNS server's), from /proc/net."""
    wanted = f"{int.from_bytes(socket.inet_aton(address), sys.byteorder):08X}:0035"
    found = []
    for proto, listening in (("udp", "07"), ("tcp", "0A")):
        for line in Path(f"/proc/net/{proto}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == wanted and fields[3] == listening:
                found.append(proto)
    return found


def _all_rules() -> str:
    """Every packet filter rule on the host, as nft and iptables list them."""
    text = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout
    for table in ("filter", "nat"):
        text += subprocess.run(["iptables", "-w", "-t", table, "-S"], capture_output=True, text=True).stdout
    return text


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
def test_nothing_is_left_after_rm_network_rm_and_daemon_stop(
    backend: str, image: str, root: Path, tmp_path: Path
) -> None:
    cli = BackendCli(root, tmp_path / "bin", backend)
    gateways = {}
    for name in ("brief", "lasting"):
        _ok(cli("network", "create", name))
        record = json.loads(_ok(cli("network", "inspect", name)))[0]
        gateways[name] = ("hy-" + record["Id"][:12], record["IPAM"]["Config"][0]["Gateway"])
    _ok(cli("run", "-d", "--name", "c1", "--network", "brief", "-p", "80", image, "sleep", "60"))
    _ok(cli("run", "--rm", "-p", "80", image, "true"))
    for bridge, gateway in gateways.values():
        assert bridge in network_links(root) and bridge in _all_rules() and _dns_listeners(gateway)
    _ok(cli("rm", "-f", "c1"))
    _ok(cli("network", "rm", "brief"))
    bridge, gateway = gateways["brief"]
    assert bridge not in network_links(root) and bridge not in _all_rules() and _dns_listeners(gateway) == []
    networks = root / "networks"
    assert json.loads((networks / "ports.json").read_text())["ports"] == []
    for leases in networks.glob("*/ipam.json"):
        assert json.loads(leases.read_text())["owners"] == {}
    assert list(networks.glob("*/endpoints/*.json")) == []
    assert not any((root / "netns").iterdir())
    stop_daemon(root)
    assert network_leftovers(root) == []
    bridge, gateway = gateways["lasting"]
    assert bridge not in _all_rules() and _dns_listeners(gateway) == []


def test_iptables_does_the_work_where_nft_is_absent(image: str, root: Path, tmp_path: Path) -> None:
    cli = BackendCli(root, tmp_path / "bin", "iptables")
    port = _free_port()
    _ok(cli("run", "-d", "--name", "old-school", "-p", f"{port}:80", image, "sh", "-c", SERVE))
    assert _page(f"http://127.0.0.1:{port}/", "the published port did not answer through iptables").startswith(
        "hello from"
    )
    nat = subprocess.run(["iptables", "-w", "-t", "nat", "-S"], capture_output=True, text=True).stdout
    assert f"--dport {port} -j DNAT" in nat
    assert not any(line.startswith("table inet") for line in firewall_rules(root))
    _ok(cli("rm", "-f", "old-school"))
    stop_daemon(root)
    assert firewall_rules(root) == []
