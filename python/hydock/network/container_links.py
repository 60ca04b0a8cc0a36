"""Docker's legacy container links (`--link NAME[:ALIAS]`): the link text read as dockerd reads it, and the
environment variables a link on the default bridge gives the linking container (`WWW_PORT_80_TCP=tcp://…`)."""

from __future__ import annotations

from collections.abc import Iterable

from hydock.errors import InvalidArgument

_IGNORED_ENV = ("HOME", "PATH")
"""The linked container's variables that are not passed on (Docker's: they are the image's, not the service's)."""


def parse_link(text: str) -> tuple[str, str]:
    """(linked container, alias): the alias is the name when none is given. The form inspect shows,
    `/web:/client/www`, reads as ("web", "www"), so a HostConfig copied from inspect creates the same link."""
    if not text:
        raise InvalidArgument("empty string specified for links")
    parts = text.split(":")
    if len(parts) > 2:
        raise InvalidArgument(f"bad format for links: {text}")
    if len(parts) == 1:
        return text, text
    name, alias = parts
    if name.startswith("/"):
        return name[1:], alias.rpartition("/")[2]
    return name, alias


def _port_order(port: tuple[int, str]) -> tuple[int, bool]:
    return port[0], port[1] != "tcp"


def _range_end(ports: list[tuple[int, str]], index: int) -> int:
    """The index of the last port of the run that starts at `index`, counted as dockerd does (each next port at most
    one above the count so far: 80/tcp and 80/udp make a run)."""
    value = ports[index][0]
    for later in range(index + 1, len(ports)):
        if ports[later][0] > value + 1:
            return later - 1
        value += 1
    return len(ports) - 1


def link_env(link_name: str, address: str, exposed: Iterable[str], env: Iterable[str]) -> list[str]:
    """What dockerd 20.10 sets in a container for its link `link_name` (`/client/www`) to the container at `address`
    with these exposed ports ("80/tcp") and environment: ALIAS_PORT (the lowest port), ALIAS_PORT_80_TCP and its
    _ADDR, _PORT and _PROTO, _START/_END for runs of consecutive ports, ALIAS_NAME, and ALIAS_ENV_<its variables>."""
    prefix = link_name.rpartition("/")[2].upper().replace("-", "_")
    ports = sorted(
        ((int(number), proto.lower() or "tcp") for number, _, proto in (key.partition("/") for key in exposed)),
        key=_port_order,
    )
    found: list[str] = []
    if ports:
        number, proto = ports[0]
        found.append(f"{prefix}_PORT={proto}://{address}:{number}")
    index = 0
    while index < len(ports):
        end = _range_end(ports, index)
        if end > index:
            (first, proto), (last, last_proto) = ports[index], ports[end]
            key = f"{prefix}_PORT_{first}_{proto.upper()}"
            found += [
                f"{key}_START={proto}://{address}:{first}",
                f"{key}_ADDR={address}",
                f"{key}_PROTO={proto}",
                f"{key}_PORT_START={first}",
                f"{prefix}_PORT_{first}_{last_proto.upper()}_END={last_proto}://{address}:{last}",
                f"{prefix}_PORT_{first}_{last_proto.upper()}_PORT_END={last}",
            ]
        index = end + 1
    for number, proto in ports:
        key = f"{prefix}_PORT_{number}_{proto.upper()}"
        found += [f"{key}={proto}://{address}:{number}", f"{key}_ADDR={address}"]
        found += [f"{key}_PORT={number}", f"{key}_PROTO={proto}"]
    found.append(f"{prefix}_NAME={link_name}")
    for variable in env:
        name, sep, value = variable.partition("=")
        if sep and name not in _IGNORED_ENV:
            found.append(f"{prefix}_ENV_{name}={value}")
    return found
