"""Bearer tokens of Docker's token spec: JWTs signed ES256 or RS256 whose `access` claims say which actions a
client may take on which repository.

PyJWT (with `cryptography` for the keys) signs and checks them: signature formats, algorithm pinning and the
exp/nbf/aud/iss checks are easy to get subtly wrong by hand, and it is the maintained library for exactly this.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import jwt
import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hydock.errors import HydockError, InvalidArgument
from hydock.registry.auth import TokenResponse
from hydock.timeutil import now_rfc3339

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
DEFAULT_LIFETIME = 300


class InvalidToken(HydockError):
    """A bearer token that is malformed, expired, for another service or issuer, or not signed by our key."""


class AccessClaim(msgspec.Struct, frozen=True):
    """One entry of a token's `access` claim, or of a requested scope (`repository:<name>:pull,push`)."""

    type: str
    name: str
    actions: tuple[str, ...]

    def scope(self) -> str:
        return f"{self.type}:{self.name}:{','.join(self.actions)}"


class TokenClaims(msgspec.Struct):
    iss: str
    sub: str
    aud: str
    exp: int
    nbf: int
    iat: int
    jti: str
    access: list[AccessClaim] = []


def parse_scope(text: str) -> AccessClaim | None:
    """`type:name:actions`; the name may itself hold a colon (a registry host with a port), so split at both ends."""
    kind, _, rest = text.partition(":")
    name, _, actions = rest.rpartition(":")
    if not (kind and name and actions):
        return None
    return AccessClaim(kind, name, tuple(action for action in actions.split(",") if action))


def _algorithm(key: PublicKey | PrivateKey) -> str:
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)) and key.curve.name == "secp256r1":
        return "ES256"
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return "RS256"
    raise InvalidArgument("token keys must be EC P-256 (ES256) or RSA (RS256)")


def load_public_key(path: Path) -> PublicKey:
    """The key tokens are checked with, from a PEM public key, certificate, or the private key itself."""
    data = path.read_bytes()
    key: Any
    try:
        if b"CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        elif b"PRIVATE KEY" in data:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise InvalidArgument(f"{path}: not a PEM key or certificate: {exc}") from None
    if not isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise InvalidArgument(f"{path}: token keys must be EC P-256 (ES256) or RSA (RS256)")
    _algorithm(key)
    return key


def load_private_key(path: Path) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise InvalidArgument(f"{path}: not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise InvalidArgument(f"{path}: token keys must be EC P-256 (ES256) or RSA (RS256)")
    _algorithm(key)
    return key


class TokenVerifier:
    def __init__(self, key: PublicKey, issuer: str, service: str) -> None:
        self.key = key
        self.algorithm = _algorithm(key)
        self.issuer = issuer
        self.service = service

    def verify(self, token: str) -> list[AccessClaim]:
        """The access a token grants. Only our key's algorithm is accepted, never one the token names."""
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[self.algorithm],
                audience=self.service,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
            return msgspec.convert(claims, TokenClaims).access
        except (jwt.InvalidTokenError, msgspec.ValidationError) as exc:
            raise InvalidToken(str(exc)) from None


class TokenIssuer:
    def __init__(self, key: PrivateKey, issuer: str, lifetime: int = DEFAULT_LIFETIME) -> None:
        self.key = key
        self.algorithm = _algorithm(key)
        self.issuer = issuer
        self.lifetime = lifetime

    def issue(self, subject: str, audience: str, access: list[AccessClaim]) -> TokenResponse:
        now = int(time.time())
        claims = TokenClaims(
            self.issuer, subject, audience, now + self.lifetime, now, now, secrets.token_hex(16), access
        )
        token = jwt.encode(msgspec.to_builtins(claims), self.key, algorithm=self.algorithm)
        return TokenResponse(token=token, access_token=token, expires_in=self.lifetime, issued_at=now_rfc3339())
