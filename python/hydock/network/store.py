"""Networks on disk: their records, the endpoints containers have on them, their leases, and the one lock that
every change to any of them takes.

    networks/<id>.json                    the network (Docker's shape, without Containers)
    networks/<id>/ipam.json               its address leases
    networks/<id>/endpoints/<cid>.json    a running container's endpoint on it
    networks/ports.json                   every published port
    networks/.lock                        held (flock) around every read-modify-write above
"""

from __future__ import annotations

import shutil
from contextlib import AbstractContextManager
from pathlib import Path

import msgspec

from hydock.api_network import NetworkResource
from hydock.errors import Conflict, NetworkNotFound
from hydock.store.atomic import write_atomic
from hydock.store.file_lock import exclusive_lock

_HEX = set("0123456789abcdef")


class EndpointRecord(msgspec.Struct, kw_only=True):
    """A running container's interface on a network: what the plumbing made and what the DNS server answers."""

    container_id: str
    name: str
    endpoint_id: str
    address: str
    prefix_len: int
    gateway: str
    mac: str
    host_veth: str
    interface: str
    aliases: list[str] = []
    links: dict[str, str] = {}
    """Alias to linked container's name (`--link` on a user-defined network): names only this container resolves."""
    dns_servers: list[str] = []
    """The container's own --dns servers, which the embedded DNS server forwards its other queries to."""


_network_decoder = msgspec.json.Decoder(NetworkResource)
_endpoint_decoder = msgspec.json.Decoder(EndpointRecord)


class NetworkStore:
    def __init__(self, root: Path) -> None:
        self.dir = root / "networks"
        self.dir.mkdir(parents=True, exist_ok=True)

    def locked(self) -> AbstractContextManager[None]:
        return exclusive_lock(self.dir / ".lock")

    # --- networks ---------------------------------------------------------------------------

    def records(self) -> list[NetworkResource]:
        records = []
        for path in self.dir.glob("*.json"):
            if len(path.stem) == 64:
                try:
                    records.append(_network_decoder.decode(path.read_bytes()))
                except FileNotFoundError:
                    continue  # removed meanwhile
        records.sort(key=lambda r: r.created)
        return records

    def get(self, network_id: str) -> NetworkResource:
        try:
            return _network_decoder.decode((self.dir / f"{network_id}.json").read_bytes())
        except FileNotFoundError:
            raise NetworkNotFound(f"network {network_id} not found") from None

    def find(self, name: str) -> NetworkResource | None:
        """The network with this full ID, name or unique ID prefix (Docker's order); None when there is none."""
        if len(name) == 64 and (self.dir / f"{name}.json").exists():
            return self.get(name)
        records = self.records()
        for record in records:
            if record.name == name:
                return record
        if name and set(name) <= _HEX:
            matches = [r for r in records if r.id.startswith(name)]
            if len(matches) > 1:
                raise Conflict(f"network {name} is ambiguous ({len(matches)} matches found based on ID prefix)")
            if matches:
                return matches[0]
        return None

    def resolve(self, name: str) -> NetworkResource:
        record = self.find(name)
        if record is None:
            raise NetworkNotFound(f"network {name} not found")
        return record

    def save(self, record: NetworkResource) -> None:
        (self.dir / record.id / "endpoints").mkdir(parents=True, exist_ok=True)
        stored = msgspec.structs.replace(record, containers={})
        write_atomic(self.dir / f"{record.id}.json", msgspec.json.encode(stored))

    def delete(self, network_id: str) -> None:
        (self.dir / f"{network_id}.json").unlink(missing_ok=True)
        shutil.rmtree(self.dir / network_id, ignore_errors=True)

    def leases_path(self, network_id: str) -> Path:
        return self.dir / network_id / "ipam.json"

    # --- endpoints --------------------------------------------------------------------------

    def _endpoints_dir(self, network_id: str) -> Path:
        return self.dir / network_id / "endpoints"

    def endpoints(self, network_id: str) -> list[EndpointRecord]:
        found = []
        directory = self._endpoints_dir(network_id)
        if not directory.is_dir():
            return []
        for path in directory.glob("*.json"):
            try:
                found.append(_endpoint_decoder.decode(path.read_bytes()))
            except FileNotFoundError:
                continue
        return found

    def endpoints_version(self, network_id: str) -> int:
        """Changes whenever an endpoint is added to or removed from the network (for readers that cache)."""
        try:
            return self._endpoints_dir(network_id).stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def endpoint(self, network_id: str, container_id: str) -> EndpointRecord | None:
        try:
            return _endpoint_decoder.decode((self._endpoints_dir(network_id) / f"{container_id}.json").read_bytes())
        except FileNotFoundError:
            return None

    def has_endpoints(self, container_id: str) -> bool:
        """Whether the container has an endpoint on any network."""
        return any(self.dir.glob(f"*/endpoints/{container_id}.json"))

    def save_endpoint(self, network_id: str, endpoint: EndpointRecord) -> None:
        directory = self._endpoints_dir(network_id)
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(directory / f"{endpoint.container_id}.json", msgspec.json.encode(endpoint), durable=False)

    def delete_endpoint(self, network_id: str, container_id: str) -> None:
        (self._endpoints_dir(network_id) / f"{container_id}.json").unlink(missing_ok=True)
