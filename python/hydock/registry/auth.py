"""Registry credentials as the Engine API carries them (X-Registry-Auth), the registry's WWW-Authenticate
challenges, and the bearer tokens they lead to."""

from __future__ import annotations

import base64
import re
import time
from typing import TypeVar

import msgspec

from hydock.errors import InvalidArgument

T = TypeVar("T")


class AuthConfig(msgspec.Struct, omit_defaults=True):
    """Docker's AuthConfig: what `docker login` stores and X-Registry-Auth sends (base64url JSON)."""

    username: str = ""
    password: str = ""
    auth: str = ""
    email: str = ""
    serveraddress: str = ""
    identitytoken: str = ""
    registrytoken: str = ""

    def credentials(self) -> tuple[str, str] | None:
        """(user, secret) for basic auth or a token request, from the fields or the combined `auth`."""
        if self.username or self.password:
            return self.username, self.password
        if self.auth:
            user, _, secret = base64.b64decode(self.auth).decode().partition(":")
            return user, secret
        return None


def decode_registry_auth(header: str | None) -> AuthConfig:
    """The X-Registry-Auth header (base64url, padding optional); absent or `{}` means anonymous."""
    return _decode_header(header, "X-Registry-Auth", AuthConfig) if header else AuthConfig()


def decode_registry_config(header: str | None) -> dict[str, AuthConfig]:
    """The X-Registry-Config header a build carries: credentials for every registry the client knows, by
    server address (base64url JSON, padding optional)."""
    return _decode_header(header, "X-Registry-Config", dict[str, AuthConfig]) if header else {}


def _decode_header(header: str, name: str, kind: type[T]) -> T:
    try:
        raw = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
        return msgspec.json.decode(raw, type=kind)
    except (ValueError, msgspec.DecodeError):
        raise InvalidArgument(f"invalid {name} header: not base64url-encoded JSON credentials") from None


def encode_registry_auth(config: AuthConfig) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(config)).decode()


def encode_registry_config(configs: dict[str, AuthConfig]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(configs)).decode()


class AuthResponse(msgspec.Struct, rename={"status": "Status", "identity_token": "IdentityToken"}):
    """POST /auth's answer."""

    status: str
    identity_token: str = ""


class Challenge(msgspec.Struct, frozen=True):
    scheme: str
    params: dict[str, str]


_CHALLENGE = re.compile(r'\s*([A-Za-z]+)\s+((?:[A-Za-z_]+="[^"]*"\s*,?\s*|[A-Za-z_]+=[^\s,"]+\s*,?\s*)*)')
_PARAM = re.compile(r'([A-Za-z_]+)=(?:"([^"]*)"|([^\s,"]+))')


def parse_challenges(header: str) -> list[Challenge]:
    """RFC 7235 challenges as registries send them: `Bearer realm="...",service="...",scope="..."`."""
    challenges = []
    for match in _CHALLENGE.finditer(header):
        params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
                  for m in _PARAM.finditer(match.group(2))}  # fmt: skip
        challenges.append(Challenge(match.group(1).lower(), params))
    return challenges


class TokenResponse(msgspec.Struct, omit_defaults=True):
    """What a token server answers (distribution's token spec; `access_token` is the OAuth2 spelling)."""

    token: str = ""
    access_token: str = ""
    expires_in: int = 60
    issued_at: str = ""
    refresh_token: str = ""


class TokenCache:
    """Bearer tokens per (realm, service, scope, user) until shortly before they expire."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str, str], tuple[str, float]] = {}

    def get(self, key: tuple[str, str, str, str]) -> str | None:
        entry = self._tokens.get(key)
        if entry is None or entry[1] <= time.monotonic():
            self._tokens.pop(key, None)
            return None
        return entry[0]

    def put(self, key: tuple[str, str, str, str], token: str, expires_in: int) -> None:
        # Registries allow a minimum of 60 s; refresh a little early so a token never expires mid-request.
        self._tokens[key] = (token, time.monotonic() + max(expires_in, 60) - 10)
