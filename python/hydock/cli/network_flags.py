"""The networking flags of `run` and `create` (-p, -P, --expose, --network-alias, --ip, --dns*, --add-host,
--mac-address, --link), checked with the docker CLI's messages and turned into their parts of the create body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import msgspec

from hydock.api_network import EndpointIPAMConfig, EndpointSettings, NetworkingConfig, PortMap
from hydock.errors import InvalidArgument
from hydock.network.container_links import parse_link
from hydock.network.port_specs import is_ip_address, parse_expose, parse_publish_all

NETWORK_OPTIONS = [
    click.option("-p", "--publish", multiple=True, help="Publish a container's port(s) to the host"),
    click.option("-P", "--publish-all", is_flag=True, help="Publish all exposed ports to random ports"),
    click.option("--expose", multiple=True, help="Expose a port or a range of ports"),
    click.option("--network-alias", multiple=True, help="Add network-scoped alias for the container"),
    click.option("--ip", default="", help="IPv4 address (e.g., 172.30.100.104)"),
    click.option("--mac-address", default="", help="Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
    click.option("--dns", multiple=True, help="Set custom DNS servers"),
    click.option("--dns-search", multiple=True, help="Set custom DNS search domains"),
    click.option("--dns-option", multiple=True, help="Set DNS options"),
    click.option("--add-host", multiple=True, help="Add a custom host-to-IP mapping (host:ip)"),
    click.option("--link", multiple=True, help="Add link to another container"),
]


def network_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(NETWORK_OPTIONS):
        command = option(command)
    return command


class NetworkFlags(msgspec.Struct):
    port_bindings: PortMap
    exposed_ports: dict[str, dict]
    networking_config: NetworkingConfig | None
    extra_hosts: list[str]
    links: list[str]


def _extra_host(value: str) -> str:
    name, sep, address = value.partition(":")
    if not sep or not name or not address:
        raise InvalidArgument(f'invalid argument "{value}" for "--add-host" flag: bad format for add-host: "{value}"')
    if address != "host-gateway" and not is_ip_address(address.strip("[]")):
        raise InvalidArgument(
            f'invalid argument "{value}" for "--add-host" flag: invalid IP address in add-host: "{address}"'
        )
    return value


def _checked_ip(value: str) -> str:
    import ipaddress  # here, as in is_ip_address: only --ip needs it

    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise InvalidArgument(f'invalid argument "{value}" for "--ip" flag: invalid IPv4 address: {value}') from None


def _link(value: str) -> str:
    try:
        parse_link(value)
    except InvalidArgument as exc:
        raise InvalidArgument(f'invalid argument "{value}" for "--link" flag: {exc}') from None
    return value


def _user_defined(network: str) -> bool:
    return network not in ("", "default", "bridge", "host", "none") and not network.startswith("container:")


def network_flags(params: dict[str, Any]) -> NetworkFlags:
    bindings = parse_publish_all(params["publish"])
    if params["network"] == "host" and bindings:
        click.echo("WARNING: Published ports are discarded when using host network mode", err=True)
        bindings = {}
    links = [_link(value) for value in params["link"]]
    endpoint = EndpointSettings(
        aliases=list(params["network_alias"]) or None,
        ipam_config=EndpointIPAMConfig(ipv4_address=_checked_ip(params["ip"])) if params["ip"] else None,
        # The docker CLI's: on a user-defined network a link is the endpoint's (dockerd ignores HostConfig's there).
        links=links if links and _user_defined(params["network"]) else None,
    )
    return NetworkFlags(
        port_bindings=bindings,
        exposed_ports={**parse_expose(params["expose"]), **dict.fromkeys(bindings, {})},
        networking_config=NetworkingConfig({params["network"]: endpoint})
        if endpoint.aliases or endpoint.ipam_config or endpoint.links
        else None,
        extra_hosts=[_extra_host(value) for value in params["add_host"]],
        links=links,
    )
