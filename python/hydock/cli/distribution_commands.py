"""Registry commands: pull, push, login, logout. Credentials live on this side, in Docker's config.json, and
go to the daemon with each request (X-Registry-Auth), as the docker CLI sends them."""

from __future__ import annotations

import sys

import click

from hydock.cli.context import api


def _registry_auth(name: str) -> str:
    from hydock.registry.credentials import registry_auth_header
    from hydock.store.reference import parse_reference

    return registry_auth_header(parse_reference(name).domain)


@click.command("pull")
@click.option("-a", "--all-tags", is_flag=True, help="Download all tagged images in the repository")
@click.option("--platform", default="", help="Set platform if server is multi-platform capable")
@click.option("-q", "--quiet", is_flag=True, help="Suppress verbose output")
@click.argument("name")
def pull(all_tags: bool, platform: str, quiet: bool, name: str) -> None:
    """Download an image from a registry."""
    from hydock.cli.progress import display
    from hydock.store.reference import parse_reference

    ref = parse_reference(name)
    if all_tags and (ref.tag or ref.digest):
        raise click.UsageError("tag can't be used with --all-tags/-a")
    if not all_tags and ref.tag is None and ref.digest is None:
        click.echo("Using default tag: latest")
        ref = ref.with_default_tag()
    tag = ref.digest or ref.tag or ""
    messages = api().pull(ref.repository, tag, registry_auth=_registry_auth(name), platform=platform)
    if quiet:
        for _ in messages:
            pass
    else:
        display(messages, sys.stdout)
    click.echo(ref.repository if all_tags else str(ref))


@click.command("push")
@click.option("-a", "--all-tags", is_flag=True, help="Push all tags of an image to the repository")
@click.option("-q", "--quiet", is_flag=True, help="Suppress verbose output")
@click.argument("name")
def push(all_tags: bool, quiet: bool, name: str) -> None:
    """Upload an image to a registry."""
    from hydock.cli.progress import display
    from hydock.store.reference import parse_reference

    ref = parse_reference(name)
    if all_tags and ref.tag:
        raise click.UsageError("tag can't be used with --all-tags/-a")
    if not all_tags and ref.tag is None:
        click.echo("Using default tag: latest")
        ref = ref.with_default_tag()
    messages = api().push(ref.repository, ref.tag or "", registry_auth=_registry_auth(name))
    if quiet:
        for _ in messages:
            pass
        click.echo(str(ref))
    else:
        display(messages, sys.stdout)


@click.command("login")
@click.option("-u", "--username", default="", help="Username")
@click.option("-p", "--password", default="", help="Password")
@click.option("--password-stdin", is_flag=True, help="Take the password from stdin")
@click.argument("server", required=False, default="")
def login(username: str, password: str, password_stdin: bool, server: str) -> None:
    """Authenticate to a registry (Docker Hub when no server is given)."""
    from hydock.registry.auth import AuthConfig
    from hydock.registry.credentials import registry_domain, server_key, store

    if password and password_stdin:
        raise click.UsageError("--password and --password-stdin are mutually exclusive")
    if password_stdin:
        if not username:
            raise click.UsageError("Must provide --username with --password-stdin")
        password = sys.stdin.read().rstrip("\r\n")
    elif password:
        click.echo("WARNING! Using --password via the CLI is insecure. Use --password-stdin.", err=True)
    if not username:
        username = click.prompt("Username")
    if not password:
        password = click.prompt("Password", hide_input=True)
    domain = registry_domain(server)
    answer = api().login(AuthConfig(username=username, password=password, serveraddress=server_key(domain)))
    path = store(domain, username, password, answer.identity_token)
    click.echo(f"WARNING! Your password will be stored unencrypted in {path}.", err=True)
    click.echo(answer.status)


@click.command("logout")
@click.argument("server", required=False, default="")
def logout(server: str) -> None:
    """Log out from a registry (Docker Hub when no server is given)."""
    from hydock.registry.credentials import erase, registry_domain, server_key

    domain = registry_domain(server)
    key = server_key(domain)
    if erase(domain):
        click.echo(f"Removing login credentials for {key}")
    else:
        click.echo(f"Not logged in to {key}")


def register(group: click.Group) -> None:
    for command in (pull, push, login, logout):
        group.add_command(command)
