"""`hydock registry`: serve an OCI registry of our own, issue tokens for it, and collect its garbage."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hydock.errors import HydockError

if TYPE_CHECKING:
    import ssl

DEFAULT_REGISTRY_ROOT = "/var/lib/hydock-registry"
BASIC_REALM = "hydock registry"

_root_option = click.option(
    "--root", default=DEFAULT_REGISTRY_ROOT, show_default=True, type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the registry's blobs and repositories.",
)  # fmt: skip
_file = click.Path(exists=True, dir_okay=False, path_type=Path)


def _announce(what: str) -> Callable[[str], None]:
    return lambda url: click.echo(f"{what} listening on {url}", err=True)


def _tls(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    if bool(cert) != bool(key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    if not (cert and key):
        return None
    from hydock.registry.server.serving import tls_context

    return tls_context(str(cert), str(key))


class _LocalCommands(click.Group):
    """These commands talk to no daemon: their errors are their own, not an "Error response from daemon"."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HydockError as exc:
            raise click.ClickException(str(exc)) from None


@click.group("registry", cls=_LocalCommands)
def registry() -> None:
    """Run a private OCI registry (distribution-spec 1.1)."""


@registry.command("serve")
@click.option("--addr", default="127.0.0.1:5000", show_default=True, help="host:port to listen on (port 0: any free).")
@_root_option
@click.option("--htpasswd", type=_file, help="Require basic auth against this file of bcrypt entries.")
@click.option("--token-realm", help="Require bearer tokens from this token server URL.")
@click.option("--token-service", help="The service name tokens must be issued for (their audience).")
@click.option("--token-issuer", help="The issuer tokens must name.")
@click.option("--token-key", type=_file, help="PEM public key or certificate that signs the tokens (ES256 or RS256).")
@click.option("--tls-cert", type=_file, help="Serve HTTPS with this certificate chain...")
@click.option("--tls-key", type=_file, help="...and this private key.")
@click.option("--read-only", is_flag=True, help="Refuse every write (UNSUPPORTED, 405); gc may then run alongside.")
@click.option("--max-uploads", default=0, show_default=True, help="Uploads streaming at once before 429 (0: no limit).")
def serve(
    addr: str,
    root: Path,
    htpasswd: Path | None,
    token_realm: str | None,
    token_service: str | None,
    token_issuer: str | None,
    token_key: Path | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    read_only: bool,
    max_uploads: int,
) -> None:
    """Serve the OCI distribution API from a registry root."""
    from contextlib import nullcontext

    from hydock.registry.server.app import build_app
    from hydock.registry.server.auth import Authenticator, HtpasswdAuth, TokenAuth
    from hydock.registry.server.htpasswd import Htpasswd
    from hydock.registry.server.serving import serve as serve_app
    from hydock.registry.server.storage import RegistryStorage
    from hydock.registry.server.tokens import TokenVerifier, load_public_key

    token_options = (token_realm, token_service, token_issuer, token_key)
    if any(token_options) and not all(token_options):
        raise click.UsageError("--token-realm, --token-service, --token-issuer and --token-key go together")
    if htpasswd and token_realm:
        raise click.UsageError("--htpasswd and --token-realm are two ways to authenticate: choose one")
    authenticator: Authenticator | None = None
    if htpasswd:
        authenticator = HtpasswdAuth(Htpasswd.load(htpasswd), BASIC_REALM)
    elif token_realm and token_service and token_issuer and token_key:
        authenticator = TokenAuth(TokenVerifier(load_public_key(token_key), token_issuer, token_service), token_realm)
    storage = RegistryStorage(root)
    app = build_app(storage, authenticator=authenticator, read_only=read_only, max_uploads=max_uploads)
    with nullcontext() if read_only else storage.writer_lock(exclusive=False):
        asyncio.run(serve_app(app, addr, _tls(tls_cert, tls_key), _announce("registry")))


@registry.command("token-server")
@click.option("--addr", default="127.0.0.1:5001", show_default=True, help="host:port to listen on (port 0: any free).")
@click.option("--key", "key_path", type=_file, required=True, help="PEM private key to sign with (EC P-256 or RSA).")
@click.option("--htpasswd", type=_file, required=True, help="Users, as bcrypt entries.")
@click.option("--issuer", default="hydock-token-server", show_default=True, help="The issuer tokens name.")
@click.option("--acl", type=_file, help='JSON rules [{"account","name","actions"}]; without: any user, any scope.')
@click.option("--lifetime", default=300, show_default=True, help="Seconds a token is valid.")
@click.option("--tls-cert", type=_file, help="Serve HTTPS with this certificate chain...")
@click.option("--tls-key", type=_file, help="...and this private key.")
def token_server(
    addr: str,
    key_path: Path,
    htpasswd: Path,
    issuer: str,
    acl: Path | None,
    lifetime: int,
    tls_cert: Path | None,
    tls_key: Path | None,
) -> None:
    """Issue bearer tokens for `hydock registry serve --token-realm`."""
    from hydock.registry.server.htpasswd import Htpasswd
    from hydock.registry.server.serving import serve as serve_app
    from hydock.registry.server.token_server import build_token_app, load_acl
    from hydock.registry.server.tokens import TokenIssuer, load_private_key

    token_issuer = TokenIssuer(load_private_key(key_path), issuer, lifetime)
    app = build_token_app(token_issuer, Htpasswd.load(htpasswd), load_acl(acl) if acl else None)
    asyncio.run(serve_app(app, addr, _tls(tls_cert, tls_key), _announce("token server")))


@registry.command("gc")
@_root_option
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted.")
def gc(root: Path, dry_run: bool) -> None:
    """Delete the blobs no manifest of any repository reaches.

    Needs the registry to itself: it refuses to run while a server that accepts writes is serving this root
    (stop it, or restart it with --read-only).
    """
    from hydock.registry.server.gc import collect
    from hydock.registry.server.storage import RegistryStorage
    from hydock.units import human_size

    if not root.is_dir():
        raise click.ClickException(f"no registry at {root}")
    report = collect(RegistryStorage(root), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for digest in report.deleted:
        click.echo(f"{verb} blob {digest}")
    for upload in report.purged_uploads:
        click.echo(f"{verb} stale upload {upload}")
    click.echo(
        f"{report.marked} blobs marked, {len(report.deleted)} blobs {verb} ({human_size(report.freed_bytes)}), "
        f"{report.removed_links} repository links {'to remove' if dry_run else 'removed'}"
    )


def register(group: click.Group) -> None:
    group.add_command(registry)
