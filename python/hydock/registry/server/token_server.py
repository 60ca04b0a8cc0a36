"""A minimal token issuer for the registry's bearer flow (Docker's token spec): `GET /token?service=&scope=`
with basic auth against an htpasswd file answers a signed token for the scopes the user may have.

Without an ACL every valid user gets every action asked for; with one, only those that some rule matching the
user and the repository allows.
Anonymous or wrong credentials are refused outright.
"""

from __future__ import annotations

import asyncio
import fnmatch
from pathlib import Path

import msgspec
from aiohttp import web

from hydock.errors import InvalidArgument
from hydock.registry.server.errors import DistributionError
from hydock.registry.server.htpasswd import Htpasswd, basic_credentials
from hydock.registry.server.responses import error_response, json_response
from hydock.registry.server.tokens import AccessClaim, TokenIssuer, parse_scope

TOKEN_PATH = "/token"
REALM = "hydock registry token"


class AclRule(msgspec.Struct, frozen=True):
    """Who (`account`, a glob) may take which `actions` on which resources (`name`, a glob, of `type`)."""

    account: str
    name: str
    actions: tuple[str, ...]
    type: str = "repository"

    def matches(self, account: str, claim: AccessClaim) -> bool:
        return (
            claim.type == self.type
            and fnmatch.fnmatchcase(account, self.account)
            and fnmatch.fnmatchcase(claim.name, self.name)
        )


def load_acl(path: Path) -> list[AclRule]:
    """A JSON list of rules: `[{"account": "alice", "name": "team/*", "actions": ["pull", "push"]}]`."""
    try:
        return msgspec.json.decode(path.read_bytes(), type=list[AclRule])
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InvalidArgument(f"{path}: invalid ACL: {exc}") from None


def granted(account: str, asked: AccessClaim, acl: list[AclRule] | None) -> AccessClaim:
    if acl is None:
        return asked
    allowed: set[str] = set()
    for rule in acl:
        if rule.matches(account, asked):
            allowed.update(rule.actions)
    actions = asked.actions if "*" in allowed else tuple(a for a in asked.actions if a in allowed)
    return AccessClaim(asked.type, asked.name, actions)


def build_token_app(issuer: TokenIssuer, users: Htpasswd, acl: list[AclRule] | None = None) -> web.Application:
    async def token(request: web.Request) -> web.Response:
        credentials = basic_credentials(request.headers.get("Authorization"))
        if credentials is None or not await asyncio.to_thread(users.verify, *credentials):
            challenge = {"WWW-Authenticate": f'Basic realm="{REALM}"'}
            return error_response(DistributionError("UNAUTHORIZED", "authentication required", headers=challenge))
        account = credentials[0]
        service = request.query.get("service", "")
        asked = [claim for text in request.query.getall("scope", []) for scope in text.split(" ")
                 if (claim := parse_scope(scope)) is not None]  # fmt: skip
        access = [grant for claim in asked if (grant := granted(account, claim, acl)).actions]
        return json_response(issuer.issue(account, service, access))

    app = web.Application()
    app.router.add_get(TOKEN_PATH, token)
    return app
