"""Network operations as users ask for them (`network create/ls/inspect/rm/prune/connect/disconnect`), over the
network service and the containers they concern."""

from __future__ import annotations

from pathlib import Path

from hydock.api_network import EndpointSettings, NetworkCreateRequest, NetworkResource
from hydock.engine.container_networking import configured_endpoint, is_container_mode
from hydock.engine.containers import ContainerService
from hydock.errors import Conflict, Forbidden, InvalidArgument


class NetworkOperations:
    def __init__(self, containers: ContainerService) -> None:
        self.containers = containers
        self.networking = containers.networking

    def create(self, request: NetworkCreateRequest) -> NetworkResource:
        return self.networking.service.create(request)

    def list_networks(self, wanted: dict[str, list[str]] | None = None) -> list[NetworkResource]:
        return self.networking.service.list_networks(wanted)

    def inspect(self, name: str) -> NetworkResource:
        return self.networking.service.inspect(name)

    def remove(self, name: str) -> NetworkResource:
        return self.networking.service.remove(name)

    def prune(self, wanted: dict[str, list[str]] | None = None) -> list[str]:
        return self.networking.service.prune(wanted)

    def _network_and_container(self, network: str, container: str) -> tuple[NetworkResource, str]:
        self.networking.service.ensure_predefined()
        record = self.networking.store.resolve(network)
        return record, self.containers.resolve(container)

    def connect(self, network: str, container: str, asked: EndpointSettings | None = None) -> None:
        """Puts the container on the network: at once if it runs, else at its next start."""
        asked = asked or EndpointSettings()
        record, container_id = self._network_and_container(network, container)
        with self.containers._locked(container_id):
            current = self.containers.inspect(container_id)
            mode = current.host_config.network_mode
            if record.driver != "bridge" or mode in ("host",):
                raise Forbidden("container cannot be disconnected from host network or connected to host network")
            if mode == "none":
                raise Forbidden(
                    "container cannot be connected to multiple networks with one of the networks in private (none) mode"
                )
            if is_container_mode(mode):
                raise Forbidden(
                    "container sharing network namespace with another container or host cannot be connected to any "
                    "other network"
                )
            if record.name == "bridge" and asked.aliases:
                raise InvalidArgument("network-scoped alias is supported only for containers in user defined networks")
            directory = self.containers.dir / container_id
            stored = self.networking.load(directory)
            if record.name in stored.configured:
                raise Forbidden(
                    f"endpoint with name {current.name.lstrip('/')} already exists in network {record.name}"
                )
            stored.configured[record.name] = configured_endpoint(record.id, asked)
            if current.state.running:
                namespace = Path(f"/proc/{current.state.pid}/ns/net")
                stored.settings.networks[record.name] = self.networking.endpoints.connect(
                    container_id, current.name.lstrip("/"), namespace, record.name, asked, current.host_config.dns
                )
            else:
                stored.settings.networks[record.name] = stored.configured[record.name]
            self.networking.save(directory, stored)

    def disconnect(self, network: str, container: str, force: bool = False) -> None:
        record, container_id = self._network_and_container(network, container)
        with self.containers._locked(container_id):
            current = self.containers.inspect(container_id)
            if current.host_config.network_mode == "host" or record.driver == "host":
                raise Forbidden("container cannot be disconnected from host network or connected to host network")
            directory = self.containers.dir / container_id
            stored = self.networking.load(directory)
            if record.name not in stored.configured and not force:
                raise Conflict(f"container {container_id} is not connected to network {record.name}")
            if current.state.running:
                self.networking.endpoints.disconnect(container_id, record)
            stored.configured.pop(record.name, None)
            stored.settings.networks.pop(record.name, None)
            self.networking.save(directory, stored)
