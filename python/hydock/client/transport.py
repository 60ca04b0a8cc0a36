"""HTTP/1.1 to the daemon's Engine API over a unix socket or TCP (TLS optional), on a raw socket for a fast start.

`http.client` would pull in `email` and `ssl` (~25 ms) on every CLI start; this speaks just what the Engine API
needs: keep-alive for plain requests, Content-Length and chunked bodies both ways, and the Upgrade: tcp hijack
that attach and exec start use. `ssl` is imported only when a TLS endpoint is dialled.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

import msgspec

from hydock import __version__
from hydock.client.errors import DaemonUnavailable, ProtocolError, raise_for_status
from hydock.client.streams import split_lines
from hydock.errors import HydockError, InvalidArgument

if TYPE_CHECKING:
    import io
    import ssl
    from types import TracebackType

T = TypeVar("T")

API_VERSION = "1.41"
"""The newest Engine API version this client speaks; `negotiate` settles on the lower of it and the daemon's."""

_FALLBACK_API_VERSION = "1.24"  # what Docker assumes of a daemon whose /_ping has no API-Version header
_CHUNK = 65536
_MAX_LINE = 65536
_MAX_HEADERS = 100
_REPLAYABLE = frozenset({"GET", "HEAD"})

QueryValue = str | int | bool | list[str] | None
RequestBody = bytes | Iterable[bytes] | None


class TLSConfig(msgspec.Struct, frozen=True):
    """Docker's --tlscacert / --tlscert / --tlskey / --tlsverify for a TCP endpoint."""

    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    verify: bool = True


class PingInfo(msgspec.Struct, frozen=True):
    """What the daemon says of itself in the headers of GET /_ping."""

    api_version: str
    os_type: str
    experimental: bool
    builder_version: str


class Headers(Mapping[str, str]):
    """Response headers, looked up regardless of case; a repeated header's values are joined with ", "."""

    def __init__(self) -> None:
        self._fields: dict[str, tuple[str, str]] = {}

    def add(self, name: str, value: str) -> None:
        key = name.lower()
        if key in self._fields:
            value = f"{self._fields[key][1]}, {value}"
        self._fields[key] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)


class _Connection:
    """One socket to the daemon and the buffered reader over it (which may hold bytes past the last reply)."""

    def __init__(self, sock: socket.socket, url: str, *, tls: bool) -> None:
        self.sock = sock
        self.url = url
        self.tls = tls
        self.reader: io.BufferedReader = sock.makefile("rb")

    def send(self, head: bytes, body: RequestBody) -> None:
        self.sock.sendall(head)
        if isinstance(body, bytes):
            self.sock.sendall(body)
        elif body is not None:
            for piece in body:
                if piece:
                    self.sock.sendall(b"%x\r\n%b\r\n" % (len(piece), piece))
            self.sock.sendall(b"0\r\n\r\n")

    def is_idle(self) -> bool:
        """False once the daemon has closed the connection (or sent something unasked) since the last reply."""
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        return not poller.poll(0)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


