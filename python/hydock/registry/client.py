"""One registry, spoken to over the distribution API: endpoint discovery, auth on 401, manifests, blobs
(streamed, resumed with Range after a dropped connection), uploads and mounts."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import msgspec

from hydock.errors import HydockError
from hydock.registry.auth import AuthConfig, Challenge, TokenCache, TokenResponse, parse_challenges
from hydock.registry.endpoints import DEFAULT_CERTS_DIR, Endpoint, endpoints, tls_context

# Big reads keep the per-chunk cost of the event loop and the pipe to the extractor small at hundreds of MB/s.
CHUNK = 1 << 20
BLOB_RETRIES = 5


class RegistryError(HydockError):
    """The registry refused or failed a request; `code` is the distribution spec's error code, if it sent one."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RegistryUnauthorized(RegistryError):
    pass


class _ErrorEntry(msgspec.Struct):
    code: str = ""
    message: str = ""


class _Errors(msgspec.Struct):
    errors: list[_ErrorEntry] = []


class RegistrySettings(msgspec.Struct, frozen=True):
    """The daemon's view of registries: which may be plain HTTP, and where their CAs are."""

    insecure_registries: tuple[str, ...] = ()
    certs_dir: str = str(DEFAULT_CERTS_DIR)


class Registries:
    """What every pull and push of a daemon shares: one HTTP session, the bearer tokens, the settings."""

    def __init__(self, settings: RegistrySettings) -> None:
        self.settings = settings
        self.tokens = TokenCache()
        self._session: aiohttp.ClientSession | None = None

    def client(self, domain: str, auth: AuthConfig) -> RegistryClient:
        if self._session is None or self._session.closed:
            # No total timeout: a big layer may take long; a stalled read still fails (and is resumed).
            timeout = aiohttp.ClientTimeout(total=None, connect=30, sock_read=60)
            self._session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)
        return RegistryClient(self._session, domain, auth, self.tokens, self.settings)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class RegistryClient:
    """Requests to one registry (`domain` as references spell it) as one user; reuses `session` and `tokens`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        domain: str,
        auth: AuthConfig,
        tokens: TokenCache,
        settings: RegistrySettings,
    ) -> None:
        self.session = session
        self.domain = domain
        self.auth = auth
        self.tokens = tokens
        self.settings = settings
        self._endpoint: Endpoint | None = None
        self._challenge: Challenge | None = None
        self._contexts: dict[Endpoint, ssl.SSLContext | bool] = {}

    async def _discover(self) -> Endpoint:
        """The first endpoint that answers GET /v2/ at all; its 401 tells how to authenticate."""
        if self._endpoint is not None:
            return self._endpoint
        failures = []
        for endpoint in endpoints(self.domain, list(self.settings.insecure_registries)):
            try:
                async with self.session.get(f"{endpoint.url}/v2/", ssl=self._ssl(endpoint)) as response:
                    if response.status == 401:
                        self._challenge = _preferred(parse_challenges(response.headers.get("WWW-Authenticate", "")))
                    self._endpoint = endpoint
                    return endpoint
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                # aiohttp's own text names the SSL context object; the OS error is what tells the user something.
                reason = getattr(exc, "os_error", None) or exc or type(exc).__name__
                failures.append(f"{endpoint.url}: {reason}")
        raise RegistryError(f"cannot reach registry {self.domain}: " + "; ".join(failures))

    def _ssl(self, endpoint: Endpoint) -> ssl.SSLContext | bool:
        # Loading the CA bundle costs milliseconds: once per endpoint, not per request.
        context = self._contexts.get(endpoint)
        if context is None:
            context = self._contexts[endpoint] = tls_context(self.domain, endpoint, Path(self.settings.certs_dir))
        return context

    async def request(
        self,
        method: str,
        repository: str,
        path: str,
        *,
        scopes: list[str],
        headers: Mapping[str, str] | None = None,
        data: object = None,
        query: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> aiohttp.ClientResponse:
        """`method` on /v2/<repository><path> (absolute URLs, as upload Locations are, pass through); the
        response is open and the caller closes it. Statuses outside `ok` raise RegistryError."""
        endpoint = await self._discover()
        url = path if path.startswith(("http://", "https://")) else f"{endpoint.url}/v2/{repository}{path}"
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query)
        for attempt in (1, 2):
            sent = {**(headers or {}), **await self._authorization(scopes)}
            response = await self.session.request(method, url, headers=sent, data=data, ssl=self._ssl(endpoint))
            if response.status == 401 and attempt == 1 and not _is_stream(data):
                challenge = _preferred(parse_challenges(response.headers.get("WWW-Authenticate", "")))
                response.release()
                if challenge is None:
                    break
                self._challenge = challenge
                continue
            if response.status in ok:
                return response
            raise await _error(response, f"{method} {url}")
        raise RegistryUnauthorized(f"{method} {url}: unauthorized", status=401, code="UNAUTHORIZED")

    async def _authorization(self, scopes: list[str]) -> dict[str, str]:
        challenge = self._challenge
        if challenge is None:
            return {}
        credentials = self.auth.credentials()
        if challenge.scheme == "basic":
            if credentials is None:
                return {}
            return {"Authorization": "Basic " + base64.b64encode(":".join(credentials).encode()).decode()}
        realm = challenge.params.get("realm", "")
        service = challenge.params.get("service", "")
        key = (realm, service, " ".join(scopes), credentials[0] if credentials else "")
        token = self.tokens.get(key)
        if token is None:
            token = await self._fetch_token(realm, service, scopes, credentials)
        return {"Authorization": f"Bearer {token}"}

    async def _fetch_token(
        self, realm: str, service: str, scopes: list[str], credentials: tuple[str, str] | None
    ) -> str:
        if not realm:
            raise RegistryError(f"registry {self.domain} asked for a bearer token but named no realm")
        query = [("service", service)] if service else []
        query += [("scope", scope) for scope in scopes]
        headers = {}
        if credentials is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(":".join(credentials).encode()).decode()
        endpoint = await self._discover()
        if self.auth.identitytoken:
            # An identity token from an earlier login is an OAuth2 refresh token: trade it for an access token.
            form = {"grant_type": "refresh_token", "refresh_token": self.auth.identitytoken, "service": service,
                    "scope": " ".join(scopes), "client_id": "hydock"}  # fmt: skip
            request = self.session.post(realm, data=form, ssl=self._ssl(endpoint))
        else:
            request = self.session.get(f"{realm}?{urlencode(query)}", headers=headers, ssl=self._ssl(endpoint))
        try:
            async with request as response:
                if response.status in (401, 403):
                    raise RegistryUnauthorized(
                        f"{self.domain}: unauthorized: incorrect username or password", status=401, code="UNAUTHORIZED"
                    )
                if response.status != 200:
                    raise RegistryError(f"token server {realm} answered {response.status}", status=response.status)
                answer = msgspec.json.decode(await response.read(), type=TokenResponse)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise RegistryError(f"cannot reach token server {realm}: {exc}") from None
        token = answer.token or answer.access_token
        if not token:
            raise RegistryError(f"token server {realm} sent no token")
        key = (realm, service, " ".join(scopes), credentials[0] if credentials else "")
        self.tokens.put(key, token, answer.expires_in)
        return token

    async def absolute(self, location: str) -> str:
        """An upload Location as a URL: registries may send it relative to their root."""
        if location.startswith(("http://", "https://")):
            return location
        return (await self._discover()).url + location

    async def ping(self) -> None:
        """Authenticate as `auth` (what `docker login` checks): a token for no scope, or basic auth on /v2/."""
        endpoint = await self._discover()
        if self._challenge is None:
            return
        if self._challenge.scheme == "bearer":
            await self._fetch_token(
                self._challenge.params.get("realm", ""),
                self._challenge.params.get("service", ""),
                [],
                self.auth.credentials(),
            )
            return
        headers = await self._authorization([])
        async with self.session.get(f"{endpoint.url}/v2/", headers=headers, ssl=self._ssl(endpoint)) as response:
            if response.status == 401:
                raise RegistryUnauthorized(
                    f"{self.domain}: unauthorized: incorrect username or password", status=401, code="UNAUTHORIZED"
                )

    async def blob_chunks(self, repository: str, digest: str) -> AsyncIterator[bytes]:
        """The blob's bytes; a connection dropped mid-way is resumed where it stopped (Range), a few times."""
        offset, failures = 0, 0
        while True:
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            try:
                response = await self.request(
                    "GET", repository, f"/blobs/{digest}", scopes=[f"repository:{repository}:pull"],
                    headers=headers, ok=(200, 206),
                )  # fmt: skip
                async with response:
                    skip = offset if response.status == 200 else 0  # the server ignored Range: drop what we have
                    async for chunk in response.content.iter_chunked(CHUNK):
                        if skip:
                            cut = min(skip, len(chunk))
                            chunk, skip = chunk[cut:], skip - cut
                            if not chunk:
                                continue
                        offset += len(chunk)
                        yield chunk
                return
            except (TimeoutError, aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
                failures += 1
                if failures > BLOB_RETRIES:
                    raise RegistryError(
                        f"downloading {digest} from {self.domain}/{repository}: {exc or type(exc).__name__} "
                        f"(gave up after {failures} attempts at byte {offset})"
                    ) from None
                await asyncio.sleep(0.2 * failures)


def _preferred(challenges: list[Challenge]) -> Challenge | None:
    for scheme in ("bearer", "basic"):
        for challenge in challenges:
            if challenge.scheme == scheme:
                return challenge
    return None


def _is_stream(data: object) -> bool:
    """A body that cannot be sent twice (an async generator), so a 401 cannot simply be retried."""
    return data is not None and not isinstance(data, (bytes, bytearray, str))


async def _error(response: aiohttp.ClientResponse, what: str) -> RegistryError:
    body = await response.read()
    response.release()
    try:
        errors = msgspec.json.decode(body, type=_Errors).errors
    except msgspec.DecodeError:
        errors = []
    if errors:
        first = errors[0]
        message = f"{first.code.lower().replace('_', ' ')}: {first.message}" if first.code else first.message
        kind = RegistryUnauthorized if response.status == 401 else RegistryError
        return kind(message, status=response.status, code=first.code)
    return RegistryError(f"{what}: {response.status} {response.reason}", status=response.status)
