"""Choosing the subnet of a new network so that it collides with nothing the host routes or hydock already uses."""

from __future__ import annotations

import ipaddress

from hydock.errors import Conflict

# Docker's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s.
DEFAULT_POOLS = [ipaddress.IPv4Network(f"172.{n}.0.0/16") for n in range(17, 32)] + [
    ipaddress.IPv4Network(f"192.168.{n}.0/20") for n in range(0, 256, 16)
]


def overlapping(subnet: ipaddress.IPv4Network, taken: list[ipaddress.IPv4Network]) -> bool:
    return any(subnet.overlaps(other) for other in taken)


def pick_subnet(taken: list[ipaddress.IPv4Network]) -> ipaddress.IPv4Network:
    for candidate in DEFAULT_POOLS:
        if not overlapping(candidate, taken):
            return candidate
    raise Conflict(
        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
    )


def first_host(subnet: ipaddress.IPv4Network) -> ipaddress.IPv4Address:
    return subnet.network_address + 1
