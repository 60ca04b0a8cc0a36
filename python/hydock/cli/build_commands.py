"""`hydock build` (the context sent to the daemon as a tar, .dockerignore applied here as the docker CLI applies
it; its progress shown as classic lines or a live view), `hydock build --check` (parse and lint here, no daemon),
and `hydock builder prune`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import NoReturn

import click

PROGRESS_MODES = ("auto", "plain", "tty", "quiet")
SECRETS_HEADER = "X-Build-Secrets"


@click.command("build")
@click.option("-t", "--tag", "tags", multiple=True, metavar="list", help='Name and optionally a tag ("name:tag")')
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
@click.option("--no-cache", is_flag=True, help="Do not use cache when building the image")
@click.option("--pull", is_flag=True, help="Always attempt to pull a newer version of the image")
@click.option("--label", "labels", multiple=True, metavar="list", help="Set metadata for an image")
@click.option("--platform", default="", metavar="string", help="Set platform if server is multi-platform capable")
@click.option("--network", default="", metavar="string", help='Networking mode for RUN ("host", "none")')
@click.option(
    "--progress",
    default="auto",
    type=click.Choice(PROGRESS_MODES),
    help="Type of progress output (auto, plain, tty, quiet)",
)
@click.option("-q", "--quiet", is_flag=True, help="Suppress the build output and print image ID on success")
@click.option("--iidfile", default="", metavar="string", help="Write the image ID to the file")
@click.option("--secret", "secrets", multiple=True, metavar="stringArray", help='Secret: "id=mysecret,src=/path"')
@click.option("-o", "--output", "outputs", multiple=True, metavar="stringArray", help='Output: "type=local,dest=path"')
@click.option("--check", is_flag=True, help="Check build configuration and Dockerfile without building")
@click.argument("context", metavar="PATH | URL | -")
def build(
    tags: tuple[str, ...],
    dockerfile: str,
    build_args: tuple[str, ...],
    target: str,
    no_cache: bool,
    pull: bool,
    labels: tuple[str, ...],
    platform: str,
    network: str,
    progress: str,
    quiet: bool,
    iidfile: str,
    secrets: tuple[str, ...],
    outputs: tuple[str, ...],
    check: bool,
    context: str,
) -> None:
    """Build an image from a Dockerfile."""
    if check:
        name, text = _read_dockerfile(context, dockerfile)
        raise click.exceptions.Exit(check_dockerfile(name, text, _build_args(build_args), target, platform))
    import msgspec

    from hydock.cli.build_progress import show_build
    from hydock.cli.context import api
    from hydock.errors import InvalidArgument
    from hydock.registry.credentials import registry_config_header

    body, dockerfile_name = _context_body(context, dockerfile)
    mode = "quiet" if quiet else progress
    if mode == "auto":
        mode = "tty" if sys.stdout.isatty() else "plain"
    args = _build_args(build_args)
    if "SOURCE_DATE_EPOCH" in os.environ:
        # As buildx: the variable is passed on as the build arg the build reads.
        args.setdefault("SOURCE_DATE_EPOCH", os.environ["SOURCE_DATE_EPOCH"])
    query = {
        "t": list(tags) or None,
        "dockerfile": dockerfile_name or None,
        "buildargs": msgspec.json.encode(args).decode() if args else None,
        "target": target or None,
        "nocache": no_cache or None,
        "pull": pull or None,
        "labels": msgspec.json.encode(_labels(labels)).decode() if labels else None,
        "q": mode == "quiet" or None,
        "platform": platform or None,
        "networkmode": network or None,
        "outputs": msgspec.json.encode([_output(o) for o in outputs]).decode() if outputs else None,
        "stepevents": mode == "tty" or None,
    }
    headers = {"X-Registry-Config": registry_config_header()}
    if secrets:
        headers[SECRETS_HEADER] = msgspec.json.encode([_secret(spec) for spec in secrets]).decode()
    sent = _Counted(body)
    messages = api().build(sent, query, headers)
    if mode != "quiet":
        messages = _after_sending(messages, sent)
    try:
        image_id = show_build(messages, sys.stdout, mode)
    except InvalidArgument as exc:
        # The daemon refused the build (a bad Dockerfile, a bad flag): docker build exits 1, not 125.
        click.echo(f"Error response from daemon: {exc}", err=True)
        raise click.exceptions.Exit(1) from None
    if mode == "quiet":
        click.echo(image_id)
    if iidfile:
        with open(iidfile, "w") as out:
            out.write(image_id)


class _Counted:
    """The context's chunks as they are sent, counted."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = chunks
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.size += len(chunk)
            yield chunk


