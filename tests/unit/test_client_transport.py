"""The Engine API client transport against a scripted daemon on a unix socket: framing, keep-alive, errors, hijack."""

from __future__ import annotations

import io
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest

import hydock
from hydock.client.errors import DaemonUnavailable, ProtocolError, raise_for_status
from hydock.client.streams import STDERR, STDOUT, demux, json_stream
from hydock.client.transport import PingInfo, QueryValue, Transport
from hydock.errors import (
    Conflict,
    ContainerNotFound,
    HydockError,
    ImageNotFound,
    InvalidArgument,
    NotFound,
    NotImplementedYet,
)


@dataclass
class Seen:
    """One request as the fake daemon received it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    connection: int


class Peer(socketserver.StreamRequestHandler):
    """The daemon's side of one connection: reads requests and hands each to the route for its path."""

    server: Scripted  # type: ignore[assignment]  # socketserver types it as the base server

    def handle(self) -> None:
        number = self.server.connect()
        while (seen := read_request(self.rfile, number)) is not None:
            self.server.seen.append(seen)
            if not self.server.routes[seen.target.partition("?")[0]](self, seen):
                return

    def send(self, *pieces: bytes, pause: float = 0.0) -> None:
        """Write each piece separately, pausing between them so that the client reads them apart."""
        for index, piece in enumerate(pieces):
            if index and pause:
                time.sleep(pause)
            self.wfile.write(piece)


Route = Callable[[Peer, Seen], bool]  # returns whether to keep the connection open


