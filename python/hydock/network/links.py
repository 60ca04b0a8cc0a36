"""Kernel plumbing over netlink (pyroute2): bridges, veth pairs with one end in a container's namespace, addresses,
routes, and the sysctls a bridge network needs.

Every link hydock makes carries an interface alias naming the store root it belongs to, so that links can be told
apart from anyone else's, cleaned up without records, and listed by tests looking for leaks.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from hydock.errors import NetworkError

MAIN_TABLE = 254
ALIAS_PREFIX = "hydock "
ADDRESS_SET = "3"
"""NET_ADDR_SET in /sys/class/net/*/addr_assign_type: an address given to the link, which the kernel keeps."""


def link_alias(root: str) -> str:
    return f"{ALIAS_PREFIX}{root}"


@contextmanager
def _netlink(step: str, fileno: int | None = None) -> Iterator[IPRoute]:
    """An IPRoute (on `fileno`, a netlink socket of another namespace, when given) whose errors become
    NetworkError naming `step`."""
    try:
        ipr = IPRoute(fileno=fileno) if fileno is not None else IPRoute()
    except OSError as exc:
        if fileno is not None:
            os.close(fileno)
        raise NetworkError(f"{step}: netlink: {exc}", step) from None
    try:
        yield ipr
    except NetlinkError as exc:
        raise NetworkError(f"{step}: {os.strerror(exc.code) if exc.code else exc}", step) from None
    finally:
        ipr.close()


def _index(ipr: IPRoute, name: str) -> int | None:
    found = ipr.link_lookup(ifname=name)
    return found[0] if found else None


def _write_sysctl(path: str, value: str) -> None:
    if _read(path) == value:
        return
    with open(path, "w") as target:
        target.write(value)


def enable_forwarding() -> None:
    _write_sysctl("/proc/sys/net/ipv4/ip_forward", "1")


def host_routes() -> list[ipaddress.IPv4Network]:
    """The host's IPv4 routes of the main table, the default route excepted: subnets a new network must avoid."""
    with _netlink("list routes") as ipr:
        routes = ipr.get_routes(family=socket.AF_INET, table=MAIN_TABLE)
        return [
            ipaddress.IPv4Network(f"{route.get('dst')}/{route['dst_len']}", strict=False)
            for route in routes
            if route["dst_len"] > 0
        ]


def route_interfaces() -> dict[ipaddress.IPv4Network, str]:
    """Each routed subnet and the interface it goes through."""
    with _netlink("list routes") as ipr:
        names = {link["index"]: link.get("ifname") for link in ipr.get_links()}
        return {
            ipaddress.IPv4Network(f"{route.get('dst')}/{route['dst_len']}", strict=False): names.get(
                route.get("oif"), ""
            )
            for route in ipr.get_routes(family=socket.AF_INET, table=MAIN_TABLE)
            if route["dst_len"] > 0
        }


def ensure_bridge(name: str, gateway: ipaddress.IPv4Interface, alias: str) -> None:
    """Makes `name` a bridge that is up with exactly `gateway` as its IPv4 address.

    A bridge of another hydock root is taken over only while nothing is plugged into it.
    """
    with _netlink(f"bridge {name}") as ipr:
        index = _index(ipr, name)
        if index is None:
            ipr.link("add", ifname=name, kind="bridge", address=_random_mac())
            index = _index(ipr, name)
            assert index is not None
        else:
            link = ipr.link("get", index=index)[0]
            kind = (link.get(("IFLA_LINKINFO", "IFLA_INFO_KIND")) or "") if link.get("IFLA_LINKINFO") else ""
            current_alias = link.get("ifalias") or ""
            if kind and kind != "bridge":
                raise NetworkError(f"cannot use {name} as a bridge: it is a {kind} interface", "bridge")
            if current_alias != alias and any(link.get("master") == index for link in ipr.get_links()):
                owner = current_alias.removeprefix(ALIAS_PREFIX) or "something other than hydock"
                raise NetworkError(f"bridge {name} is in use by {owner}", "bridge")
        ipr.link("set", index=index, ifalias=alias)
        if _read(f"/sys/class/net/{name}/addr_assign_type") != ADDRESS_SET:
            ipr.link("set", index=index, address=_random_mac())
        wanted = (str(gateway.ip), gateway.network.prefixlen)
        present = {(a.get("address"), a["prefixlen"]) for a in ipr.get_addr(family=socket.AF_INET, index=index)}
        for address, prefix in present - {wanted}:
            ipr.addr("del", index=index, address=address, prefixlen=prefix)
        if wanted not in present:
            ipr.addr("add", index=index, address=wanted[0], prefixlen=wanted[1])
        ipr.link("set", index=index, state="up")
    # Published ports answer on 127.0.0.1 by DNAT to the container: the kernel routes such packets out of the
    # bridge only if it may carry loopback sources.
    _write_sysctl(f"/proc/sys/net/ipv4/conf/{name}/route_localnet", "1")


def _random_mac() -> str:
    """A fixed address for a bridge, as Docker gives each: left to itself the kernel gives a bridge the lowest
    address of its ports, so plugging in a container can change it under its neighbours' ARP caches, and their packets
    to the gateway (the embedded DNS server among them) are dropped until the stale entries are probed again."""
    return "02:42:" + ":".join(f"{byte:02x}" for byte in os.urandom(4))


def _read(path: str) -> str:
    with open(path) as source:
        return source.read().strip()


def exists(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")


def bridge_ports(name: str) -> list[str]:
    """The links plugged into the bridge."""
    with _netlink(f"bridge {name}") as ipr:
        index = _index(ipr, name)
        if index is None:
            return []
        return [link.get("ifname") for link in ipr.get_links() if link.get("master") == index]


def delete_link(name: str) -> None:
    """Deletes a link (a veth takes its peer with it); one already gone is fine."""
    with _netlink(f"delete {name}") as ipr:
        index = _index(ipr, name)
        if index is None:
            return
        try:
            ipr.link("del", index=index)
        except NetlinkError as exc:
            if exc.code != errno.ENODEV:
                raise


class HydockBridge(NamedTuple):
    name: str
    root: str
    """The store root named by its alias."""
    ports: int
    """How many links are plugged into it."""


def hydock_bridges() -> list[HydockBridge]:
    """Every bridge on the host that some hydock root made."""
    with _netlink("list links") as ipr:
        every = ipr.get_links()
        plugged = Counter(link.get("master") for link in every if link.get("master"))
        return [
            HydockBridge(link.get("ifname"), alias.removeprefix(ALIAS_PREFIX), plugged[link["index"]])
            for link in every
            if (alias := link.get("ifalias") or "").startswith(ALIAS_PREFIX)
            and link.get(("IFLA_LINKINFO", "IFLA_INFO_KIND")) == "bridge"
        ]


class Endpoint:
    """What `plug` wires: a veth from `bridge` into the namespace pinned at `netns`, configured inside."""

    def __init__(
        self,
        *,
        bridge: str,
        host_veth: str,
        interface: str,
        mac: str,
        address: ipaddress.IPv4Interface,
        gateway: str,
        default_route: bool,
        alias: str,
    ) -> None:
        self.bridge = bridge
        self.host_veth = host_veth
        self.interface = interface
        self.mac = mac
        self.address = address
        self.gateway = gateway
        self.default_route = default_route
        self.alias = alias


LOOPBACK_INDEX = 1
"""The kernel gives every namespace's loopback this index."""


def plug(endpoint: Endpoint, netns: str, inside_socket: int, *, bring_up_loopback: bool) -> None:
    """Creates the veth pair with its inner end already in the namespace and its outer end up on the bridge, then
    configures the inner one through `inside_socket` (a netlink socket of that namespace, closed here).

    Every netlink request costs pyroute2 about half a millisecond and a bridged start is waiting on them: indexes in
    the host's namespace come from if_nametoindex, and each link is looked up by name alone, never by a dump.
    """
    try:
        bridge = socket.if_nametoindex(endpoint.bridge)
    except OSError:
        os.close(inside_socket)
        raise NetworkError(f"bridge {endpoint.bridge} does not exist", "veth") from None
    try:
        ns_fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
        try:
            with _netlink(f"veth {endpoint.host_veth}") as host:
                peer = {"ifname": endpoint.interface, "net_ns_fd": ns_fd, "address": endpoint.mac}
                host.link("add", ifname=endpoint.host_veth, kind="veth", peer=peer, master=bridge, state="up")
                # The kernel takes no alias in the request that creates a link.
                host.link("set", index=socket.if_nametoindex(endpoint.host_veth), ifalias=endpoint.alias)
        finally:
            os.close(ns_fd)
    except BaseException:
        os.close(inside_socket)
        raise
    with _netlink(f"configure {endpoint.interface}", inside_socket) as inside:
        if bring_up_loopback:
            inside.link("set", index=LOOPBACK_INDEX, state="up")
        inner = inside.link("get", ifname=endpoint.interface)[0]["index"]
        inside.addr("add", index=inner, address=str(endpoint.address.ip), prefixlen=endpoint.address.network.prefixlen)
        inside.link("set", index=inner, state="up")
        if endpoint.default_route:
            inside.route("add", dst="0.0.0.0/0", gateway=endpoint.gateway, oif=inner)
