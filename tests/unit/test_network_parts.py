"""The pure parts of networking: -p specs, IPAM, port allocation, the DNS wire format, the firewall scripts."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

from hydock.api_network import PortBinding
from hydock.errors import Conflict, InvalidArgument
from hydock.network import claims, ipam, iptables, nftables, published
from hydock.network import dns_message as dns
from hydock.network.container_links import link_env, parse_link
from hydock.network.port_specs import checked_port_bindings, parse_expose, parse_publish, parse_publish_all
from hydock.network.rules import BridgeRules, PublishedPort, Ruleset, root_tag
from hydock.network.subnets import pick_subnet


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("80", [("80/tcp", PortBinding("", ""))]),
        ("8080:80", [("80/tcp", PortBinding("", "8080"))]),
        ("127.0.0.1:8080:80/udp", [("80/udp", PortBinding("127.0.0.1", "8080"))]),
        ("127.0.0.1::80", [("80/tcp", PortBinding("127.0.0.1", ""))]),
        ("[::1]:8080:80", [("80/tcp", PortBinding("::1", "8080"))]),
        ("8000-8001:80-81", [("80/tcp", PortBinding("", "8000")), ("81/tcp", PortBinding("", "8001"))]),
        ("8000-8010:80", [("80/tcp", PortBinding("", "8000-8010"))]),
    ],
)
def test_publish_specs_as_docker_parses_them(spec: str, expected: list) -> None:
    assert parse_publish(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("abc:80", "invalid hostPort: abc"),
        ("80:99999", "invalid containerPort: 99999"),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
        ("80/sctpx", "invalid proto: sctpx"),
        ("8080:", "No port specified: 8080:<empty>"),
        ("8000-8002:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8000-8002"),
    ],
)
def test_bad_publish_specs_get_dockers_messages(spec: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=f"^{message}$"):
        parse_publish(spec)


def test_specs_gather_per_port_and_expose_ranges() -> None:
    assert parse_publish_all(["8080:80", "127.0.0.1:9090:80"]) == {
        "80/tcp": [PortBinding("", "8080"), PortBinding("127.0.0.1", "9090")]
    }
    assert parse_expose(["53/udp", "7000-7001"]) == {"53/udp": {}, "7000/tcp": {}, "7001/tcp": {}}
    assert checked_port_bindings({"80": [PortBinding("", "8080")]}) == {"80/tcp": [PortBinding("", "8080")]}
    with pytest.raises(InvalidArgument, match='invalid port specification: "x/tcp"'):
        checked_port_bindings({"x/tcp": None})


@pytest.mark.parametrize(
    ("text", "expected"),
    [("web", ("web", "web")), ("web:www", ("web", "www")), ("/web:/client/www", ("web", "www"))],
)
def test_links_read_as_dockerd_reads_them(text: str, expected: tuple[str, str]) -> None:
    assert parse_link(text) == expected


@pytest.mark.parametrize(("text", "message"), [("", "empty string specified for links"), ("a:b:c", "bad format")])
def test_bad_links_get_dockers_messages(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_link(text)


def test_a_link_gives_dockers_variables() -> None:
    single = link_env("/db/docker-1", "172.0.17.2", ["6379/tcp"], [])
    assert single == [
        "DOCKER_1_PORT=tcp://172.0.17.2:6379",
        "DOCKER_1_PORT_6379_TCP=tcp://172.0.17.2:6379",
        "DOCKER_1_PORT_6379_TCP_ADDR=172.0.17.2",
        "DOCKER_1_PORT_6379_TCP_PORT=6379",
        "DOCKER_1_PORT_6379_TCP_PROTO=tcp",
        "DOCKER_1_NAME=/db/docker-1",
    ]
    ranged = link_env("/db/docker", "172.0.17.2", ["6381/tcp", "6379/tcp", "6380/tcp"], ["PASSWORD=gordon", "HOME=/"])
    assert ranged[:7] == [
        "DOCKER_PORT=tcp://172.0.17.2:6379",
        "DOCKER_PORT_6379_TCP_START=tcp://172.0.17.2:6379",
        "DOCKER_PORT_6379_TCP_ADDR=172.0.17.2",
        "DOCKER_PORT_6379_TCP_PROTO=tcp",
        "DOCKER_PORT_6379_TCP_PORT_START=6379",
        "DOCKER_PORT_6379_TCP_END=tcp://172.0.17.2:6381",
        "DOCKER_PORT_6379_TCP_PORT_END=6381",
    ]
    assert "DOCKER_PORT_6381_TCP=tcp://172.0.17.2:6381" in ranged
    assert ranged[-2:] == ["DOCKER_NAME=/db/docker", "DOCKER_ENV_PASSWORD=gordon"]
    # The lowest port is the default one, TCP before UDP.
    assert link_env("/c/dns", "10.0.0.2", ["53/udp", "53/tcp"], [])[0] == "DNS_PORT=tcp://10.0.0.2:53"


def test_ipam_hands_out_addresses_serially_and_takes_them_back(tmp_path: Path) -> None:
    leases = tmp_path / "ipam.json"
    pool = ipam.Pool("10.9.0.0/29", "10.9.0.1")
    first = ipam.allocate(leases, pool, "a")
    second = ipam.allocate(leases, pool, "b")
    assert (first, second) == ("10.9.0.2", "10.9.0.3")
    assert ipam.allocate(leases, pool, "a") == first  # a retried start keeps its address
    assert ipam.release(leases, "a") == [first]
    # Serial: the address just freed is not the next one given.
    assert ipam.allocate(leases, pool, "c") == "10.9.0.4"
    assert ipam.allocate(leases, pool, "d", wanted="10.9.0.6") == "10.9.0.6"
    with pytest.raises(Conflict, match="Address already in use"):
        ipam.allocate(leases, pool, "e", wanted="10.9.0.6")
    with pytest.raises(InvalidArgument, match="does not belong"):
        ipam.allocate(leases, pool, "e", wanted="10.8.0.6")
    assert ipam.allocate(leases, pool, "e") == "10.9.0.5"
    assert ipam.allocate(leases, pool, "f") == "10.9.0.2"  # wrapped around to the one freed
    with pytest.raises(Conflict, match="no available IPv4 addresses"):
        ipam.allocate(leases, pool, "g", network_name="tiny")


def test_ipam_keeps_to_the_ip_range(tmp_path: Path) -> None:
    pool = ipam.Pool("10.9.0.0/24", "10.9.0.1", ip_range="10.9.0.128/25")
    assert ipam.allocate(tmp_path / "ipam.json", pool, "a") == "10.9.0.128"


def test_published_ports_clash_as_dockers_do(tmp_path: Path) -> None:
    registry = tmp_path / "ports.json"
    made = published.allocate(registry, "c1", "172.30.0.2", [("80/tcp", PortBinding("", "48123"))])
    assert made == [PublishedPort("c1", "tcp", "", 48123, "172.30.0.2", 80)]
    with pytest.raises(Conflict, match=r"^Bind for 127.0.0.1:48123 failed: port is already allocated$"):
        published.allocate(registry, "c2", "172.30.0.3", [("80/tcp", PortBinding("127.0.0.1", "48123"))])
    # Another protocol, or a port given back, is free.
    published.allocate(registry, "c2", "172.30.0.3", [("80/udp", PortBinding("", "48123"))])
    published.release(registry, "c1")
    published.allocate(registry, "c3", "172.30.0.4", [("80/tcp", PortBinding("127.0.0.1", "48123"))])


def test_a_port_the_host_listens_on_is_refused_and_random_ports_skip_it(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(Conflict, match="address already in use"):
            published.allocate(tmp_path / "ports.json", "c1", "172.30.0.2", [("80/tcp", PortBinding("", str(port)))])
    low, high = published.ephemeral_range()
    random = published.allocate(tmp_path / "ports.json", "c1", "172.30.0.2", [("80/tcp", PortBinding())])
    assert low <= random[0].host_port <= high


def test_subnets_avoid_what_is_taken() -> None:
    taken = [ipaddress.IPv4Network("172.17.0.0/16"), ipaddress.IPv4Network("172.18.5.0/24")]
    assert pick_subnet(taken) == ipaddress.IPv4Network("172.19.0.0/16")


def _query(name: str, qtype: int = dns.TYPE_A) -> bytes:
    labels = b"".join(bytes([len(part)]) + part.encode() for part in name.split("."))
    return b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + labels + b"\0" + qtype.to_bytes(2, "big") + b"\0\1"


def test_dns_answers_parse_back_with_the_question_echoed() -> None:
    query = _query("Web.Example")
    question = dns.parse_query(query)
    assert question is not None and (question.name, question.qtype) == ("web.example", dns.TYPE_A)
    answer = dns.response(query, question, dns.NOERROR, [dns.a_record("10.1.2.3")])
    assert answer[:2] == b"\x12\x34" and answer[3] & 0x0F == dns.NOERROR
    assert int.from_bytes(answer[6:8], "big") == 1
    assert answer[len(query) :].endswith(ipaddress.IPv4Address("10.1.2.3").packed)
    assert dns.parse_query(answer) is None  # a response is not a query
    assert dns.reverse_address("3.2.1.10.in-addr.arpa") == "10.1.2.3"
    assert dns.reverse_address("example.com") is None


def test_rules_render_for_nftables_and_iptables() -> None:
    ruleset = Ruleset(
        bridges=[BridgeRules("hy-net", "10.5.0.0/16"), BridgeRules("hy-int", "10.6.0.0/16", internal=True)],
        ports=[
            PublishedPort("c", "tcp", "", 8080, "10.5.0.2", 80),
            PublishedPort("c", "udp", "127.0.0.1", 53, "10.5.0.2", 53),
        ],
    )
    script = nftables.render("hydock_test", ruleset)
    assert "elements = { 8080 : 10.5.0.2 . 80 }" in script
    assert "elements = { 127.0.0.1 . 53 : 10.5.0.2 . 53 }" in script
    assert 'ip saddr 10.5.0.0/16 oifname != "hy-net" masquerade' in script
    assert 'ip saddr 10.6.0.0/16 oifname != "hy-int" masquerade' not in script
    assert 'iifname "hy-int" drop' in script
    restore = iptables.render("hydock_test", ruleset)
    assert "-A HYDOCK_TEST-PUB -d 127.0.0.1/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.5.0.2:53" in restore
    assert "-A HYDOCK_TEST-FWD -i hy-int -j DROP" in restore
    assert root_tag("/var/lib/hydock", "/var/lib/hydock") == "hydock"
    assert root_tag("/tmp/x", "/var/lib/hydock").startswith("hydock_")


def test_hydocks_own_tables_chains_and_locks_are_told_from_others() -> None:
    tables = "table ip nat\ntable inet hydock\ntable inet hydock_0a1b2c3d\ntable inet hydockish\ntable ip hydock_1\n"
    assert nftables.tags_in(tables) == {"hydock", "hydock_0a1b2c3d"}
    listing = "\n".join(
        [
            "-P FORWARD DROP",
            "-N HYDOCK_0A1B2C3D-FWD",
            "-N DOCKER-USER",
            "-A FORWARD -o hydock-1234abcd -m comment --comment hydock_1234abcd -j ACCEPT",
            "-A FORWARD -o br0 -m comment --comment mine -j ACCEPT",
            "-A HYDOCK_0A1B2C3D-FWD -i hy-x -j ACCEPT",
        ]
    )
    assert iptables.tags_in(listing) == ({"hydock_1234abcd"}, {"hydock_0a1b2c3d"})
    locks = "1: FLOCK  ADVISORY  WRITE 10 fe:00:1234 0 EOF\n1: -> FLOCK  ADVISORY  WRITE 11 fe:00:99 0 EOF\n"
    assert claims.held_flocks(locks) == {"fe:00:1234"}


class Holder:
    """An engine's network service, as far as a claim cares."""


