"""A container's networking as the engine keeps it: its network mode and endpoints checked at create, wired at start
(with the /etc files that follow from them), released at exit or removal, and shown by inspect (network.json).

The network package (and pyroute2 with it) is loaded only for containers on bridge networks: `--network none` and
`host` never pay for it.
"""

from __future__ import annotations

import logging
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import msgspec

from hydock.api_network import EndpointSettings, NetworkSettings
from hydock.engine.records import ContainerRecord, RunOptions
from hydock.errors import Conflict, InvalidArgument, NetworkError, NotFound
from hydock.network.container_links import link_env, parse_link
from hydock.network.store import NetworkStore
from hydock.runtime.etc_files import Resolver, update_host_address, write_etc_files
from hydock.store.atomic import write_atomic

if TYPE_CHECKING:
    from hydock.network.endpoints import Endpoints
    from hydock.network.service import NetworkService

log = logging.getLogger("hydock.network")
SETTINGS_FILE = "network.json"
_UNWIRED = ("host", "none")
HOST_NETWORK_AND_LINKS = (
    "conflicting options: host type networking can't be used with links. This would result in undefined behavior"
)


class Attachment(NamedTuple):
    """What wiring a container at its start gives its process."""

    namespace: str
    """The network namespace it must join ("" for a new one, or the host's)."""
    link_env: list[str]
    """The variables of its links on the default bridge (`WWW_PORT_80_TCP=tcp://…`)."""
    bridge_address: str = ""
    """Its address on the default bridge, if it is on it."""


class ContainerNetworks(msgspec.Struct):
    """network.json: the endpoints a container asked for (kept for its next start), and what it was given (shown by
    inspect while it runs)."""

    configured: dict[str, EndpointSettings] = {}
    settings: NetworkSettings = msgspec.field(default_factory=NetworkSettings)


_decoder = msgspec.json.Decoder(ContainerNetworks)


def configured_endpoint(network_id: str, asked: EndpointSettings) -> EndpointSettings:
    """What of an endpoint's settings is the user's to ask: the rest is given at start."""
    return EndpointSettings(
        ipam_config=asked.ipam_config,
        links=asked.links,
        aliases=asked.aliases,
        network_id=network_id,
        mac_address=asked.mac_address,
        driver_opts=asked.driver_opts,
    )


def is_container_mode(mode: str) -> bool:
    return mode.startswith("container:")


def _named(network: str) -> str:
    """The API's "default" network (and none at all) is the default bridge."""
    return "bridge" if network in ("", "default") else network


def _conflicts_with_container_mode(options: RunOptions) -> None:
    """Docker's refusals for settings that belong to the container whose network is shared."""
    checks = (
        (options.port_bindings or options.publish_all, "port publishing and the container type network mode"),
        (options.hostname, "hostname and the network mode"),
        (options.dns or options.dns_search or options.dns_options, "dns and the network mode"),
        (options.extra_hosts, "custom host-to-IP mapping and the network mode"),
        (any(s.mac_address for s in options.networks.values()), "mac-address and the network mode"),
        (options.links, "container type network can't be used with links. This would result in undefined behavior"),
    )
    for present, what in checks:
        if present:
            raise InvalidArgument(f"conflicting options: {what}")