class Response:
    """A reply: status, case-insensitive headers and a body read whole, as chunks, as lines or as JSON.

    A streamed reply owns its connection until the body is consumed or `close()` is called.
    """

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        reason: str,
        headers: Headers,
        *,
        content: bytes | None = None,
        chunks: Iterator[bytes] | None = None,
        connection: _Connection | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.headers = headers
        self._content = content
        self._chunks = chunks
        self._connection = connection

    def read(self) -> bytes:
        """The body (what is left of it, if `iter_chunks` already took some)."""
        if self._content is None:
            self._content = b"".join(self.iter_chunks())
        return self._content

    def iter_chunks(self) -> Iterator[bytes]:
        """The body as it arrives, without the chunked encoding's framing."""
        if self._content is not None:
            if self._content:
                yield self._content
            return
        connection, chunks = self._connection, self._chunks
        if connection is None or chunks is None:
            return
        try:
            yield from chunks
        except OSError as exc:
            raise _lost(connection.url, exc) from None
        finally:
            self.close()

    def iter_lines(self) -> Iterator[bytes]:
        """The body line by line, for the Engine API's JSON streams (events, pull and build progress)."""
        return split_lines(self.iter_chunks())

    @overload
    def json(self) -> Any: ...
    @overload
    def json(self, type: type[T]) -> T: ...
    def json(self, type: Any = Any) -> Any:
        """The body decoded as JSON into `type` (a msgspec Struct, list[Struct]...), or into builtins."""
        try:
            return msgspec.json.decode(self.read(), type=type)
        except msgspec.DecodeError as exc:
            raise ProtocolError(f"{self.method} {self.path}: malformed reply from the daemon: {exc}") from None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = self._chunks = None

    def __enter__(self) -> Response:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class HijackedConnection:
    """The raw stdin/stdout/stderr stream of attach or exec start, once the daemon has let go of HTTP.

    For a container without a TTY the bytes read are multiplexed frames: pass `iter_chunks()` to `streams.demux`.
    Reading and writing from two threads at once is fine.
    """

    def __init__(self, connection: _Connection, status: int, headers: Headers) -> None:
        self._connection = connection
        self.status = status
        self.headers = headers

    def read(self, size: int = _CHUNK) -> bytes:
        """Up to `size` bytes, as soon as any are there; b"" once the daemon has closed the stream."""
        try:
            return self._connection.reader.read1(size)
        except OSError as exc:
            raise _lost(self._connection.url, exc) from None

    def iter_chunks(self) -> Iterator[bytes]:
        while data := self.read():
            yield data

    def write(self, data: bytes) -> None:
        try:
            self._connection.sock.sendall(data)
        except OSError as exc:
            raise _lost(self._connection.url, exc) from None

    def close_write(self) -> None:
        """Signal end of stdin; the daemon keeps sending output until the process is done."""
        if self._connection.tls:
            # Python's ssl module cannot send close_notify and keep reading, as Go's tls.Conn.CloseWrite does.
            raise HydockError(f"cannot half-close a TLS connection to {self._connection.url}: stdin cannot be ended")
        self._connection.sock.shutdown(socket.SHUT_WR)

    def shutdown(self) -> None:
        """Ends the stream both ways, waking a `read` blocked in another thread (it returns b"")."""
        try:
            self._connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> HijackedConnection:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class _Endpoint(msgspec.Struct, frozen=True):
    url: str
    unix_path: str | None
    host: str
    port: int
    tls: bool

    @property
    def host_header(self) -> str:
        if self.unix_path is not None:
            return "localhost"
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class Transport:
    """The Engine API over one daemon address: unix:///path, tcp://host:port, http://host:port or https://host:port.

    Sequential plain requests share one kept-alive connection; streamed replies and hijacks get fresh ones.
    `timeout` (seconds) bounds connecting and each wait for a plain reply; streams wait as long as they last.
    """

    def __init__(self, base_url: str, *, tls: TLSConfig | None = None, timeout: float | None = None) -> None:
        self.base_url = base_url
        self.api_version: str | None = None
        self._endpoint = _parse_endpoint(base_url, tls)
        self._tls = tls or TLSConfig()
        self._timeout = timeout
        self._ssl_context: ssl.SSLContext | None = None
        self._idle: list[_Connection] = []

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, QueryValue] | None = None,
        body: RequestBody = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> Response:
        """Send one request; an iterable body goes out chunked. Statuses are not checked: see `raise_for_status`."""
        return self._exchange(method, self._target(path, query), body, headers or {}, stream=stream)

    def hijack(
        self, method: str, path: str, *, query: Mapping[str, QueryValue] | None = None, body: bytes | None = None
    ) -> HijackedConnection:
        """Ask the daemon to turn the connection into a raw stream (Upgrade: tcp), as attach and exec start need."""
        upgrade = {"Connection": "Upgrade", "Upgrade": "tcp"}
        response = self._exchange(method, self._target(path, query), body, upgrade, stream=True)
        connection = response._connection
        if response.status in (101, 200) and connection is not None:
            return HijackedConnection(connection, response.status, response.headers)
        with response:
            raise_for_status(response)
        raise ProtocolError(f"{method} {path}: expected 101 Switching Protocols, not {response.status}")

    def ping(self) -> PingInfo:
        response = self._exchange("GET", "/_ping", None, {}, stream=False)
        raise_for_status(response)
        headers = response.headers
        return PingInfo(
            api_version=headers.get("API-Version", ""),
            os_type=headers.get("OSType", ""),
            experimental=headers.get("Docker-Experimental", "").lower() == "true",
            builder_version=headers.get("Builder-Version", ""),
        )

    def negotiate(self) -> str:
        """Settle on min(daemon's API version, API_VERSION); later request paths carry the /v<version> prefix."""
        offered = self.ping().api_version or _FALLBACK_API_VERSION
        self.api_version = min(offered, API_VERSION, key=_version_key)
        return self.api_version

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    def _target(self, path: str, query: Mapping[str, QueryValue] | None) -> str:
        if not path.startswith("/") or any(ch.isspace() or not ch.isprintable() for ch in path):
            raise InvalidArgument(f"invalid API path {path!r}")
        prefix = f"/v{self.api_version}" if self.api_version else ""
        encoded = encode_query(query or {})
        return f"{prefix}{path}?{encoded}" if encoded else f"{prefix}{path}"

    def _exchange(
        self, method: str, target: str, body: RequestBody, headers: Mapping[str, str], *, stream: bool
    ) -> Response:
        head = self._request_head(method, target, body, headers)
        replayable = method in _REPLAYABLE and body is None
        while True:
            connection = None if stream else self._take_idle()
            reused = connection is not None
            connection = connection or self._connect()
            try:
                connection.send(head, body)
                reply = _read_head(connection.reader)
            except OSError as exc:
                connection.close()
                if reused and replayable:
                    continue
                raise _lost(connection.url, exc) from None
            except ProtocolError:
                connection.close()
                raise
            if reply is None:
                connection.close()
                if reused and replayable:
                    continue  # the daemon dropped the kept-alive connection just as we reused it
                raise DaemonUnavailable(f"the hydock daemon at {connection.url} closed the connection without a reply")
            break
        version, status, reason, reply_headers = reply
        chunks, keep_alive = _body(connection.reader, method, version, status, reply_headers)
        if stream:
            connection.sock.settimeout(None)
            return Response(method, target, status, reason, reply_headers, chunks=chunks, connection=connection)
        try:
            content = b"".join(chunks)
        except OSError as exc:
            connection.close()
            raise _lost(connection.url, exc) from None
        except ProtocolError:
            connection.close()
            raise
        if keep_alive:
            self._idle.append(connection)
        else:
            connection.close()
        return Response(method, target, status, reason, reply_headers, content=content)

    def _request_head(self, method: str, target: str, body: RequestBody, headers: Mapping[str, str]) -> bytes:
        fields = {"host": ("Host", self._endpoint.host_header), "user-agent": ("User-Agent", f"hydock/{__version__}")}
        if isinstance(body, bytes):
            fields["content-length"] = ("Content-Length", str(len(body)))
        elif body is not None:
            fields["transfer-encoding"] = ("Transfer-Encoding", "chunked")
        elif method in ("POST", "PUT"):
            fields["content-length"] = ("Content-Length", "0")
        if body is not None:
            fields["content-type"] = ("Content-Type", "application/json")
        for name, value in headers.items():
            if any(ch in "\r\n" for ch in name + value) or not name or ":" in name:
                raise InvalidArgument(f"invalid HTTP header {name!r}: {value!r}")
            fields[name.lower()] = (name, value)
        lines = [f"{method} {target} HTTP/1.1", *(f"{name}: {value}" for name, value in fields.values()), "", ""]
        return "\r\n".join(lines).encode("latin-1")

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.is_idle():
                return connection
            connection.close()
        return None

    def _connect(self) -> _Connection:
        endpoint = self._endpoint
        context = self._tls_context() if endpoint.tls else None
        sock: socket.socket | None = None
        try:
            if endpoint.unix_path is not None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(self._timeout)
                sock.connect(endpoint.unix_path)
            else:
                sock = socket.create_connection((endpoint.host, endpoint.port), timeout=self._timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if context is not None:
                    sock = context.wrap_socket(sock, server_hostname=endpoint.host)
        except OSError as exc:
            if sock is not None:
                sock.close()
            raise _unreachable(endpoint.url, exc) from None
        return _Connection(sock, endpoint.url, tls=context is not None)

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            import ssl  # only here: it costs ~10 ms of start-up that unix-socket users should not pay

            tls = self._tls
            try:
                context = ssl.create_default_context(cafile=tls.ca_cert)
                if not tls.verify:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                if tls.client_cert:
                    context.load_cert_chain(tls.client_cert, tls.client_key)
            except OSError as exc:
                raise InvalidArgument(f"cannot load TLS certificates for {self.base_url}: {exc}") from None
            self._ssl_context = context
        return self._ssl_context


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def percent_encoded(text: str, safe: str) -> str:
    """`text` as urllib.parse.quote(text, safe) encodes it. IDs, names and query values are almost always plain and
    skip urllib.parse, whose import (with the ipaddress module it pulls in) would cost every command 2 ms."""
    if _UNRESERVED.union(safe).issuperset(text):
        return text
    from urllib.parse import quote

    return quote(text, safe=safe)


def encode_query(query: Mapping[str, QueryValue]) -> str:
    """`a=1&b=x&b=y`: lists repeat their key, booleans are 1/0 as the docker CLI sends them, None is left out."""
    pairs = []
    for key, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            text = ("1" if item else "0") if isinstance(item, bool) else str(item)
            pairs.append(f"{percent_encoded(key, '')}={percent_encoded(text, '')}")
    return "&".join(pairs)


def _parse_endpoint(base_url: str, tls: TLSConfig | None) -> _Endpoint:
    scheme, separator, rest = base_url.partition("://")
    if scheme == "unix" and rest:
        return _Endpoint(base_url, unix_path=rest, host="", port=0, tls=False)
    if separator and scheme in ("tcp", "http", "https") and rest:
        if scheme == "http" and tls is not None:
            raise InvalidArgument(f"daemon address {base_url} is plain http but TLS options were given")
        use_tls = scheme == "https" or (scheme == "tcp" and tls is not None)
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(f"//{rest}")
            port = parts.port or (2376 if use_tls else 2375)
        except ValueError:
            parts = None
        if parts is not None and parts.hostname and parts.path in ("", "/") and not parts.query:
            return _Endpoint(base_url, unix_path=None, host=parts.hostname, port=port, tls=use_tls)
    raise InvalidArgument(f"invalid daemon address {base_url!r}: expected unix:///path, tcp://host:port or https://")


def _read_head(reader: io.BufferedReader) -> tuple[str, int, str, Headers] | None:
    """Status line and headers of a reply, or None if the connection closed before its first byte."""
    line = reader.readline(_MAX_LINE)
    if not line:
        return None
    version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise ProtocolError(f"not an HTTP reply from the daemon: {line[:80]!r}")
    headers = Headers()
    for _ in range(_MAX_HEADERS):
        line = reader.readline(_MAX_LINE)
        if not line.endswith(b"\n"):
            raise ProtocolError("the daemon's reply headers were cut short or have an over-long line")
        if line in (b"\r\n", b"\n"):
            return version, int(code), reason, headers
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise ProtocolError(f"malformed header line from the daemon: {line[:80]!r}")
        headers.add(name.strip(), value.strip())
    raise ProtocolError(f"the daemon's reply has more than {_MAX_HEADERS} headers")


def _body(
    reader: io.BufferedReader, method: str, version: str, status: int, headers: Headers
) -> tuple[Iterator[bytes], bool]:
    """The body's chunks as framed by the reply (RFC 9112 §6.3), and whether the connection can then be reused."""
    keep_alive = version == "HTTP/1.1" and "close" not in headers.get("Connection", "").lower()
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return iter(()), keep_alive
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        return _read_chunked(reader), keep_alive
    length = headers.get("Content-Length")
    if length is not None:
        if not length.isdigit():
            raise ProtocolError(f"bad Content-Length from the daemon: {length!r}")
        return _read_exactly(reader, int(length)), keep_alive
    return _read_to_close(reader), False


def _read_exactly(reader: io.BufferedReader, length: int) -> Iterator[bytes]:
    remaining = length
    while remaining:
        data = reader.read1(min(remaining, _CHUNK))
        if not data:
            raise ProtocolError(f"the daemon closed the connection with {remaining} bytes of the reply unsent")
        remaining -= len(data)
        yield data


def _read_chunked(reader: io.BufferedReader) -> Iterator[bytes]:
    while True:
        line = reader.readline(_MAX_LINE)
        size = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not size or size.strip(b"0123456789abcdefABCDEF"):
            raise ProtocolError(f"bad chunk size line from the daemon: {line[:80]!r}")
        if not int(size, 16):
            break
        yield from _read_exactly(reader, int(size, 16))
        if reader.readline(_MAX_LINE) not in (b"\r\n", b"\n"):
            raise ProtocolError("a chunk of the daemon's reply is longer than its declared size")
    while (line := reader.readline(_MAX_LINE)) not in (b"\r\n", b"\n"):  # trailers, unused by the Engine API
        if not line.endswith(b"\n"):
            raise ProtocolError("the daemon's chunked reply ended without its final blank line")


def _read_to_close(reader: io.BufferedReader) -> Iterator[bytes]:
    while data := reader.read1(_CHUNK):
        yield data


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise ProtocolError(f"the daemon reports a malformed API version {version!r}") from None


def _unreachable(url: str, exc: OSError) -> DaemonUnavailable:
    if isinstance(exc, PermissionError):
        return DaemonUnavailable(f"permission denied while trying to connect to the hydock daemon socket at {url}")
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError):
        return DaemonUnavailable(f"Cannot connect to the hydock daemon at {url}. Is the daemon running?")
    return DaemonUnavailable(f"error during connect to the hydock daemon at {url}: {exc.strerror or exc}")


def _lost(url: str, exc: OSError) -> DaemonUnavailable:
    return DaemonUnavailable(f"lost the connection to the hydock daemon at {url}: {exc.strerror or exc}")