def test_the_last_holder_of_a_roots_networks_takes_them_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claims, "CLAIMS", tmp_path)
    # Two claims on one file stand for two processes: flocks of separate opens exclude each other.
    mine, theirs = claims.NetworkClaim("hydock_t", "/r"), claims.NetworkClaim("hydock_t", "/r")
    first, second, other = Holder(), Holder(), Holder()
    mine.take(first)
    mine.take(second)
    theirs.take(other)
    assert (tmp_path / "hydock_t").read_text() == "/r"
    with mine.released(first) as alone:
        assert not alone and mine.held  # the process still has a holder
    with mine.released(second) as alone:
        assert not alone and not mine.held  # another process uses them
    with theirs.released() as alone:
        assert alone
    assert not (tmp_path / "hydock_t").exists()


def test_dns_answers_for_an_endpoint_written_in_the_same_clock_tick_as_its_last_read(tmp_path: Path) -> None:
    """The resolver caches the store by directory mtimes, which the kernel stamps from a coarse clock: an endpoint
    that lands without moving them (here: the mtime put back) is still found, not sent upstream."""
    from hydock.api_network import NetworkResource
    from hydock.network import dns_message as dns
    from hydock.network.dns_server import Resolver
    from hydock.network.store import EndpointRecord, NetworkStore

    store = NetworkStore(tmp_path)
    network = NetworkResource(name="front", id="a" * 64, created="2026-01-01T00:00:00Z")
    store.save(network)

    def endpoint(container: str, name: str, address: str) -> EndpointRecord:
        return EndpointRecord(container_id=container * 64, name=name, endpoint_id=container * 64, address=address,
                              prefix_len=24, gateway="10.9.0.1", mac="02:42:0a:09:00:02", host_veth="vethx",
                              interface="eth0")  # fmt: skip

    store.save_endpoint(network.id, endpoint("c", "client", "10.9.0.2"))
    resolver = Resolver(store)
    question = dns.Question(id=1, flags=0, name="web", qtype=dns.TYPE_A, qclass=1, end=0)
    assert resolver.local_answer(network.id, "10.9.0.2", question) is None  # no web yet: cached as such
    directory = tmp_path / "networks" / network.id / "endpoints"
    before = directory.stat()
    store.save_endpoint(network.id, endpoint("w", "web", "10.9.0.3"))
    os.utime(directory, ns=(before.st_atime_ns, before.st_mtime_ns))
    answer = resolver.local_answer(network.id, "10.9.0.2", question)
    assert answer is not None and answer[0] == dns.NOERROR and answer[1] == [dns.a_record("10.9.0.3")]
