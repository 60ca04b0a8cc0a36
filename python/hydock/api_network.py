"""Engine API bodies for networking: networks (create, inspect, connect), a container's endpoints and published ports
(create's NetworkingConfig, inspect's NetworkSettings), as msgspec Structs shared by hydockd and its clients."""

from __future__ import annotations

import msgspec

from hydock.wire import docker_name


class IPAMPool(msgspec.Struct, rename=docker_name, omit_defaults=True):
    """One `IPAM.Config` entry: the subnet, the part of it handed out, the gateway."""

    subnet: str = ""
    ip_range: str = ""
    gateway: str = ""
    auxiliary_addresses: dict[str, str] | None = None


class IPAM(msgspec.Struct, rename=docker_name):
    driver: str = "default"
    options: dict[str, str] | None = None
    config: list[IPAMPool] = []


class ConfigReference(msgspec.Struct, rename=docker_name):
    network: str = ""


class NetworkContainer(msgspec.Struct, rename=docker_name):
    """A container attached to a network, as GET /networks/{id} lists it."""

    name: str
    endpoint_id: str
    mac_address: str
    ipv4_address: str
    ipv6_address: str = ""


class NetworkResource(msgspec.Struct, rename=docker_name, kw_only=True):
    """A network as Docker shows it (inspect, ls); stored the same way, without `containers`."""

    name: str
    id: str
    created: str
    scope: str = "local"
    driver: str = "bridge"
    enable_ipv6: bool = False
    ipam: IPAM = msgspec.field(default_factory=IPAM)
    internal: bool = False
    attachable: bool = False
    ingress: bool = False
    config_from: ConfigReference = msgspec.field(default_factory=ConfigReference)
    config_only: bool = False
    containers: dict[str, NetworkContainer] = {}
    options: dict[str, str] = {}
    labels: dict[str, str] = {}


class NetworkCreateRequest(msgspec.Struct, rename=docker_name, omit_defaults=True):
    name: str
    check_duplicate: bool = False
    driver: str = ""
    internal: bool = False
    attachable: bool = False
    ingress: bool = False
    ipam: IPAM | None = None
    enable_ipv6: bool = False
    options: dict[str, str] | None = None
    labels: dict[str, str] | None = None


class NetworkCreateResponse(msgspec.Struct, rename=docker_name):
    id: str
    warning: str = ""


class EndpointIPAMConfig(msgspec.Struct, rename=docker_name, omit_defaults=True):
    """The addresses asked for on one network (`--ip`)."""

    ipv4_address: str = ""
    ipv6_address: str = ""
    link_local_ips: list[str] | None = None


class EndpointSettings(msgspec.Struct, rename=docker_name):
    """A container's endpoint on one network: what was asked for (aliases, address) and, while it runs, what it
    got."""

    ipam_config: EndpointIPAMConfig | None = None
    links: list[str] | None = None
    aliases: list[str] | None = None
    network_id: str = ""
    endpoint_id: str = ""
    gateway: str = ""
    ip_address: str = ""
    ip_prefix_len: int = 0
    ipv6_gateway: str = ""
    global_ipv6_address: str = ""
    global_ipv6_prefix_len: int = 0
    mac_address: str = ""
    driver_opts: dict[str, str] | None = None


class NetworkingConfig(msgspec.Struct, rename=docker_name):
    """POST /containers/create's NetworkingConfig: the endpoint settings per network to attach at create."""

    endpoints_config: dict[str, EndpointSettings] | None = None


class NetworkConnectRequest(msgspec.Struct, rename=docker_name):
    container: str
    endpoint_config: EndpointSettings | None = None


class NetworkDisconnectRequest(msgspec.Struct, rename=docker_name):
    container: str
    force: bool = False


class NetworkPruneResponse(msgspec.Struct, rename=docker_name):
    networks_deleted: list[str] | None


class PortBinding(msgspec.Struct, rename=docker_name):
    """Where a container port is published: an empty `host_ip` means every address, an empty `host_port` a
    random one."""

    host_ip: str = ""
    host_port: str = ""


PortMap = dict[str, list[PortBinding] | None]
"""Ports by "PORT/PROTO" (HostConfig.PortBindings asked for, NetworkSettings.Ports bound; None: exposed only)."""


class NetworkSettings(msgspec.Struct, rename=docker_name):
    """A container's NetworkSettings in inspect; the top-level address fields describe its default-bridge
    endpoint, as Docker's do."""

    bridge: str = ""
    sandbox_id: str = ""
    hairpin_mode: bool = False
    link_local_ipv6_address: str = ""
    link_local_ipv6_prefix_len: int = 0
    ports: PortMap = {}
    sandbox_key: str = ""
    secondary_ip_addresses: list[str] | None = None
    secondary_ipv6_addresses: list[str] | None = None
    endpoint_id: str = ""
    gateway: str = ""
    global_ipv6_address: str = ""
    global_ipv6_prefix_len: int = 0
    ip_address: str = ""
    ip_prefix_len: int = 0
    ipv6_gateway: str = ""
    mac_address: str = ""
    networks: dict[str, EndpointSettings] = {}


class SummaryNetworkSettings(msgspec.Struct, rename=docker_name):
    """GET /containers/json's NetworkSettings: the endpoints alone."""

    networks: dict[str, EndpointSettings] = {}