def _after_sending(messages: Iterable, sent: _Counted) -> Iterator:
    """The messages, after the line the docker CLI prints once the context is sent (the daemon answers then)."""
    from hydock.units import human_size

    announced = False
    for message in messages:
        if not announced:
            click.echo(f"Sending build context to Docker daemon  {human_size(sent.size)}")
            announced = True
        yield message


def _context_body(context: str, dockerfile: str) -> tuple[Iterable[bytes], str]:
    """The context tar to send and the Dockerfile's path in it ("" for the default)."""
    import secrets as random
    from pathlib import Path

    from hydock.client.build_context import context_tar
    from hydock.dockerfile.dockerignore import IgnoreMatcher, load_matcher

    if context == "-":
        if dockerfile == "-":
            _fail("invalid argument: can't use stdin for both build context and dockerfile")
        data = sys.stdin.buffer.read()
        if _is_tar(data):
            return [data], dockerfile
        return context_tar(None, IgnoreMatcher([]), set(), {"Dockerfile": data}), ""
    if "://" in context or context.startswith("git@"):
        _fail("remote build contexts are not supported yet: give a local directory")
    root = Path(context)
    if not root.is_dir():
        _fail(f'unable to prepare context: path "{context}" not found')
    extra: dict[str, bytes] = {}
    if dockerfile == "-":
        name = f".dockerfile.{random.token_hex(10)}"
        extra[name] = sys.stdin.buffer.read()
        path = root / name
    else:
        path = Path(os.path.abspath(dockerfile)) if dockerfile else root / "Dockerfile"
        if not dockerfile and not path.exists() and (root / "dockerfile").exists():
            path = root / "dockerfile"
        if not path.is_file():
            _fail(
                f"unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {path}: no such file or directory"
            )
        relative = os.path.relpath(path, os.path.abspath(root))
        if relative.startswith(".."):
            name = f".dockerfile.{random.token_hex(10)}"
            extra[name] = path.read_bytes()
        else:
            name = relative
    matcher = load_matcher(root, path)
    return context_tar(root, matcher, {name, ".dockerignore"}, extra), name if (dockerfile or extra) else ""


def _is_tar(data: bytes) -> bool:
    import io
    import tarfile

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            return archive.next() is not None
    except tarfile.TarError:
        return False


def _labels(values: tuple[str, ...]) -> dict[str, str]:
    return {key: value for key, _, value in (item.partition("=") for item in values)}


def _output(spec: str) -> object:
    """`-o type=local,dest=out`, or `-o out` (a directory, as buildx reads it)."""
    from hydock.api_types import BuildOutput

    if "=" not in spec:
        return BuildOutput("local", {"dest": os.path.abspath(spec)})
    fields = dict(item.partition("=")[::2] for item in spec.split(","))
    kind = fields.pop("type", "local")
    if "dest" in fields:
        fields["dest"] = os.path.abspath(fields["dest"])
    return BuildOutput(kind, fields)


def _secret(spec: str) -> object:
    """`--secret id=ID[,src=FILE|,env=VAR]`: with neither, the variable ID if it is set, else the file ID."""
    from hydock.api_types import BuildSecret

    fields = dict(item.partition("=")[::2] for item in spec.split(","))
    ident = fields.get("id", "")
    source = fields.get("src") or fields.get("source", "")
    variable = fields.get("env", "")
    if not ident:
        _fail(f"invalid secret {spec!r}: id=... is required")
    if not source and not variable:
        variable, source = (ident, "") if ident in os.environ else ("", ident)
    if variable:
        if variable not in os.environ:
            _fail(f"secret {ident}: environment variable {variable} is not set")
        return BuildSecret(ident, os.environ[variable].encode())
    try:
        with open(os.path.expanduser(source), "rb") as file:
            return BuildSecret(ident, file.read())
    except OSError as exc:
        _fail(f"secret {ident}: {exc.strerror}: {source}")


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


@click.group("builder")
def builder_group() -> None:
    """Manage builds."""


@builder_group.command("prune")
@click.option("-a", "--all", "everything", is_flag=True, help="Remove all unused build cache, not just dangling ones")
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
def prune(everything: bool, force: bool) -> None:
    """Remove build cache."""
    from hydock.cli.context import api
    from hydock.cli.prompts import confirm
    from hydock.cli.prune_report import print_deleted, print_reclaimed

    warning = "all build cache" if everything else "all dangling build cache"
    if not force and not confirm(f"WARNING! This will remove {warning}."):
        return
    report = api().prune_build_cache(all=everything)
    print_deleted("Deleted build cache objects", report.caches_deleted)
    print_reclaimed(report.space_reclaimed)


def register(group: click.Group) -> None:
    group.add_command(build)
    group.add_command(builder_group)
