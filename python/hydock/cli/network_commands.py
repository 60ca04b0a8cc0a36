"""`hydock network create|ls|inspect|rm|connect|disconnect|prune` and `hydock port`, printed as the docker CLI
prints them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from hydock.cli.context import api, for_each_target, inspect_each
from hydock.cli.key_value_flags import key_values, parse_filters

if TYPE_CHECKING:
    from hydock.api_network import NetworkResource
    from hydock.api_types import Port

NETWORK_HEADERS = {
    "ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv6": "IPV6", "Internal": "INTERNAL",
    "Labels": "LABELS", "CreatedAt": "CREATED AT",
}  # fmt: skip
NETWORK_TABLE = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"


def display_ports(ports: list[Port]) -> str:
    """`ps`'s PORTS: "0.0.0.0:8080->80/tcp, 53/udp" (published first by address, then exposed only)."""
    published = sorted((p for p in ports if p.public_port), key=lambda p: (p.type, p.private_port, p.ip))
    exposed = sorted((p for p in ports if not p.public_port), key=lambda p: (p.type, p.private_port))
    shown = [f"{f'[{p.ip}]' if ':' in p.ip else p.ip}:{p.public_port}->{p.private_port}/{p.type}" for p in published]
    return ", ".join(shown + [f"{p.private_port}/{p.type}" for p in exposed])


@click.group("network")
def network_group() -> None:
    """Manage networks."""


@network_group.command("create")
@click.option("-d", "--driver", default="bridge", help="Driver to manage the Network")
@click.option("--subnet", default="", help="Subnet in CIDR format that represents a network segment")
@click.option("--gateway", default="", help="IPv4 Gateway for the master subnet")
@click.option("--ip-range", default="", help="Allocate container ip from a sub-range")
@click.option("--internal", is_flag=True, help="Restrict external access to the network")
@click.option("--attachable", is_flag=True, help="Enable manual container attachment")
@click.option("--ipv6", is_flag=True, help="Enable IPv6 networking")
@click.option("--label", multiple=True, help="Set metadata on a network")
@click.option("-o", "--opt", multiple=True, help="Set driver specific options")
@click.argument("name")
def create(
    driver: str,
    subnet: str,
    gateway: str,
    ip_range: str,
    internal: bool,
    attachable: bool,
    ipv6: bool,
    label: tuple[str, ...],
    opt: tuple[str, ...],
    name: str,
) -> None:
    """Create a network."""
    from hydock.api_network import IPAM, IPAMPool, NetworkCreateRequest

    pools = [IPAMPool(subnet=subnet, gateway=gateway, ip_range=ip_range)] if subnet or gateway or ip_range else []
    request = NetworkCreateRequest(
        name=name,
        check_duplicate=True,
        driver=driver,
        internal=internal,
        attachable=attachable,
        ipam=IPAM(driver="default", options={}, config=pools),
        enable_ipv6=ipv6,
        options=key_values(opt),
        labels=key_values(label),
    )
    click.echo(api().create_network(request).id)


def _row(network: NetworkResource, no_trunc: bool) -> dict[str, Any]:
    return {
        "ID": network.id if no_trunc else network.id[:12],
        "Name": network.name,
        "Driver": network.driver,
        "Scope": network.scope,
        "IPv6": str(network.enable_ipv6).lower(),
        "Internal": str(network.internal).lower(),
        "Labels": ",".join(f"{k}={v}" for k, v in network.labels.items()),
        "CreatedAt": network.created,
    }


