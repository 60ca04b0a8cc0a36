"""EXPOSE arguments (`80`, `8000-8010/udp`, and the discouraged `ip:host:container`) as Docker reads them."""

from __future__ import annotations

import ipaddress
import re

from hydock.dockerfile.problem import Problem, go_quote

_PROTOCOLS = ("tcp", "udp", "sctp")
_GO_INT = re.compile(r"[+-]?[0-9]+")


def exposed_ports(spec: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The `port/proto` entries `spec` exposes (ranges spread out), and the lint (rule, message) pairs it earns."""
    ip, host_port, container_port = _split_parts(spec)
    port, _, protocol = container_port.partition("/")
    if not port:
        raise Problem(f"invalid port: {go_quote(spec)}: no port specified")
    if protocol.lower() not in (*_PROTOCOLS, ""):
        raise Problem(f"invalid port: {go_quote(spec)}: invalid proto: {protocol}")
    protocol = protocol or "tcp"
    findings = []
    if protocol != protocol.lower():
        findings.append(("ExposeProtoCasing", f"Defined protocol '{spec}' in EXPOSE instruction should be lowercase"))
    if ip or host_port:
        message = f"EXPOSE instruction should not define an IP address or host-port mapping, found '{spec}'"
        findings.append(("ExposeInvalidFormat", message))
    _check_ip(ip)
    start, end = _range(port, "containerPort")
    if host_port:
        host_start, host_end = _range(host_port, "hostPort")
        if end - start != host_end - host_start and end != start:
            raise Problem(f"invalid ranges specified for container and host Ports: {port} and {host_port}")
    return [f"{number}/{protocol.lower()}" for number in range(start, end + 1)], findings


def _split_parts(spec: str) -> tuple[str, str, str]:
    parts = spec.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _check_ip(ip: str) -> None:
    address = ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip
    if ip.startswith("[") and not ip.endswith("]"):
        raise Problem(f"invalid IP address {ip}")
    if not address:
        return
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise Problem(f"invalid IP address: {address}") from None


def _range(text: str, what: str) -> tuple[int, int]:
    start, has_end, end = text.partition("-")
    first = _port_number(start)
    last = first if not has_end or start == end else _port_number(end)
    if first is None or last is None or last < first:
        raise Problem(f"invalid {what}: {text}")
    return first, last


def _port_number(text: str) -> int | None:
    if not _GO_INT.fullmatch(text):
        return None
    number = int(text)
    return number if 0 <= number <= 65535 else None