class ContainerNetworking:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = NetworkStore(root)
        self._service: NetworkService | None = None
        self._endpoints: Endpoints | None = None
        self.default_bridge_cidr = ""
        """The daemon's --bip: the default bridge's address and prefix, when not chosen automatically."""

    @property
    def service(self) -> NetworkService:
        if self._service is None:
            from hydock.network.service import NetworkService

            self._service = NetworkService(self.root, default_bridge_cidr=self.default_bridge_cidr)
        return self._service

    @property
    def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            from hydock.network.endpoints import Endpoints

            self._endpoints = Endpoints(self.service)
        return self._endpoints

    # --- create -------------------------------------------------------------------------------

    def configure(self, options: RunOptions, resolve_container: Callable[[str], str]) -> tuple[str, NetworkSettings]:
        """The network mode to record and the endpoints configured for it; Docker's errors for what cannot be."""
        mode = _named(options.network)
        if mode == "host" and options.links:
            raise InvalidArgument(HOST_NETWORK_AND_LINKS)
        if is_container_mode(mode):
            _conflicts_with_container_mode(options)
            return f"container:{resolve_container(mode.partition(':')[2])}", NetworkSettings()
        asked = {_named(name): settings for name, settings in options.networks.items()}
        if mode in _UNWIRED:
            main = asked.pop(mode, EndpointSettings())
            if main.aliases:
                raise InvalidArgument("network-scoped alias is supported only for containers in user defined networks")
            record = self.store.find(mode)
            return mode, NetworkSettings(networks={mode: EndpointSettings(network_id=record.id if record else "")})
        self.service.ensure_predefined()
        networks: dict[str, EndpointSettings] = {}
        for name in [mode, *(n for n in asked if n != mode)]:
            record = self.store.resolve(name)
            if record.driver != "bridge":
                raise InvalidArgument(
                    f"container cannot be connected to multiple networks with one of the networks in {record.name} mode"
                )
            settings = asked.get(name, EndpointSettings())
            for link in settings.links or []:
                parse_link(link)
            if record.name == "bridge" and settings.aliases:
                raise InvalidArgument("network-scoped alias is supported only for containers in user defined networks")
            if record.name == "bridge" and settings.ipam_config and settings.ipam_config.ipv4_address:
                raise InvalidArgument("user specified IP address is supported on user defined networks only")
            networks.setdefault(record.name, configured_endpoint(record.id, settings))
        return mode, NetworkSettings(networks=networks)

    def legacy_links(
        self, mode: str, links: list[str], inspect: Callable[[str], ContainerRecord]
    ) -> list[tuple[str, str]]:
        """(linked container's name, alias) of each link dockerd keeps in HostConfig.Links, the linked container
        checked; none on a user-defined network, whose links are its endpoint's."""
        if mode not in ("bridge", "none"):
            return []
        kept = []
        for text in links:
            name, alias = parse_link(text)
            try:
                linked = inspect(name)
            except NotFound as exc:
                raise InvalidArgument(f"could not get container for {name}: {exc}") from None
            if linked.host_config.network_mode == "host":
                raise InvalidArgument(HOST_NETWORK_AND_LINKS)
            kept.append((linked.name, alias))
        return kept

    def default_hostname(self, mode: str, container_id: str) -> str:
        """The host's name on its network, the joined container's on another's, else the short ID (Docker's)."""
        if mode == "host":
            return socket.gethostname()
        if is_container_mode(mode):
            return (self.root / "containers" / mode.partition(":")[2] / "hostname").read_text().strip()
        return container_id[:12]

    # --- the record in the container's directory ----------------------------------------------

    def load(self, container_dir: Path) -> ContainerNetworks:
        try:
            return _decoder.decode((container_dir / SETTINGS_FILE).read_bytes())
        except FileNotFoundError:
            return ContainerNetworks()

    def settings(self, container_dir: Path, *, running: bool) -> NetworkSettings:
        """What inspect shows: what the container was given while it runs, what it asked for otherwise (so an exit
        need not write into its directory, which `rm` may be deleting)."""
        stored = self.load(container_dir)
        return stored.settings if running else NetworkSettings(networks=dict(stored.configured))

    def save(self, container_dir: Path, networks: ContainerNetworks) -> None:
        write_atomic(container_dir / SETTINGS_FILE, msgspec.json.encode(networks), durable=False)

    def save_configured(self, container_dir: Path, settings: NetworkSettings) -> None:
        """At create: the endpoints asked for, also what inspect shows until the container starts."""
        self.save(container_dir, ContainerNetworks(dict(settings.networks), settings))

    # --- start and exit -------------------------------------------------------------------

    def attach(
        self,
        record: ContainerRecord,
        container_dir: Path,
        running_pid: Callable[[str], int],
        inspect: Callable[[str], ContainerRecord],
    ) -> Attachment:
        """Wires the container's network before its process starts."""
        mode = record.host_config.network_mode
        if mode in _UNWIRED:
            return Attachment("", [])
        if is_container_mode(mode):
            target = mode.partition(":")[2]
            pid = running_pid(target)
            if not pid:
                raise Conflict(f"cannot join network of a non running container: {target}")
            for name in ("hosts", "resolv.conf", "hostname"):
                shutil.copyfile(self.root / "containers" / target / name, container_dir / name)
            return Attachment(f"/proc/{pid}/ns/net", [])
        from hydock.network.endpoints import EndpointRequest

        host = record.host_config
        stored = self.load(container_dir)
        request = EndpointRequest(
            container_id=record.id,
            name=record.name.lstrip("/"),
            networks=stored.configured,
            port_bindings=host.port_bindings,
            publish_all=host.publish_all_ports,
            exposed=list(record.config.exposed_ports or {}),
            dns=list(host.dns),
        )
        settings = self.endpoints.attach(request)
        try:
            link_hosts, env = self._default_bridge_links(record, settings, inspect)
            self._write_etc_files(record, container_dir, settings, link_hosts)
            self.save(container_dir, ContainerNetworks(stored.configured, settings))
        except BaseException:
            self.endpoints.release(record.id)
            raise
        default = settings.networks.get("bridge")
        return Attachment(settings.sandbox_key, env, default.ip_address if default is not None else "")

    def update_linking_hosts(self, linked_name: str, address: str, running: list[ContainerRecord]) -> None:
        """dockerd's parent update: the running containers that link to `linked_name` on the default bridge get its
        new address in their /etc/hosts."""
        for parent in running:
            for name, alias in map(parse_link, parent.host_config.links or []):
                if f"/{name}" == linked_name:
                    update_host_address(self.root / "containers" / parent.id, alias, address)

    def link_environment(self, record: ContainerRecord, inspect: Callable[[str], ContainerRecord]) -> list[str]:
        """The environment that the running container's links give a process it starts now (exec), from the linked
        containers as they are now: dockerd works it out again for each exec, and refuses one if a linked container
        has stopped since."""
        return self._default_bridge_links(record, record.network_settings, inspect)[1]

    def _default_bridge_links(
        self, record: ContainerRecord, settings: NetworkSettings, inspect: Callable[[str], ContainerRecord]
    ) -> tuple[list[tuple[str, str]], list[str]]:
        """The /etc/hosts entries (names, address) and the environment that the container's links give it on the
        default bridge, from the linked containers' addresses at this start (dockerd's legacy links)."""
        hosts: list[tuple[str, str]] = []
        env: list[str] = []
        if "bridge" not in settings.networks:
            return hosts, env
        for text in record.host_config.links or []:
            name, alias = parse_link(text)
            try:
                linked = inspect(name)
            except NotFound:
                continue  # removed since: the link went with it, as in Docker
            endpoint = linked.network_settings.networks.get("bridge")
            if endpoint is None:
                raise Conflict(f"Cannot link to {linked.name}, as it does not belong to the default network")
            if not linked.state.running:
                raise Conflict(f"Cannot link to a non running container: {linked.name} AS {record.name}/{alias}")
            # Docker's order, the name left out when it is the alias
            names = [alias, linked.config.hostname, *([linked.name[1:]] if alias != linked.name[1:] else [])]
            hosts.append((" ".join(names), endpoint.ip_address))
            exposed = linked.config.exposed_ports or {}
            env += link_env(f"{record.name}/{alias}", endpoint.ip_address, exposed, linked.config.env)
        return hosts, env

    def started(self, container_id: str, mode: str) -> None:
        """Once the container's processes are in its network namespace they keep it alive, and it dies with them
        (its veths too): the pin is no longer needed, and nothing is left mounted however the container ends."""
        if mode in _UNWIRED or is_container_mode(mode):
            return
        try:
            self.endpoints.unpin(container_id)
        except NetworkError as exc:
            log.warning("unpinning the network namespace of %s: %s", container_id[:12], exc)

    def _write_etc_files(
        self,
        record: ContainerRecord,
        container_dir: Path,
        settings: NetworkSettings,
        link_hosts: list[tuple[str, str]],
    ) -> None:
        host = record.host_config
        user_defined = [s for name, s in settings.networks.items() if name != "bridge"]
        write_etc_files(
            container_dir,
            hostname=record.config.hostname,
            host_network=False,
            addresses=[s.ip_address for s in settings.networks.values()],
            extra_hosts=[*self.extra_hosts(host.extra_hosts or []), *link_hosts],
            resolver=Resolver(
                nameservers=host.dns,
                search=host.dns_search,
                options=host.dns_options,
                embedded=user_defined[0].gateway if user_defined else "",
            ),
        )

    def extra_hosts(self, entries: list[str]) -> list[tuple[str, str]]:
        """`--add-host NAME:IP` entries as (name, address), `host-gateway` being the default bridge's address."""
        pairs = []
        for entry in entries:
            name, _, address = entry.partition(":")
            if address == "host-gateway":
                bridge = self.store.find("bridge")
                address = bridge.ipam.config[0].gateway if bridge and bridge.ipam.config else ""
            pairs.append((name, address))
        return pairs

    def release(self, container_id: str, mode: str | None) -> None:
        """Takes back what the container held on its networks (`mode` None: not known any more, look everywhere)."""
        if mode is not None and (mode in _UNWIRED or is_container_mode(mode)):
            return
        self.endpoints.release(container_id)

    def release_exited(self, container_id: str) -> None:
        """`release` after an exit, when the mode may not be known any more: only a wired container has endpoints."""
        if self.store.has_endpoints(container_id):
            self.release(container_id, None)

    def reconcile(self, running: set[str]) -> None:
        """Releases what containers that are not running still hold (they ended while nobody watched)."""
        if not (self.root / "netns").is_dir() and not any(self.store.dir.glob("*.json")):
            return
        for container_id in self.endpoints.holders() - running:
            self.release(container_id, None)

    def start_daemon(self, running: set[str]) -> None:
        """What a daemon does as it starts, on a root that has networks: bridges and rules back as the records say,
        and what containers that are not running hold, released."""
        if not any(self.store.dir.glob("*.json")):
            return
        self.service.startup()
        self.reconcile(running)

    def close(self) -> None:
        """An engine's end: the networks it brought up go as at a daemon's stop, unless another process (the root's
        daemon, another engine) still uses them."""
        if self._service is not None:
            self._service.close()

    def shutdown(self, running: set[str]) -> None:
        """What a daemon does as it stops: what stopped containers hold is released, the rules taken away, and the
        bridges nothing uses removed. Nothing to do on a root that never wired a network."""
        if not any(self.store.dir.glob("*.json")):
            return
        self.reconcile(running)
        self.service.shutdown()
