"""A container's place on its networks: at start a pinned network namespace with one veth per network, leased
addresses and published ports; live connect and disconnect; at exit (or removal) all of it taken back.

Everything a container holds is found from its ID alone (endpoint files, leases, registry entries, the pin), so it
can be released even after its own directory is gone. Each run's veths have names of their own (from the endpoint's
random ID, as Docker's are random): the kernel destroys a released namespace and its veths in the background, so a
name derived from the container would still be taken when it starts again at once.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from pathlib import Path

import msgspec

from hydock.api_network import EndpointSettings, NetworkResource, NetworkSettings, PortBinding, PortMap
from hydock.errors import Conflict, InvalidArgument, NetworkNotFound
from hydock.network import ipam, links, netns, published
from hydock.network.container_links import parse_link
from hydock.network.rules import PublishedPort
from hydock.network.service import NetworkService, bridge_name, is_bridge, pool_of
from hydock.network.store import EndpointRecord


class EndpointRequest(msgspec.Struct, kw_only=True):
    """What a container asks of its networks when it starts."""

    container_id: str
    name: str
    networks: dict[str, EndpointSettings]
    """By network name (or ID), in order: the first that routes outward carries the default route and the ports."""
    port_bindings: PortMap = {}
    publish_all: bool = False
    exposed: list[str] = []
    dns: list[str] = []


def mac_for(address: str) -> str:
    """Docker's MAC for an address: 02:42 then the four bytes of the IPv4 address."""
    return "02:42:" + ":".join(f"{byte:02x}" for byte in ipaddress.IPv4Address(address).packed)


def veth_name(endpoint_id: str) -> str:
    return "veth" + endpoint_id[:7]


def _user_defined(record: NetworkResource) -> bool:
    return record.name != "bridge"