class Scripted(socketserver.ThreadingMixIn):
    """A fake daemon: `routes` answer by path, `seen` records every request, connections are numbered from 1."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: str | tuple[str, int]) -> None:
        super().__init__(address, Peer)  # type: ignore[call-arg]
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.connections = 0
        self._lock = threading.Lock()

    def connect(self) -> int:
        with self._lock:
            self.connections += 1
            return self.connections


class FakeDaemon(Scripted, socketserver.UnixStreamServer):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.url = f"unix://{path}"


class FakeTCPDaemon(Scripted, socketserver.TCPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0))


def read_request(rfile: io.BufferedIOBase, connection: int) -> Seen | None:
    line = rfile.readline()
    if not line:
        return None
    method, target, _ = line.decode().split(" ")
    headers = {}
    while (line := rfile.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while size := int(rfile.readline(), 16):
            body += rfile.read(size)
            rfile.readline()
        rfile.readline()
    else:
        body = rfile.read(int(headers.get("content-length", "0")))
    return Seen(method, target, headers, body, connection)


def reply(status: int = 200, body: bytes = b"", *extra: str, reason: str = "OK") -> bytes:
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", *extra, "", ""]
    return "\r\n".join(head).encode() + body


def answer(status: int = 200, body: bytes = b"", *extra: str) -> Route:
    return raw(reply(status, body, *extra))


def raw(*pieces: bytes, pause: float = 0.02, keep_open: bool = True) -> Route:
    """A route that writes `pieces` apart from each other, then keeps the connection or closes it."""

    def route(peer: Peer, seen: Seen) -> bool:
        peer.send(*pieces, pause=pause)
        return keep_open

    return route


@pytest.fixture
def daemon() -> Iterator[FakeDaemon]:
    directory = tempfile.mkdtemp(prefix="hydock-client-")  # short: unix socket paths are limited to 107 bytes
    server = FakeDaemon(os.path.join(directory, "d.sock"))
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()
    shutil.rmtree(directory)


@pytest.fixture
def transport(daemon: FakeDaemon) -> Iterator[Transport]:
    client = Transport(daemon.url, timeout=10)
    yield client
    client.close()


@pytest.mark.parametrize("safe", ["", "/:@"])
def test_percent_encoding_is_urllibs(safe: str) -> None:
    from urllib.parse import quote

    from hydock.client.transport import percent_encoded

    texts = ["abc123", "a-b.c_d~e", "", "a b", "c/d:e@f", "x?y#z&w=v", "100%", "ünï", "🐳", "A+B", '{"k":["v"]}']
    for text in texts:
        assert percent_encoded(text, safe) == quote(text, safe=safe), text


def test_query_lists_repeat_keys_bools_are_1_0_and_values_are_escaped(daemon: FakeDaemon, transport: Transport) -> None:
    daemon.routes["/containers/json"] = answer(200, b"[]")
    query: dict[str, QueryValue] = {
        "all": True,
        "size": False,
        "limit": 3,
        "name": ["a b", "c/d"],
        "since": None,
        "filters": '{"x":["y"]}',
    }
    transport.request("GET", "/containers/json", query=query)
    assert daemon.seen[0].target == (
        "/containers/json?all=1&size=0&limit=3&name=a%20b&name=c%2Fd&filters=%7B%22x%22%3A%5B%22y%22%5D%7D"
    )


def test_request_sends_bytes_and_chunked_bodies_with_headers(daemon: FakeDaemon, transport: Transport) -> None:
    daemon.routes["/containers/create"] = answer(201, b"{}")
    daemon.routes["/images/load"] = answer(200)
    transport.request("POST", "/containers/create", body=b'{"Image":"bb"}', headers={"X-Registry-Auth": "e30="})
    transport.request("POST", "/images/load", body=iter([b"tar-", b"", b"bytes"]), headers={"content-type": "x/tar"})
    created, loaded = daemon.seen
    assert (created.body, created.headers["content-length"]) == (b'{"Image":"bb"}', "14")
    assert (created.headers["content-type"], created.headers["x-registry-auth"]) == ("application/json", "e30=")
    assert (loaded.body, loaded.headers["transfer-encoding"], loaded.headers["content-type"]) == (
        b"tar-bytes",
        "chunked",
        "x/tar",
    )


def test_sequential_requests_share_a_connection_and_streams_get_their_own(
    daemon: FakeDaemon, transport: Transport
) -> None:
    daemon.routes["/a"] = answer(200, b"a")
    daemon.routes["/closing"] = answer(200, b"c", "Connection: close")
    for path in ("/a", "/a"):
        assert transport.request("GET", path).read() == b"a"
    with transport.request("GET", "/a", stream=True) as streamed:
        assert streamed.read() == b"a"
    transport.request("GET", "/closing")
    transport.request("GET", "/a")
    assert [seen.connection for seen in daemon.seen] == [1, 1, 2, 1, 3]


def test_a_connection_the_daemon_has_closed_is_not_reused(daemon: FakeDaemon, transport: Transport) -> None:
    hung_up = threading.Event()

    def answer_then_hang_up(peer: Peer, seen: Seen) -> bool:
        peer.send(reply(200, b"ok"))
        peer.connection.shutdown(socket.SHUT_WR)
        hung_up.set()
        return False

    daemon.routes["/hang-up"] = answer_then_hang_up
    daemon.routes["/create"] = answer(201, b"{}")
    transport.request("GET", "/hang-up")
    assert hung_up.wait(5)
    assert transport.request("POST", "/create").status == 201
    assert [seen.connection for seen in daemon.seen] == [1, 2]


def test_a_get_is_retried_when_a_reused_connection_drops_without_reply(
    daemon: FakeDaemon, transport: Transport
) -> None:
    def once_per_connection(peer: Peer, seen: Seen) -> bool:
        if sum(other.connection == seen.connection for other in daemon.seen) > 1:
            return False
        peer.send(reply(200, b"ok"))
        return True

    daemon.routes["/once"] = once_per_connection
    assert [transport.request("GET", "/once").read() for _ in range(2)] == [b"ok", b"ok"]
    assert [seen.connection for seen in daemon.seen] == [1, 1, 2]
    with pytest.raises(DaemonUnavailable, match="closed the connection without a reply"):
        transport.request("POST", "/once")  # not replayed: the daemon may have acted on it


def test_chunked_body_is_decoded_across_reads(daemon: FakeDaemon, transport: Transport) -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    pieces = [head + b"5\r\nhel", b"lo\r\n1", b"0;ext=1\r\n" + b"x" * 16, b"\r\n0\r\n", b"Trailer: t\r\n\r\n"]
    daemon.routes["/chunked"] = raw(*pieces)
    assert transport.request("GET", "/chunked").read() == b"hello" + b"x" * 16
    assert transport.request("GET", "/chunked").read() == b"hello" + b"x" * 16
    assert daemon.seen[1].connection == 1  # the whole chunked reply, trailers included, was consumed


def test_streamed_chunks_arrive_before_the_reply_ends(daemon: FakeDaemon, transport: Transport) -> None:
    first_seen = threading.Event()
    waited: list[bool] = []

    def slow_stream(peer: Peer, seen: Seen) -> bool:
        peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        waited.append(first_seen.wait(5))
        peer.send(b"6\r\nsecond\r\n0\r\n\r\n")
        return True

    daemon.routes["/events"] = slow_stream
    chunks = transport.request("GET", "/events", stream=True).iter_chunks()
    assert next(chunks) == b"first"
    first_seen.set()
    assert list(chunks) == [b"second"]
    assert waited == [True]


class Progress(msgspec.Struct, rename="camel"):
    status: str
    id: str = ""


def test_json_lines_split_across_chunks_decode_into_structs(daemon: FakeDaemon, transport: Transport) -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    parts = [b'{"status":"Pulling", "id":"a"}\r', b'\n{"stat', b'us":"Done"}\r\n\r\n']
    framed = b"".join(b"%x\r\n%b\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"
    daemon.routes["/images/create"] = raw(head, framed[:20], framed[20:])
    response = transport.request("POST", "/images/create", stream=True)
    assert list(json_stream(response.iter_lines(), Progress)) == [Progress("Pulling", "a"), Progress("Done")]


class Version(msgspec.Struct, rename="pascal"):
    api_version: str
    os: str


def test_json_reply_decodes_into_a_struct_and_malformed_json_is_a_protocol_error(
    daemon: FakeDaemon, transport: Transport
) -> None:
    daemon.routes["/version"] = answer(200, b'{"ApiVersion":"1.41","Os":"linux","Extra":1}')
    daemon.routes["/broken"] = answer(200, b'{"ApiVersion":')
    assert transport.request("GET", "/version").json(Version) == Version("1.41", "linux")
    with pytest.raises(ProtocolError, match="GET /broken"):
        transport.request("GET", "/broken").json(Version)


@pytest.mark.parametrize(
    "status, body, error, message",
    [
        (404, b'{"message":"No such container: abc"}', ContainerNotFound, "No such container: abc"),
        (404, b'{"message":"No such image: bb:latest"}', ImageNotFound, "No such image: bb:latest"),
        (404, b'{"message":"network n not found"}', NotFound, "network n not found"),
        (409, b'{"message":"name is in use"}', Conflict, "name is in use"),
        (400, b'{"message":"bad memory"}', InvalidArgument, "bad memory"),
        (500, b'{"message":"disk full"}', HydockError, "disk full"),
        (
            501,
            b'{"message":"not supported by hydockd yet: swarm"}',
            NotImplementedYet,
            "not supported by hydockd yet: swarm",
        ),
        (502, b"bad gateway\n", HydockError, "bad gateway"),
    ],
)
def test_error_replies_map_to_hydock_errors_with_the_daemons_message(
    daemon: FakeDaemon, transport: Transport, status: int, body: bytes, error: type[HydockError], message: str
) -> None:
    daemon.routes["/x"] = answer(status, body)
    with pytest.raises(HydockError) as raised:
        raise_for_status(transport.request("GET", "/x"))
    assert (type(raised.value), str(raised.value)) == (error, message)


def test_not_modified_and_no_content_are_not_errors(daemon: FakeDaemon, transport: Transport) -> None:
    daemon.routes["/stop"] = raw(b"HTTP/1.1 304 Not Modified\r\n\r\n")
    daemon.routes["/start"] = raw(b"HTTP/1.1 204 No Content\r\n\r\n")
    for path in ("/stop", "/start", "/stop"):
        response = transport.request("POST", path)
        raise_for_status(response)
        assert response.read() == b""
    assert [seen.connection for seen in daemon.seen] == [1, 1, 1]


def test_truncated_body_is_a_protocol_error(daemon: FakeDaemon, transport: Transport) -> None:
    daemon.routes["/short"] = raw(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", keep_open=False)
    with pytest.raises(ProtocolError, match="7 bytes"):
        transport.request("GET", "/short")


def test_body_without_length_is_read_to_close(daemon: FakeDaemon, transport: Transport) -> None:
    daemon.routes["/old"] = raw(b"HTTP/1.0 200 OK\r\n\r\n", b"until ", b"close", keep_open=False)
    assert transport.request("GET", "/old").read() == b"until close"
    assert transport.request("GET", "/old").read() == b"until close"
    assert [seen.connection for seen in daemon.seen] == [1, 2]


def frame(stream: int, payload: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


def test_hijack_upgrades_then_carries_multiplexed_frames_both_ways(daemon: FakeDaemon, transport: Transport) -> None:
    def exec_start(peer: Peer, seen: Seen) -> bool:
        upgraded = b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n"
        frames = frame(STDOUT, b"out\n") + frame(STDERR, b"err\n")
        # the first frames ride in the same write as the headers: the client must not lose what it buffered
        peer.send(upgraded + b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n" + frames[:15], frames[15:], pause=0.02)
        stdin = peer.rfile.read()
        peer.send(frame(STDOUT, b"got " + stdin))
        return False

    daemon.routes["/exec/e1/start"] = exec_start
    with transport.hijack("POST", "/exec/e1/start", body=b'{"Detach":false,"Tty":false}') as connection:
        connection.write(b"ping\n")
        connection.close_write()
        frames = list(demux(connection.iter_chunks()))
    assert frames == [(STDOUT, b"out\n"), (STDERR, b"err\n"), (STDOUT, b"got ping\n")]
    assert connection.status == 101
    assert connection.headers["content-type"] == "application/vnd.docker.multiplexed-stream"
    seen = daemon.seen[0]
    assert (seen.headers["connection"], seen.headers["upgrade"], seen.body) == (
        "Upgrade",
        "tcp",
        b'{"Detach":false,"Tty":false}',
    )


def test_hijack_accepts_200_from_older_daemons_and_maps_errors(daemon: FakeDaemon, transport: Transport) -> None:
    upgraded = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n"
    daemon.routes["/containers/tty/attach"] = raw(upgraded, b"$ ", b"ls\r\n", keep_open=False)
    daemon.routes["/containers/gone/attach"] = answer(404, b'{"message":"No such container: gone"}')
    with transport.hijack("POST", "/containers/tty/attach", query={"stream": True}) as connection:
        assert b"".join(connection.iter_chunks()) == b"$ ls\r\n"
    with pytest.raises(ContainerNotFound, match="No such container: gone"):
        transport.hijack("POST", "/containers/gone/attach")


def test_demux_reassembles_frames_however_the_reads_cut_them() -> None:
    data = frame(STDOUT, b"hello") + frame(STDERR, b"") + frame(STDERR, b"oops\n") + frame(STDOUT, b"x" * 300)
    expected = [(STDOUT, b"hello"), (STDERR, b""), (STDERR, b"oops\n"), (STDOUT, b"x" * 300)]
    assert list(demux([data[i : i + 1] for i in range(len(data))])) == expected
    for cut in range(len(data)):
        for second_cut in range(cut, len(data), 7):
            assert list(demux([data[:cut], data[cut:second_cut], data[second_cut:]])) == expected


def test_demux_rejects_truncated_frames_raw_streams_and_reports_daemon_errors() -> None:
    with pytest.raises(ProtocolError, match="ended inside a frame"):
        list(demux([frame(STDOUT, b"hello")[:-2]]))
    with pytest.raises(ProtocolError, match="not a multiplexed stream"):
        list(demux([b"/ # ls -l\r\n"]))
    with pytest.raises(HydockError, match="error from daemon in stream: exec failed"):
        list(demux([frame(STDOUT, b"a"), frame(3, b"exec failed\n")]))


def test_ping_reads_headers_and_negotiate_prefixes_later_paths(daemon: FakeDaemon, transport: Transport) -> None:
    ping_headers = ["Api-Version: 1.43", "Ostype: linux", "Docker-Experimental: true"]
    daemon.routes["/_ping"] = answer(200, b"OK", *ping_headers)
    daemon.routes["/v1.41/info"] = answer(200, b"{}")
    assert transport.ping() == PingInfo(api_version="1.43", os_type="linux", experimental=True, builder_version="")
    assert transport.negotiate() == "1.41"
    transport.request("GET", "/info")
    assert daemon.seen[-1].target == "/v1.41/info"


@pytest.mark.parametrize("offered, settled", [("1.40", "1.40"), ("1.9", "1.9"), ("", "1.24")])
def test_negotiate_settles_on_the_older_version(daemon: FakeDaemon, offered: str, settled: str) -> None:
    daemon.routes["/_ping"] = answer(200, b"OK", f"API-Version: {offered}")
    assert Transport(daemon.url).negotiate() == settled


def test_missing_socket_or_no_listener_is_daemon_unavailable() -> None:
    directory = tempfile.mkdtemp(prefix="hydock-client-")
    try:
        missing = f"unix://{directory}/missing.sock"
        with pytest.raises(DaemonUnavailable) as raised:
            Transport(missing).request("GET", "/_ping")
        assert str(raised.value) == f"Cannot connect to the hydock daemon at {missing}. Is the daemon running?"
        with socket.socket(socket.AF_UNIX) as bound_only:
            bound_only.bind(os.path.join(directory, "d.sock"))
            with pytest.raises(DaemonUnavailable, match="Is the daemon running"):
                Transport(f"unix://{directory}/d.sock").ping()
    finally:
        shutil.rmtree(directory)


def test_tcp_endpoint_sends_host_and_port() -> None:
    server = FakeTCPDaemon()
    server.routes["/version"] = answer(200, b"{}")
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    try:
        port = server.server_address[1]
        assert Transport(f"tcp://127.0.0.1:{port}").request("GET", "/version").status == 200
        assert server.seen[0].headers["host"] == f"127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("url", ["", "/run/x.sock", "ftp://h", "unix://", "tcp://", "tcp://h:port", "http://h:1/api"])
def test_malformed_daemon_addresses_are_rejected(url: str) -> None:
    with pytest.raises(InvalidArgument):
        Transport(url)


def test_paths_and_headers_cannot_smuggle_lines(daemon: FakeDaemon, transport: Transport) -> None:
    with pytest.raises(InvalidArgument):
        transport.request("GET", "/info HTTP/1.1\r\nX: y")
    with pytest.raises(InvalidArgument):
        transport.request("GET", "/info", headers={"X-Registry-Auth": "a\r\nHost: evil"})
    assert daemon.seen == []


def test_unix_socket_use_imports_neither_ssl_nor_http_client_nor_url_parsing(tmp_path: Path) -> None:
    # Measured against what the interpreter had loaded before (site hooks of the machine's may load any of them).
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from hydock.client.api import APIClient\n"
        "from hydock.client.errors import DaemonUnavailable\n"
        "from hydock.client.transport import Transport\n"
        f"try: APIClient(Transport('unix://{tmp_path}/none.sock')).wait('c0ffee', 'removed')\n"
        "except DaemonUnavailable: pass\n"
        "print(sorted({'ssl', 'http.client', 'email', 'urllib.parse', 'ipaddress', 'base64'} & set(sys.modules) - before))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(hydock.__file__).parents[1])}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"
