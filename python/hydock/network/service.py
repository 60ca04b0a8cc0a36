"""Networks as Docker users see them: the pre-defined bridge, host and none, user-defined bridge networks (create,
list, inspect, remove, prune), their bridges in the kernel and the rules that serve them all.

Rules are derived from the records on disk each time and put in place whole, so a daemon that starts again
re-creates exactly what it had, without duplicates. Whoever puts them in place holds the root's claim (`claims`);
`shutdown` lets go of it, and the last process to let go takes the rules and idle bridges away, at a daemon's stop or
an engine's end (closed, or its process exiting).
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import secrets
from pathlib import Path

from hydock.api_network import IPAM, IPAMPool, NetworkContainer, NetworkCreateRequest, NetworkResource
from hydock.errors import Conflict, Forbidden, HydockError, InvalidArgument, NetworkNotFound, NotImplementedYet
from hydock.filters import matches_filters
from hydock.network import claims, links, pool_registry
from hydock.network.ipam import Pool
from hydock.network.published import read_registry
from hydock.network.rules import DEFAULT_ROOT_TAG, BridgeRules, Firewall, Ruleset, choose_firewall, root_tag
from hydock.network.store import NetworkStore
from hydock.network.subnets import first_host, overlapping, pick_subnet
from hydock.store import DEFAULT_ROOT
from hydock.timeutil import now_rfc3339

PREDEFINED = ("bridge", "host", "none")
DEFAULT_BRIDGE = "hydock0"
BRIDGE_NAME = "com.docker.network.bridge.name"
ENABLE_ICC = "com.docker.network.bridge.enable_icc"
ENABLE_MASQUERADE = "com.docker.network.bridge.enable_ip_masquerade"
DRIVERS = {"bridge": "bridge", "host": "host", "none": "null"}
log = logging.getLogger("hydock.network")


def bridge_name(record: NetworkResource) -> str:
    return record.options.get(BRIDGE_NAME) or f"hy-{record.id[:12]}"


def pool_of(record: NetworkResource) -> Pool:
    config = record.ipam.config[0]
    return Pool(config.subnet, config.gateway, config.ip_range)


def is_bridge(record: NetworkResource) -> bool:
    return record.driver == "bridge"


def _default_bridge_options(name: str) -> dict[str, str]:
    return {
        "com.docker.network.bridge.default_bridge": "true",
        ENABLE_ICC: "true",
        ENABLE_MASQUERADE: "true",
        "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
        BRIDGE_NAME: name,
        "com.docker.network.driver.mtu": "1500",
    }


def _matches(record: NetworkResource, wanted: dict[str, list[str]], dangling: set[str]) -> bool:
    checks = {
        "name": lambda v: v in record.name,
        "id": lambda v: record.id.startswith(v),
        "driver": lambda v: record.driver == v,
        "scope": lambda v: record.scope == v,
        "type": lambda v: v == ("builtin" if record.name in PREDEFINED else "custom"),
        "dangling": lambda v: (record.id in dangling) == (v.lower() in ("1", "true")),
    }
    return matches_filters(wanted, checks, record.labels)


class NetworkService:
    def __init__(self, root: Path, *, default_bridge_cidr: str = "") -> None:
        self.root = root
        self.store = NetworkStore(root)
        self.alias = links.link_alias(str(root))
        self.tag = root_tag(str(root), DEFAULT_ROOT)
        self.ports_path = self.store.dir / "ports.json"
        self.default_bridge_cidr = default_bridge_cidr
        self.claim = claims.claim_of(self.tag, str(root))
        self._firewall: Firewall | None = None
        self._ready = False
        self._bridges_made: set[str] = set()
        self._exit_hook = False

    @property
    def firewall(self) -> Firewall:
        if self._firewall is None:
            self._firewall = choose_firewall(self.tag)
        return self._firewall

    # --- the pre-defined networks ----------------------------------------------------------

    def _taken_subnets(self, ignore_bridge: str = "") -> list[ipaddress.IPv4Network]:
        claims.reclaim_stale(self.tag)  # dead roots' bridges would hold their subnets for ever
        routed = [net for net, dev in links.route_interfaces().items() if dev != ignore_bridge]
        ours = [ipaddress.IPv4Network(r.ipam.config[0].subnet) for r in self.store.records() if r.ipam.config]
        return routed + ours + pool_registry.taken_by_others(self.tag)

    def _choose_subnet(self, taken: list[ipaddress.IPv4Network]) -> ipaddress.IPv4Network:
        """A free default pool, written down as this root's before anyone else can choose it."""
        while True:
            subnet = pick_subnet(taken)
            if pool_registry.register(subnet, self.tag):
                return subnet
            taken.append(subnet)  # another root chose it just now

    def _default_bridge_name(self) -> str:
        """hydock0 for the default root; another root's daemon (tests, a second instance) gets a name of its own."""
        if self.tag == DEFAULT_ROOT_TAG:
            return DEFAULT_BRIDGE
        return f"hydock-{self.tag.rpartition('_')[2]}"

    def _default_bridge_pool(self, existing: NetworkResource | None) -> IPAMPool:
        if self.default_bridge_cidr:
            try:
                interface = ipaddress.IPv4Interface(self.default_bridge_cidr)
            except ValueError:
                raise InvalidArgument(f"invalid --bip {self.default_bridge_cidr!r}: want an address/prefix") from None
            return IPAMPool(subnet=str(interface.network), gateway=str(interface.ip))
        if existing is not None and existing.ipam.config:
            return existing.ipam.config[0]
        subnet = self._choose_subnet(self._taken_subnets(ignore_bridge=self._default_bridge_name()))
        return IPAMPool(subnet=str(subnet), gateway=str(first_host(subnet)))

    def ensure_predefined(self) -> None:
        """Records `bridge`, `host` and `none` on first use; `--bip` moves the default bridge while it is idle."""
        with self.store.locked():
            existing = {r.name: r for r in self.store.records() if r.name in PREDEFINED}
            for name in PREDEFINED:
                record = existing.get(name)
                if name == "bridge":
                    pool = self._default_bridge_pool(record)
                    if record is not None and record.ipam.config and record.ipam.config[0] == pool:
                        continue
                    if record is not None and self.store.endpoints(record.id):
                        continue  # in use: moved at the next start with nothing attached
                    ipam = IPAM(driver="default", config=[pool])
                    options = _default_bridge_options(self._default_bridge_name())
                elif record is not None:
                    continue
                else:
                    ipam, options = IPAM(driver="default", config=[]), {}
                self.store.save(
                    NetworkResource(
                        name=name,
                        id=record.id if record else secrets.token_hex(32),
                        created=record.created if record else now_rfc3339(),
                        driver=DRIVERS[name],
                        ipam=ipam,
                        options=options,
                    )
                )

    def ready(self) -> None:
        """What the first use of networking in this process needs: the pre-defined networks and the rules (again
        after another engine of this root in the process shut them down)."""
        if not (self._ready and self.claim.held_by(self)):
            self.ensure_predefined()
            self._register_pools()
            links.enable_forwarding()
            self.sync_rules()
            self._ready = True

    # --- rules and bridges -------------------------------------------------------------------

    def ruleset(self) -> Ruleset:
        bridges = [
            BridgeRules(
                bridge=bridge_name(r),
                subnet=pool_of(r).subnet,
                internal=r.internal,
                masquerade=r.options.get(ENABLE_MASQUERADE, "true") == "true",
                icc=r.options.get(ENABLE_ICC, "true") == "true",
            )
            for r in self.store.records()
            if is_bridge(r) and r.ipam.config
        ]
        return Ruleset(bridges=bridges, ports=read_registry(self.ports_path).ports)

    def _hold(self) -> None:
        """Claims the root's networks before anything of theirs goes into the kernel, for as long as this process
        (or its engine, until closed) keeps them."""
        if not self.claim.held:
            claims.reclaim_stale(self.tag)  # a dead root's bridge may still hold the subnet of one of ours
        self.claim.take(self)
        if not self._exit_hook:
            atexit.register(self._at_exit)
            self._exit_hook = True

    def _at_exit(self) -> None:
        """A process that ends without stopping its networking (a script's Engine, never closed) takes it down."""
        if self.claim.held:
            try:
                self.shutdown()
            except HydockError as exc:
                log.warning("taking down the networks of %s at exit: %s", self.root, exc)

    def sync_rules(self) -> None:
        """Puts the rules for every network and published port in place (callers may hold the store lock)."""
        self._hold()
        self.firewall.apply(self.ruleset())

    def ensure_bridge(self, record: NetworkResource) -> None:
        name = bridge_name(record)
        # Set up once per process; after that only its disappearance (a daemon stop, a reboot) is checked for.
        if name in self._bridges_made and links.exists(name):
            return
        self._hold()
        pool = pool_of(record)
        prefix = ipaddress.IPv4Network(pool.subnet).prefixlen
        links.ensure_bridge(name, ipaddress.IPv4Interface(f"{pool.gateway}/{prefix}"), self.alias)
        self._bridges_made.add(name)

    def startup(self) -> None:
        """At daemon start: every bridge up with its address, forwarding on, the rules in place."""
        self.ensure_predefined()
        self._register_pools()
        links.enable_forwarding()
        for record in self.store.records():
            if is_bridge(record) and record.ipam.config:
                self.ensure_bridge(record)
        with self.store.locked():
            self.sync_rules()
        self._ready = True

    def shutdown(self) -> None:
        """At daemon stop (or the fixture's cleanup, or the exit of a process): this process lets go of the root's
        networks, whichever of its engines held them."""
        self._let_go(None)

    def close(self) -> None:
        """An engine's end: it lets go of the root's networks, if it used them."""
        if self.claim.held_by(self):
            self._let_go(self)

    def _let_go(self, holder: NetworkService | None) -> None:
        """Unless another holder (in this process or another) still uses them, all of this root's rules go, and
        every bridge nothing is plugged into."""
        # The store lock first, as everywhere: a process waiting for the claim may hold it.
        with self.store.locked(), self.claim.released(holder) as alone:
            if alone:
                self.firewall.remove()
                for record in self.store.records():
                    # Veths of released endpoints may still be plugged in while the kernel destroys their namespace.
                    live = {endpoint.host_veth for endpoint in self.store.endpoints(record.id)}
                    if is_bridge(record) and not set(links.bridge_ports(bridge_name(record))) & live:
                        links.delete_link(bridge_name(record))
        self._ready = False
        self._bridges_made.clear()
        if self._exit_hook:
            atexit.unregister(self._at_exit)
            self._exit_hook = False

    # --- user-defined networks --------------------------------------------------------------

    def _pool_for(self, request: NetworkCreateRequest, bridge: str) -> IPAMPool:
        configs = request.ipam.config if request.ipam else []
        if len(configs) > 1:
            raise NotImplementedYet("networks with more than one IPv4 subnet are not supported by hydock yet")
        asked = configs[0] if configs else IPAMPool()
        taken = self._taken_subnets(ignore_bridge=bridge)
        if not asked.subnet:
            if asked.gateway or asked.ip_range:
                raise InvalidArgument("cannot set a gateway or an IP range without a subnet")
            subnet = self._choose_subnet(taken)
            return IPAMPool(subnet=str(subnet), gateway=str(first_host(subnet)))
        try:
            subnet = ipaddress.IPv4Network(asked.subnet, strict=False)
        except ValueError:
            raise InvalidArgument(f"invalid subnet {asked.subnet}: want an IPv4 CIDR") from None
        if str(subnet) != asked.subnet:
            raise InvalidArgument(f"invalid subnet {asked.subnet}: it has host bits set (did you mean {subnet}?)")
        if overlapping(subnet, taken) or not pool_registry.register(subnet, self.tag):
            raise Conflict("Pool overlaps with other one on this address space")
        gateway = asked.gateway or str(first_host(subnet))
        if ipaddress.IPv4Address(gateway) not in subnet:
            raise InvalidArgument(f"no matching subnet for gateway {gateway}")
        if asked.ip_range and not ipaddress.IPv4Network(asked.ip_range, strict=False).subnet_of(subnet):
            raise InvalidArgument(f"no matching subnet for range {asked.ip_range}")
        return IPAMPool(subnet=str(subnet), ip_range=asked.ip_range, gateway=gateway)

    def create(self, request: NetworkCreateRequest) -> NetworkResource:
        name = request.name
        driver = request.driver or "bridge"
        if not name:
            raise InvalidArgument("network name cannot be empty")
        if name in PREDEFINED:
            raise Forbidden(f"{name} is a pre-defined network and cannot be created")
        if driver in ("host", "null"):
            raise Forbidden(f'only one instance of "{driver}" network is allowed')
        if driver != "bridge":
            raise NetworkNotFound(f'plugin "{driver}" not found')
        if request.enable_ipv6:
            raise NotImplementedYet("IPv6 networks are not supported by hydock yet")
        if request.ipam and request.ipam.driver not in ("", "default"):
            raise NotImplementedYet(f"IPAM driver {request.ipam.driver!r} is not supported by hydock: only default")
        self.ensure_predefined()
        network_id = secrets.token_hex(32)
        options = dict(request.options or {})
        with self.store.locked():
            if any(r.name == name for r in self.store.records()):
                raise Conflict(f"network with name {name} already exists")
            bridge = options.get(BRIDGE_NAME) or f"hy-{network_id[:12]}"
            if len(bridge) > 15:
                raise InvalidArgument(f"bridge name {bridge!r} is longer than 15 characters")
            if any(bridge_name(r) == bridge for r in self.store.records() if is_bridge(r)):
                raise Conflict(f"bridge name {bridge} is already used by another network")
            record = NetworkResource(
                name=name,
                id=network_id,
                created=now_rfc3339(),
                driver="bridge",
                ipam=IPAM(driver="default", options={}, config=[self._pool_for(request, bridge)]),
                internal=request.internal,
                attachable=request.attachable,
                options=options,
                labels=dict(request.labels or {}),
            )
            self.store.save(record)
            try:
                self.ensure_bridge(record)
                links.enable_forwarding()
                self.sync_rules()
            except BaseException:
                self.store.delete(record.id)
                links.delete_link(bridge)
                self._unregister(record)
                raise
        return record

    def list_networks(self, wanted: dict[str, list[str]] | None = None) -> list[NetworkResource]:
        self.ensure_predefined()
        records = self.store.records()
        dangling = {r.id for r in records if not self.store.endpoints(r.id)} if "dangling" in (wanted or {}) else set()
        return [r for r in records if _matches(r, wanted or {}, dangling)]

    def inspect(self, name: str) -> NetworkResource:
        """The network with the containers attached to it now."""
        self.ensure_predefined()
        record = self.store.resolve(name)
        containers = {
            ep.container_id: NetworkContainer(
                name=ep.name,
                endpoint_id=ep.endpoint_id,
                mac_address=ep.mac,
                ipv4_address=f"{ep.address}/{ep.prefix_len}",
            )
            for ep in sorted(self.store.endpoints(record.id), key=lambda e: e.name)
        }
        record.containers = containers
        return record

    def remove(self, name: str) -> NetworkResource:
        record = self.store.resolve(name)
        if record.name in PREDEFINED:
            raise Forbidden(f"{record.name} is a pre-defined network and cannot be removed")
        with self.store.locked():
            if self.store.endpoints(record.id):
                raise Forbidden(
                    f"error while removing network: network {record.name} id {record.id} has active endpoints"
                )
            self.store.delete(record.id)
            links.delete_link(bridge_name(record))
            self._bridges_made.discard(bridge_name(record))
            self._unregister(record)
            self.sync_rules()
        return record

    def _register_pools(self) -> None:
        """This root's pools written down (again, after a reboot emptied /run, or as an older hydock chose them)."""
        for record in self.store.records():
            if is_bridge(record) and record.ipam.config:
                subnet = ipaddress.IPv4Network(record.ipam.config[0].subnet)
                if not pool_registry.register(subnet, self.tag):
                    log.warning("the subnet %s of network %s is another live hydock root's too", subnet, record.name)

    def _unregister(self, record: NetworkResource) -> None:
        if record.ipam.config:
            pool_registry.unregister(ipaddress.IPv4Network(record.ipam.config[0].subnet), self.tag)

    def prune(self, wanted: dict[str, list[str]] | None = None) -> list[str]:
        """Removes every user-defined network no running container is attached to; their names."""
        removed = []
        for record in self.list_networks({k: v for k, v in (wanted or {}).items() if k == "label"}):
            if record.name in PREDEFINED or self.store.endpoints(record.id):
                continue
            try:
                self.remove(record.id)
            except (NetworkNotFound, Forbidden):
                continue  # removed, or joined, meanwhile
            removed.append(record.name)
        return removed
