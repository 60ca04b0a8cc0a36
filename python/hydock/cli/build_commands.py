"""`hydock build`: `--check` parses and lints a Dockerfile right here (no daemon); building comes next."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

# Machine names as Go (and so image platforms) spell the architecture.


@click.command("build")
@click.option(
    "-f",
    "--file",
    "dockerfile",
    default="",
    metavar="string",
    help='Name of the Dockerfile (default: "PATH/Dockerfile")',
)
@click.option("--build-arg", "build_args", multiple=True, metavar="list", help="Set build-time variables")
@click.option("--target", default="", metavar="string", help="Set the target build stage to build")
@click.option("--platform", default="", metavar="string", help="Set platform if server is multi-platform capable")
@click.option("--check", is_flag=True, help="Check build configuration and Dockerfile without building")
@click.argument("context", metavar="PATH | URL | -")
def build(dockerfile: str, build_args: tuple[str, ...], target: str, platform: str, check: bool, context: str) -> None:
    """Build an image from a Dockerfile."""
    if not check:
        click.echo(
            "hydock build: building images is not implemented yet; "
            "`hydock build --check` parses and checks a Dockerfile.",
            err=True,
        )
        raise click.exceptions.Exit(1)
    name, text = _read_dockerfile(context, dockerfile)
    raise click.exceptions.Exit(check_dockerfile(name, text, _build_args(build_args), target, platform))


def check_dockerfile(name: str, text: str, build_args: dict[str, str], target: str, platform: str) -> int:
    """Prints the warnings (stdout) or the error (stderr); the exit status, as `docker build --check` sets it."""
    from hydock.dockerfile import lint, parse
    from hydock.dockerfile.report import render_error, render_warnings
    from hydock.errors import DockerfileError

    host = _host_platform()
    try:
        result = lint(parse(text, name), build_args, target=target, build_platform=host, target_platform=platform)
    except DockerfileError as exc:
        click.echo(render_error(exc, text), err=True)
        return 1
    click.echo(render_warnings(result.findings, text, name))
    violation = result.violation()
    if violation:
        click.echo(f"ERROR: {violation}", err=True)
        return 1
    return 0


def _read_dockerfile(context: str, dockerfile: str) -> tuple[str, str]:
    """The Dockerfile's name in messages (as given to -f, as buildx shows it) and its text;
    `-f -` or a `-` context read it from stdin."""
    if dockerfile == "-" or (context == "-" and not dockerfile):
        return "Dockerfile", _decode(_stdin_dockerfile(sys.stdin.buffer.read()))
    if "://" in context or context.startswith("git@"):
        _fail("remote build contexts are not supported yet: give a local directory")
    if context != "-" and not os.path.isdir(context):
        _fail(f'unable to prepare context: path "{context}" not found')
    path = os.path.abspath(dockerfile or os.path.join(context, "Dockerfile"))
    if not dockerfile and not os.path.exists(path) and os.path.exists(os.path.join(context, "dockerfile")):
        path = os.path.abspath(os.path.join(context, "dockerfile"))
    try:
        with open(path, "rb") as file:
            return dockerfile or "Dockerfile", _decode(file.read())
    except OSError as exc:
        _fail(
            f"unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {path}: {(exc.strerror or str(exc)).lower()}"
        )


def _stdin_dockerfile(data: bytes) -> bytes:
    """`docker build - < Dockerfile` sends the file itself; `- < context.tar` a context holding it."""
    import io
    import tarfile

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            member = archive.extractfile("Dockerfile")
            return member.read() if member is not None else b""
    except (tarfile.TarError, KeyError):
        return data


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _build_args(values: tuple[str, ...]) -> dict[str, str]:
    """`--build-arg K=V`; a bare `--build-arg K` takes K from the environment, as docker does, or is dropped."""
    args: dict[str, str] = {}
    for value in values:
        key, has_value, given = value.partition("=")
        if has_value:
            args[key] = given
        elif key in os.environ:
            args[key] = os.environ[key]
    return args


def _host_platform() -> str:
    from hydock.platforms import host_architecture

    return f"linux/{host_architecture()}"


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


def register(group: click.Group) -> None:
    group.add_command(build)
