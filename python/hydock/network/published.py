"""Host ports published to containers: picked (given, from a range, or at random from the ephemeral range), checked
against each other and against the host's listeners, and kept in one registry file for the firewall to forward.

Callers hold the network store's lock around every change.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from pathlib import Path

import msgspec

from hydock.api_network import PortBinding
from hydock.errors import Conflict, InvalidArgument
from hydock.network.rules import PublishedPort
from hydock.store.atomic import write_atomic

_ANY = ("", "0.0.0.0", "::")


class PortRegistry(msgspec.Struct):
    ports: list[PublishedPort] = []
    last_random: dict[str, int] = {}
    """The last port picked at random, per protocol: the next pick starts after it, as Docker's allocator does."""


_decoder = msgspec.json.Decoder(PortRegistry)


def read_registry(path: Path) -> PortRegistry:
    try:
        return _decoder.decode(path.read_bytes())
    except FileNotFoundError:
        return PortRegistry()


def _write(path: Path, registry: PortRegistry) -> None:
    write_atomic(path, msgspec.json.encode(registry), durable=False)


def ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = f.read().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _host_ip(binding: PortBinding) -> str:
    if binding.host_ip in _ANY:
        return ""
    try:
        address = ipaddress.ip_address(binding.host_ip)
    except ValueError:
        raise InvalidArgument(f"invalid IP address: {binding.host_ip}") from None
    if address.version != 4:
        raise InvalidArgument(f"publishing on IPv6 address {binding.host_ip} is not supported by hydock yet")
    return str(address)


def _clashes(taken: list[PublishedPort], proto: str, host_ip: str, port: int) -> bool:
    return any(
        p.proto == proto and p.host_port == port and (not p.host_ip or not host_ip or p.host_ip == host_ip)
        for p in taken
    )


def _host_listener(proto: str, host_ip: str, port: int) -> bool:
    """Whether something on the host already listens on the port (which our forwarding would hide)."""
    if proto == "sctp":
        return False
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host_ip or "0.0.0.0", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def _pick(registry: PortRegistry, taken: list[PublishedPort], proto: str, host_ip: str, host_port: str) -> int:
    display = host_ip or "0.0.0.0"
    if host_port and "-" not in host_port:
        port = int(host_port)
        if _clashes(taken, proto, host_ip, port):
            raise Conflict(f"Bind for {display}:{port} failed: port is already allocated")
        if _host_listener(proto, host_ip, port):
            raise Conflict(
                f"Error starting userland proxy: listen {proto}4 {display}:{port}: bind: address already in use"
            )
        return port
    if host_port:
        first, last = (int(part) for part in host_port.split("-"))
        start = first
    else:
        first, last = ephemeral_range()
        start = registry.last_random.get(proto, first - 1) + 1
    size = last - first + 1
    for step in range(size):
        port = first + (start - first + step) % size
        if not _clashes(taken, proto, host_ip, port) and not _host_listener(proto, host_ip, port):
            if not host_port:
                registry.last_random[proto] = port
            return port
    raise Conflict(f"Bind for {display}:{host_port or f'{first}-{last}'} failed: all ports are allocated")


def allocate(
    path: Path, container_id: str, container_ip: str, requests: list[tuple[str, PortBinding]]
) -> list[PublishedPort]:
    """Publishes each (PORT/PROTO, binding) for the container at `container_ip`; all or none."""
    registry = read_registry(path)
    taken = [p for p in registry.ports if p.container_id != container_id]
    made: list[PublishedPort] = []
    for key, binding in requests:
        number, _, proto = key.partition("/")
        host_ip = _host_ip(binding)
        port = _pick(registry, taken + made, proto or "tcp", host_ip, binding.host_port)
        made.append(PublishedPort(container_id, proto or "tcp", host_ip, port, container_ip, int(number)))
    registry.ports = taken + made
    _write(path, registry)
    return made


def release(path: Path, container_id: str) -> list[PublishedPort]:
    registry = read_registry(path)
    freed = [p for p in registry.ports if p.container_id == container_id]
    if freed:
        registry.ports = [p for p in registry.ports if p.container_id != container_id]
        _write(path, registry)
    return freed