@network_group.command("ls")
@click.option("-q", "--quiet", is_flag=True, help="Only display network IDs")
@click.option("--no-trunc", is_flag=True, help="Do not truncate the output")
@click.option("-f", "--filter", "filters", multiple=True, help='Provide filter values (e.g. "driver=bridge")')
@click.option("--format", "fmt", default="", help="Pretty-print networks using a Go template")
def list_networks(quiet: bool, no_trunc: bool, filters: tuple[str, ...], fmt: str) -> None:
    """List networks."""
    from hydock.cli.gotemplate import format_objects

    networks = sorted(api().networks(parse_filters(filters)), key=lambda n: n.name)
    if quiet:
        for network in networks:
            click.echo(network.id if no_trunc else network.id[:12])
        return
    rows = [_row(network, no_trunc) for network in networks]
    click.echo(
        format_objects(fmt if fmt not in ("", "table") else NETWORK_TABLE, rows, headers=NETWORK_HEADERS), nl=False
    )


@network_group.command("inspect")
@click.option("-f", "--format", "fmt", default="", help="Format the output using the given Go template")
@click.argument("names", nargs=-1, required=True)
def inspect(fmt: str, names: tuple[str, ...]) -> None:
    """Display detailed information on one or more networks."""
    import msgspec

    client = api()
    inspect_each(names, lambda name: msgspec.to_builtins(client.inspect_network(name)), fmt)


@network_group.command("rm")
@click.argument("names", nargs=-1, required=True)
def remove(names: tuple[str, ...]) -> None:
    """Remove one or more networks."""
    client = api()

    def remove_one(name: str) -> None:
        client.remove_network(name)
        click.echo(name)

    for_each_target(names, remove_one)


@network_group.command("connect")
@click.option("--alias", multiple=True, help="Add network-scoped alias for the container")
@click.option("--ip", default="", help="IPv4 address (e.g., 172.30.100.104)")
@click.argument("network")
@click.argument("container")
def connect(alias: tuple[str, ...], ip: str, network: str, container: str) -> None:
    """Connect a container to a network."""
    from hydock.api_network import EndpointIPAMConfig, EndpointSettings, NetworkConnectRequest

    settings = EndpointSettings(
        aliases=list(alias) or None, ipam_config=EndpointIPAMConfig(ipv4_address=ip) if ip else None
    )
    api().connect_network(network, NetworkConnectRequest(container, settings))


@network_group.command("disconnect")
@click.option("-f", "--force", is_flag=True, help="Force the container to disconnect from a network")
@click.argument("network")
@click.argument("container")
def disconnect(force: bool, network: str, container: str) -> None:
    """Disconnect a container from a network."""
    from hydock.api_network import NetworkDisconnectRequest

    api().disconnect_network(network, NetworkDisconnectRequest(container, force))


@network_group.command("prune")
@click.option("--filter", "filters", multiple=True, help='Provide filter values (e.g. "label=<label>")')
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
def prune(filters: tuple[str, ...], force: bool) -> None:
    """Remove all unused networks."""
    from hydock.cli.prompts import confirm
    from hydock.cli.prune_report import print_deleted

    warning = "WARNING! This will remove all custom networks not used by at least one container."
    if not force and not confirm(warning):
        return
    report = api().prune_networks(parse_filters(filters))
    print_deleted("Deleted Networks", report.networks_deleted)


network_group.add_command(list_networks, "list")
network_group.add_command(remove, "remove")


@click.command("port")
@click.argument("container")
@click.argument("private_port", required=False, default="")
def port(container: str, private_port: str) -> None:
    """List port mappings or a specific mapping for the container."""
    from hydock.errors import HydockError

    ports = api().inspect_container(container)["NetworkSettings"]["Ports"] or {}
    if private_port:
        number, _, proto = private_port.partition("/")
        key = f"{number}/{proto or 'tcp'}"
        bindings = ports.get(key)
        if not bindings:
            raise HydockError(f"No public port '{key}' published for {container}")
        for binding in bindings:
            click.echo(f"{binding['HostIp']}:{binding['HostPort']}")
        return
    for key in sorted(ports, key=lambda k: (k.partition("/")[2], int(k.partition("/")[0]))):
        for binding in ports[key] or []:
            click.echo(f"{key} -> {binding['HostIp']}:{binding['HostPort']}")


def register(group: click.Group) -> None:
    group.add_command(network_group)
    group.add_command(port)
