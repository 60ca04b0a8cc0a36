"""The embedded DNS server of user-defined networks, run on the daemon's event loop.

It listens (UDP and TCP, port 53) on each user-defined network's gateway address, which is the one nameserver in
the resolv.conf of that network's containers: one socket per network and nothing per container, so a container
start costs it nothing and it comes back with the daemon without entering any namespace. A query is answered for
the container it comes from (known by its address): the names, aliases and short IDs of the containers on any of
its networks resolve to their addresses there, and so do the aliases of its own links (`--link web:www`, which no
other container resolves); other names are forwarded to the container's own `--dns` servers or the host's, except
from a container whose networks are all internal.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
from typing import cast

from hydock.api_network import NetworkResource
from hydock.network import dns_message as dns
from hydock.network.store import EndpointRecord, NetworkStore
from hydock.runtime.etc_files import host_resolvers

log = logging.getLogger("hydockd.dns")
PORT = 53
FORWARD_TIMEOUT = 3.0
IP_FREEBIND = 15
"""From <linux/in.h>: the socket module names it only from Python 3.12 on."""


class Directory:
    """Who is where, read from the network store, re-read only when a network's endpoints change."""

    def __init__(self, store: NetworkStore) -> None:
        self.store = store
        self._cache: dict[str, tuple[int, list[EndpointRecord]]] = {}
        self._networks: tuple[int, list[NetworkResource]] = (-1, [])

    def networks(self) -> list[NetworkResource]:
        version = self.store.dir.stat().st_mtime_ns
        if self._networks[0] != version:
            self._networks = (version, self.store.records())
        return self._networks[1]

    def endpoints(self, network_id: str) -> list[EndpointRecord]:
        version = self.store.endpoints_version(network_id)
        cached = self._cache.get(network_id)
        if cached is None or cached[0] != version:
            cached = self._cache[network_id] = (version, self.store.endpoints(network_id))
        return cached[1]

    def forget(self) -> None:
        self._cache.clear()
        self._networks = (-1, [])

    def requester(self, network_id: str, address: str) -> EndpointRecord | None:
        return next((e for e in self.endpoints(network_id) if e.address == address), None)

    def networks_of(self, container_id: str) -> list[str]:
        return [r.id for r in self.networks() if any(e.container_id == container_id for e in self.endpoints(r.id))]


def _linked_name(requester: str, endpoints: list[EndpointRecord], name: str) -> str:
    """The name a query for `name` looks up on a network: the linked container's when the requester's endpoint there
    has a link with this alias (`--link web:www`, which nobody else resolves), else the name itself."""
    own = next((e for e in endpoints if e.container_id == requester), None)
    if own is None:
        return name
    return next((target.lower() for alias, target in own.links.items() if alias.lower() == name), name)


class Resolver:
    def __init__(self, store: NetworkStore) -> None:
        self.store = store
        self.directory = Directory(store)

    def local_answer(self, network_id: str, client: str, question: dns.Question) -> tuple[int, list[bytes]] | None:
        """(rcode, records) for names of containers the client can see; None to forward the question."""
        answer = self._local_answer(network_id, client, question)
        if answer is None or answer[0] == dns.REFUSED:
            # The directory is cached by the mtimes of the store's directories, which the kernel stamps from a coarse
            # clock: an endpoint written in the same tick as the last read leaves it stale. A client or a name it
            # does not know is looked up afresh before the question goes upstream or is refused.
            self.directory.forget()
            answer = self._local_answer(network_id, client, question)
        return answer

    def _local_answer(self, network_id: str, client: str, question: dns.Question) -> tuple[int, list[bytes]] | None:
        requester = self.directory.requester(network_id, client)
        if requester is None:
            return dns.REFUSED, []
        networks = self.directory.networks_of(requester.container_id)
        reverse = dns.reverse_address(question.name)
        matches: list[EndpointRecord] = []
        for network in networks:
            endpoints = self.directory.endpoints(network)
            name = _linked_name(requester.container_id, endpoints, question.name)
            for endpoint in endpoints:
                if reverse is not None:
                    if endpoint.address == reverse:
                        return dns.NOERROR, [dns.ptr_record(endpoint.name)]
                elif name == endpoint.name.lower() or name in (a.lower() for a in endpoint.aliases):
                    matches.append(endpoint)
        if not matches:
            return None
        if question.qtype != dns.TYPE_A:
            return dns.NOERROR, []  # the name exists, with IPv4 addresses only
        random.shuffle(matches)  # spread clients over the containers sharing an alias, as Docker does
        return dns.NOERROR, [dns.a_record(address) for address in dict.fromkeys(e.address for e in matches)]

    def upstream(self, network_id: str, client: str) -> list[str]:
        """Where the client's other queries go; none from a container on internal networks only."""
        requester = self.directory.requester(network_id, client)
        if requester is None:
            return []
        joined = set(self.directory.networks_of(requester.container_id))
        networks = [n for n in self.directory.networks() if n.id in joined]
        if networks and all(n.internal for n in networks):
            return []
        return requester.dns_servers or host_resolvers()[0]

    async def handle(self, network_id: str, client: str, query: bytes, *, tcp: bool) -> bytes | None:
        question = dns.parse_query(query)
        if question is None:
            return None
        # Reading the store is blocking I/O: off the event loop.
        local = await asyncio.to_thread(self.local_answer, network_id, client, question)
        if local is not None:
            return dns.response(query, question, local[0], local[1])
        for server in await asyncio.to_thread(self.upstream, network_id, client):
            try:
                return await (_forward_tcp if tcp else _forward_udp)(server, query)
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                continue
        return dns.response(query, question, dns.SERVFAIL)


