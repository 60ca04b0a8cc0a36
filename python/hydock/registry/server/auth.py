"""Who may do what: the access each request needs (pull to read, push to write), checked against an htpasswd file
(basic auth, any valid user may do anything) or bearer tokens, and the challenge that comes with a refusal."""

from __future__ import annotations

import asyncio
from typing import Protocol

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from hydock.registry.server.errors import DistributionError
from hydock.registry.server.htpasswd import Htpasswd, basic_credentials
from hydock.registry.server.tokens import AccessClaim, InvalidToken, TokenVerifier

GRANT_KEY = "hydock.registry.grant"
READ_METHODS = frozenset({"GET", "HEAD"})


class Grant(Protocol):
    def allows(self, kind: str, name: str, action: str) -> bool: ...


class FullAccess:
    def allows(self, kind: str, name: str, action: str) -> bool:
        return True


class TokenGrant:
    def __init__(self, access: list[AccessClaim]) -> None:
        self._allowed = {(entry.type, entry.name, action) for entry in access for action in entry.actions}

    def allows(self, kind: str, name: str, action: str) -> bool:
        return (kind, name, action) in self._allowed or (kind, name, "*") in self._allowed


class Authenticator(Protocol):
    async def authenticate(self, request: web.Request, needed: list[AccessClaim]) -> Grant:
        """The caller's grant, having checked it covers `needed`; a DistributionError with a challenge otherwise."""
        ...


def needed_access(request: web.Request) -> list[AccessClaim]:
    if request.path == "/v2/_catalog":
        return [AccessClaim("registry", "catalog", ("*",))]
    name = request.match_info.get("name")
    if name is None:
        return []
    return [AccessClaim("repository", name, ("pull",) if request.method in READ_METHODS else ("push",))]


def grant(request: web.Request) -> Grant:
    found: Grant = request.get(GRANT_KEY) or FullAccess()
    return found


def _details(claims: list[AccessClaim]) -> list[dict[str, str]]:
    """Each action refused, in the shape of distribution's error detail."""
    return [{"Type": claim.type, "Name": claim.name, "Action": action} for claim in claims for action in claim.actions]


def _unauthorized(needed: list[AccessClaim], challenge: str) -> DistributionError:
    return DistributionError(
        "UNAUTHORIZED", "authentication required", *_details(needed), headers={"WWW-Authenticate": challenge}
    )


class HtpasswdAuth:
    def __init__(self, users: Htpasswd, realm: str) -> None:
        self.users = users
        self.realm = realm

    async def authenticate(self, request: web.Request, needed: list[AccessClaim]) -> Grant:
        credentials = basic_credentials(request.headers.get("Authorization"))
        if credentials is None or not await asyncio.to_thread(self.users.verify, *credentials):
            raise _unauthorized(needed, f'Basic realm="{self.realm}"')
        return FullAccess()


class TokenAuth:
    def __init__(self, verifier: TokenVerifier, realm: str) -> None:
        self.verifier = verifier
        self.realm = realm

    def _challenge(self, needed: list[AccessClaim], error: str = "") -> str:
        """Asks for pull and push together for a write: a client pushing also reads, with one token."""
        challenge = f'Bearer realm="{self.realm}",service="{self.verifier.service}"'
        scopes = [
            AccessClaim(claim.type, claim.name, ("pull", "push") if "push" in claim.actions else claim.actions).scope()
            for claim in needed
        ]
        if scopes:
            challenge += f',scope="{" ".join(scopes)}"'
        if error:
            challenge += f',error="{error}"'
        return challenge

    async def authenticate(self, request: web.Request, needed: list[AccessClaim]) -> Grant:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized(needed, self._challenge(needed))
        try:
            granted = TokenGrant(self.verifier.verify(token.strip()))
        except InvalidToken:
            raise _unauthorized(needed, self._challenge(needed, "invalid_token")) from None
        denied = [
            claim for claim in needed if not all(granted.allows(claim.type, claim.name, a) for a in claim.actions)
        ]
        if denied:
            raise DistributionError(
                "DENIED",
                "requested access to the resource is denied",
                *_details(denied),
                headers={"WWW-Authenticate": self._challenge(needed, "insufficient_scope")},
            )
        return granted


def auth_middleware(authenticator: Authenticator) -> Middleware:
    @web.middleware
    async def authorize(request: web.Request, handler: Handler) -> web.StreamResponse:
        request[GRANT_KEY] = await authenticator.authenticate(request, needed_access(request))
        return await handler(request)

    return authorize
