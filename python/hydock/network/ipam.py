"""IPv4 address management for one network: a pool (subnet, range, gateway) and its leases, kept in a file.

Addresses are handed out serially, after the last one given, as Docker's allocator does, so an address a container
just released is not at once given to the next one (whose peers may still cache the old owner). Callers hold the
network store's lock around every read-modify-write.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import msgspec

from hydock.errors import Conflict, InvalidArgument
from hydock.store.atomic import write_atomic


class Leases(msgspec.Struct):
    last: str = ""
    owners: dict[str, str] = {}
    """Address -> the container holding it."""


class Pool(msgspec.Struct, frozen=True):
    subnet: str
    gateway: str
    ip_range: str = ""

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.subnet)

    def candidates(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.ip_range) if self.ip_range else self.network

    def usable(self, address: ipaddress.IPv4Address) -> bool:
        network = self.network
        return (
            address in network
            and address != network.network_address
            and address != network.broadcast_address
            and str(address) != self.gateway
        )


_decoder = msgspec.json.Decoder(Leases)


def read_leases(path: Path) -> Leases:
    try:
        return _decoder.decode(path.read_bytes())
    except FileNotFoundError:
        return Leases()


def _write(path: Path, leases: Leases) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, msgspec.json.encode(leases), durable=False)


def allocate(path: Path, pool: Pool, owner: str, wanted: str = "", network_name: str = "") -> str:
    """Leases `wanted` (or the next free address) to `owner`; an address it already holds is handed back as is."""
    leases = read_leases(path)
    if wanted:
        try:
            address = ipaddress.IPv4Address(wanted)
        except ValueError:
            raise InvalidArgument(f"invalid IPv4 address: {wanted}") from None
        if address not in pool.network:
            raise InvalidArgument(f"Invalid address {wanted}: It does not belong to any of this network's subnets")
        holder = leases.owners.get(wanted)
        if holder == owner:
            return wanted
        if holder is not None or not pool.usable(address):
            raise Conflict("Address already in use")
        chosen = wanted
    else:
        held = next((address for address, holder in leases.owners.items() if holder == owner), None)
        if held is not None:
            return held  # a start that failed half way, tried again
        chosen = _next_free(pool, leases, network_name)
        leases.last = chosen
    leases.owners[chosen] = owner
    _write(path, leases)
    return chosen


def _next_free(pool: Pool, leases: Leases, network_name: str) -> str:
    candidates = pool.candidates()
    first, last = int(candidates.network_address), int(candidates.broadcast_address)
    start = int(ipaddress.IPv4Address(leases.last)) + 1 if leases.last else first
    if not first <= start <= last:
        start = first
    size = last - first + 1
    for step in range(size):
        address = ipaddress.IPv4Address(first + (start - first + step) % size)
        if str(address) not in leases.owners and pool.usable(address):
            return str(address)
    raise Conflict(f"no available IPv4 addresses on this network's address pools: {network_name}")


def release(path: Path, owner: str) -> list[str]:
    """Frees every address `owner` holds; the addresses freed."""
    leases = read_leases(path)
    freed = [address for address, holder in leases.owners.items() if holder == owner]
    if freed:
        for address in freed:
            del leases.owners[address]
        _write(path, leases)
    return freed