async def _forward_udp(server: str, query: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, (server, PORT))
        await loop.sock_sendall(sock, query)
        return await asyncio.wait_for(loop.sock_recv(sock, 65535), FORWARD_TIMEOUT)


async def _forward_tcp(server: str, query: bytes) -> bytes:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(server, PORT), FORWARD_TIMEOUT)
    try:
        writer.write(struct.pack("!H", len(query)) + query)
        await writer.drain()
        (length,) = struct.unpack("!H", await asyncio.wait_for(reader.readexactly(2), FORWARD_TIMEOUT))
        return await asyncio.wait_for(reader.readexactly(length), FORWARD_TIMEOUT)
    finally:
        writer.close()


class _UDPProtocol(asyncio.DatagramProtocol):
    def __init__(self, resolver: Resolver, network_id: str) -> None:
        self.resolver = resolver
        self.network_id = network_id
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.get_running_loop().create_task(self._answer(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = await self.resolver.handle(self.network_id, addr[0], data, tcp=False)
        if reply is not None and self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(reply, addr)


def _bound_socket(address: str, kind: socket.SocketKind) -> socket.socket:
    sock = socket.socket(socket.AF_INET, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # The bridge may not carry its address yet (or again, after a reboot): bind all the same.
    sock.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    sock.setblocking(False)
    try:
        sock.bind((address, PORT))
    except OSError:
        sock.close()
        raise
    return sock


class Listener:
    def __init__(self, udp: asyncio.DatagramTransport, tcp: asyncio.Server) -> None:
        self.udp = udp
        self.tcp = tcp

    def close(self) -> None:
        self.udp.close()
        self.tcp.close()


class EmbeddedDNS:
    """One listener per user-defined network; `sync` follows networks being created and removed."""

    def __init__(self, store: NetworkStore) -> None:
        self.store = store
        self.resolver = Resolver(store)
        self.listeners: dict[tuple[str, str], Listener] = {}

    async def sync(self) -> None:
        wanted = {
            (r.id, r.ipam.config[0].gateway)
            for r in await asyncio.to_thread(self.store.records)
            if r.driver == "bridge" and r.name != "bridge" and r.ipam.config
        }
        for key in set(self.listeners) - wanted:
            self.listeners.pop(key).close()
        for key in wanted - set(self.listeners):
            try:
                self.listeners[key] = await self._listen(*key)
            except OSError as exc:
                log.warning("embedded DNS for network %s on %s:%d unavailable: %s", key[0][:12], key[1], PORT, exc)

    async def _listen(self, network_id: str, address: str) -> Listener:
        loop = asyncio.get_running_loop()
        udp_sock = _bound_socket(address, socket.SOCK_DGRAM)
        try:
            tcp_sock = _bound_socket(address, socket.SOCK_STREAM)
        except OSError:
            udp_sock.close()
            raise
        udp, _ = await loop.create_datagram_endpoint(lambda: _UDPProtocol(self.resolver, network_id), sock=udp_sock)

        async def serve_tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            client = writer.get_extra_info("peername")[0]
            try:
                while True:
                    (length,) = struct.unpack("!H", await reader.readexactly(2))
                    reply = await self.resolver.handle(network_id, client, await reader.readexactly(length), tcp=True)
                    if reply is None:
                        break
                    writer.write(struct.pack("!H", len(reply)) + reply)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        tcp = await asyncio.start_server(serve_tcp, sock=tcp_sock)
        return Listener(udp, tcp)

    def close(self) -> None:
        for listener in self.listeners.values():
            listener.close()
        self.listeners.clear()
