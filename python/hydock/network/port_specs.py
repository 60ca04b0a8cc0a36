"""`-p`/`--publish` and `--expose` specs and PortBindings keys, parsed and checked with Docker's messages."""

from __future__ import annotations

from hydock.api_network import PortBinding, PortMap
from hydock.errors import InvalidArgument

PROTOCOLS = ("tcp", "udp", "sctp")


def is_ip_address(text: str) -> bool:
    """Whether `text` is an IPv4 or IPv6 address."""
    import ipaddress  # here, not at the top: it would cost every `hydock run` a millisecond for a few flags' sake

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _port_range(text: str, what: str) -> tuple[int, int]:
    """ "80" or "8000-8010" as (first, last); `what` names the field in the error, as Docker's parser does."""
    first, sep, last = text.partition("-")
    try:
        start = int(first, 10)
        end = int(last, 10) if sep else start
    except ValueError:
        raise InvalidArgument(f"invalid {what}: {text}") from None
    if not (0 < start <= 65535 and 0 < end <= 65535) or end < start:
        raise InvalidArgument(f"invalid {what}: {text}")
    return start, end


def split_proto(text: str) -> tuple[str, str]:
    port, _, proto = text.partition("/")
    proto = proto.lower() or "tcp"
    if proto not in PROTOCOLS:
        raise InvalidArgument(f"invalid proto: {proto}")
    return port, proto


def port_key(text: str) -> tuple[int, str]:
    """A PortBindings/ExposedPorts key ("80/tcp", "53/udp", "80") as (port, proto)."""
    port, proto = split_proto(text)
    try:
        start, end = _port_range(port, "port")
    except InvalidArgument:
        raise InvalidArgument(f'invalid port specification: "{text}"') from None
    if start != end:
        raise InvalidArgument(f'invalid port specification: "{text}"')
    return start, proto


def _split_host(spec: str) -> tuple[str, str, str]:
    """IP, host port and container port of "[IP:][HOST:]CONTAINER" (IPv6 addresses in brackets)."""
    if spec.startswith("["):
        close = spec.find("]")
        if close < 0 or spec[close + 1 : close + 2] != ":":
            raise InvalidArgument(f"invalid IP address: {spec}")
        ip, rest = spec[1:close], spec[close + 2 :]
        host, _, container = rest.rpartition(":")
        return ip, host, container
    parts = spec.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    # An unbracketed IPv6 address: everything before the last two fields.
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def parse_publish(spec: str) -> list[tuple[str, PortBinding]]:
    """One `-p` spec as (PORT/PROTO, binding) pairs, in order; Docker's nat.ParsePortSpec rules and messages."""
    rest, proto = split_proto(spec)
    ip, host, container = _split_host(rest)
    if ip and not is_ip_address(ip):
        raise InvalidArgument(f"invalid IP address: {ip}")
    if not container:
        raise InvalidArgument(f"No port specified: {spec}<empty>")
    first, last = _port_range(container, "containerPort")
    count = last - first + 1
    host_first = host_last = 0
    if host:
        host_first, host_last = _port_range(host, "hostPort")
        if count > 1 and host_last - host_first + 1 != count:
            raise InvalidArgument(f"invalid ranges specified for container and host Ports: {container} and {host}")
    pairs = []
    for offset in range(count):
        if not host:
            host_port = ""
        elif count > 1:
            host_port = str(host_first + offset)
        elif host_first != host_last:
            host_port = f"{host_first}-{host_last}"
        else:
            host_port = str(host_first)
        pairs.append((f"{first + offset}/{proto}", PortBinding(ip, host_port)))
    return pairs


def parse_publish_all(specs: list[str] | tuple[str, ...]) -> PortMap:
    """Every `-p` of a command line as HostConfig.PortBindings."""
    bindings: PortMap = {}
    for spec in specs:
        for key, binding in parse_publish(spec):
            existing = bindings.get(key) or []
            bindings[key] = [*existing, binding]
    return bindings


def parse_expose(specs: list[str] | tuple[str, ...]) -> dict[str, dict]:
    """`--expose PORT[/PROTO]` (or a range) as Config.ExposedPorts keys."""
    exposed: dict[str, dict] = {}
    for spec in specs:
        port, proto = split_proto(spec)
        first, last = _port_range(port, "range for --expose")
        for number in range(first, last + 1):
            exposed[f"{number}/{proto}"] = {}
    return exposed


def checked_port_bindings(bindings: PortMap | None) -> PortMap:
    """HostConfig.PortBindings from the API, keys normalised to PORT/PROTO and host ports checked."""
    checked: PortMap = {}
    for key, entries in (bindings or {}).items():
        port, proto = port_key(key)
        for entry in entries or []:
            if entry.host_port:
                _port_range(entry.host_port, "hostPort")
            if entry.host_ip and not is_ip_address(entry.host_ip):
                raise InvalidArgument(f"invalid IP address: {entry.host_ip}")
        checked[f"{port}/{proto}"] = list(entries or [])
    return checked