class Endpoints:
    def __init__(self, networks: NetworkService) -> None:
        self.networks = networks
        self.store = networks.store
        self.pins = networks.root / "netns"

    def pin(self, container_id: str) -> Path:
        return self.pins / container_id

    def _resolve(self, name: str, settings: EndpointSettings) -> NetworkResource:
        if settings.network_id:
            try:
                return self.store.get(settings.network_id)
            except NetworkNotFound:
                pass
        return self.store.resolve(name)

    def _lease(
        self,
        container_id: str,
        name: str,
        record: NetworkResource,
        settings: EndpointSettings,
        interface: str,
        dns: list[str],
    ) -> EndpointRecord:
        wanted = settings.ipam_config.ipv4_address if settings.ipam_config else ""
        if wanted and not _user_defined(record):
            raise InvalidArgument("user specified IP address is supported on user defined networks only")
        pool = pool_of(record)
        address = ipam.allocate(self.store.leases_path(record.id), pool, container_id, wanted, record.name)
        user_defined = _user_defined(record)
        aliases = [*(settings.aliases or []), container_id[:12]] if user_defined else []
        linked = {alias: name for name, alias in map(parse_link, settings.links or [])} if user_defined else {}
        endpoint_id = secrets.token_hex(32)
        endpoint = EndpointRecord(
            container_id=container_id,
            name=name,
            endpoint_id=endpoint_id,
            address=address,
            prefix_len=ipaddress.IPv4Network(pool.subnet).prefixlen,
            gateway=pool.gateway,
            mac=settings.mac_address or mac_for(address),
            host_veth=veth_name(endpoint_id),
            interface=interface,
            aliases=list(dict.fromkeys(aliases)),
            links=linked,
            dns_servers=dns,
        )
        self.store.save_endpoint(record.id, endpoint)
        return endpoint

    def _plug(
        self,
        record: NetworkResource,
        endpoint: EndpointRecord,
        namespace: Path,
        socket_fd: int,
        *,
        loopback: bool = False,
        default_route: bool = False,
    ) -> None:
        links.plug(
            links.Endpoint(
                bridge=bridge_name(record),
                host_veth=endpoint.host_veth,
                interface=endpoint.interface,
                mac=endpoint.mac,
                address=ipaddress.IPv4Interface(f"{endpoint.address}/{endpoint.prefix_len}"),
                gateway=endpoint.gateway,
                default_route=default_route,
                alias=self.networks.alias,
            ),
            str(namespace),
            socket_fd,
            bring_up_loopback=loopback,
        )

    def attach(self, request: EndpointRequest) -> NetworkSettings:
        """Wires the container's networks into a new pinned namespace (at `pin`), before its process starts."""
        self.networks.ready()
        container_id = request.container_id
        if self.pin(container_id).exists():
            self.release(container_id)  # an earlier run that ended unobserved
        plan: list[tuple[str, NetworkResource, EndpointRecord]] = []
        try:
            with self.store.locked():
                for index, (name, settings) in enumerate(request.networks.items()):
                    record = self._resolve(name, settings)
                    if not is_bridge(record):
                        raise InvalidArgument(f"container cannot be connected to network {record.name} with others")
                    self.networks.ensure_bridge(record)
                    endpoint = self._lease(container_id, request.name, record, settings, f"eth{index}", request.dns)
                    plan.append((name, record, endpoint))
                ports = self._publish(request, plan)
                if ports:
                    self.networks.sync_rules()
            inside = netns.create(self.pin(container_id))
            routed = next((i for i, (_, record, _) in enumerate(plan) if not record.internal), -1)
            for index, (_, record, endpoint) in enumerate(plan):
                socket_fd = inside if index == 0 else netns.route_socket(self.pin(container_id))
                pin = self.pin(container_id)
                self._plug(record, endpoint, pin, socket_fd, loopback=index == 0, default_route=index == routed)
        except BaseException:
            self.release(container_id)
            raise
        return self._settings(container_id, request, plan, ports)

    def _publish(
        self, request: EndpointRequest, plan: list[tuple[str, NetworkResource, EndpointRecord]]
    ) -> list[PublishedPort]:
        asked = [(key, binding) for key, bindings in request.port_bindings.items() for binding in bindings or []]
        if request.publish_all:
            asked += [(key, PortBinding()) for key in request.exposed if not request.port_bindings.get(key)]
        outward = next((endpoint for _, record, endpoint in plan if not record.internal), None)
        if not asked or outward is None:
            return []
        try:
            return published.allocate(self.networks.ports_path, request.container_id, outward.address, asked)
        except Conflict as exc:
            raise Conflict(
                f"driver failed programming external connectivity on endpoint {request.name} "
                f"({outward.endpoint_id}): {exc}"
            ) from None

    def _settings(
        self,
        container_id: str,
        request: EndpointRequest,
        plan: list[tuple[str, NetworkResource, EndpointRecord]],
        ports: list[PublishedPort],
    ) -> NetworkSettings:
        bound: PortMap = {key: None for key in request.exposed}
        for port in ports:
            key = f"{port.container_port}/{port.proto}"
            bound[key] = [*(bound.get(key) or []), PortBinding(port.host_ip or "0.0.0.0", str(port.host_port))]
        settings = NetworkSettings(
            sandbox_id=hashlib.sha256(f"sandbox:{container_id}".encode()).hexdigest(),
            sandbox_key=str(self.pin(container_id)),
            ports=bound,
            networks={
                record.name: endpoint_settings(record, endpoint, request.networks[name])
                for name, record, endpoint in plan
            },
        )
        default = settings.networks.get("bridge")
        if default is not None:
            settings.endpoint_id, settings.gateway = default.endpoint_id, default.gateway
            settings.ip_address, settings.ip_prefix_len = default.ip_address, default.ip_prefix_len
            settings.mac_address = default.mac_address
        return settings

    def release(self, container_id: str) -> None:
        """Takes back everything the container holds on every network; what is already gone is skipped.

        Its veths are not deleted one by one (each deletion waits out an RCU grace period): unpinning the namespace,
        now empty of processes, lets the kernel destroy it with its interfaces, whose peers go with them.
        """
        with self.store.locked():
            if published.release(self.networks.ports_path, container_id):
                self.networks.sync_rules()
            for record in self.store.records():
                self.store.delete_endpoint(record.id, container_id)
                if is_bridge(record):
                    ipam.release(self.store.leases_path(record.id), container_id)
        netns.remove(self.pin(container_id))

    def unpin(self, container_id: str) -> None:
        netns.remove(self.pin(container_id))

    def holders(self) -> set[str]:
        """Every container that holds an endpoint, an address, a port or a namespace pin."""
        found = {p.name for p in self.pins.iterdir()} if self.pins.is_dir() else set()
        for record in self.store.records():
            found |= {e.container_id for e in self.store.endpoints(record.id)}
            if is_bridge(record):
                found |= set(ipam.read_leases(self.store.leases_path(record.id)).owners.values())
        found |= {p.container_id for p in published.read_registry(self.networks.ports_path).ports}
        return found

    # --- a running container joins or leaves a network --------------------------------------

    def connect(
        self, container_id: str, name: str, namespace: Path, network: str, settings: EndpointSettings, dns: list[str]
    ) -> EndpointSettings:
        self.networks.ready()
        with self.store.locked():
            record = self._resolve(network, settings)
            used = {
                e.interface for r in self.store.records() if (e := self.store.endpoint(r.id, container_id)) is not None
            }
            interface = next(f"eth{n}" for n in range(len(used) + 1) if f"eth{n}" not in used)
            self.networks.ensure_bridge(record)
            endpoint = self._lease(container_id, name, record, settings, interface, dns)
        try:
            self._plug(record, endpoint, namespace, netns.route_socket(namespace))
        except BaseException:
            self.disconnect(container_id, record)
            raise
        return endpoint_settings(record, endpoint, settings)

    def disconnect(self, container_id: str, record: NetworkResource) -> None:
        with self.store.locked():
            endpoint = self.store.endpoint(record.id, container_id)
            if endpoint is not None:
                links.delete_link(endpoint.host_veth)
                self.store.delete_endpoint(record.id, container_id)
            ipam.release(self.store.leases_path(record.id), container_id)


def endpoint_settings(record: NetworkResource, endpoint: EndpointRecord, asked: EndpointSettings) -> EndpointSettings:
    return EndpointSettings(
        ipam_config=asked.ipam_config,
        links=asked.links,
        aliases=endpoint.aliases or None,
        network_id=record.id,
        endpoint_id=endpoint.endpoint_id,
        gateway=endpoint.gateway,
        ip_address=endpoint.address,
        ip_prefix_len=endpoint.prefix_len,
        mac_address=endpoint.mac,
        driver_opts=asked.driver_opts,
    )
