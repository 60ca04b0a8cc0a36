"""System commands: version, info, events."""

from __future__ import annotations

import time

import click

from hydock import __version__
from hydock.cli.context import api


@click.command("version")
@click.option("-f", "--format", "fmt", default="", help="Format the output using the given Go template")
def version(fmt: str) -> None:
    """Show the hydock version information (client and daemon)."""
    client = api()
    server = client.transport.request("GET", "/version").json()
    data = {"Client": {"Version": __version__, "ApiVersion": client.transport.api_version or ""}, "Server": server}
    if fmt:
        from hydock.cli.gotemplate import format_objects

        click.echo(format_objects(fmt, [data]), nl=False)
        return
    click.echo(f"Client:\n Version:\t{__version__}\n API version:\t{data['Client']['ApiVersion']}\n")
    click.echo(
        f"Server:\n Version:\t{server['Version']}\n API version:\t{server['ApiVersion']} (minimum version {server['MinAPIVersion']})"
    )
    click.echo(f" OS/Arch:\t{server['Os']}/{server['Arch']}\n Kernel:\t{server['KernelVersion']}")


@click.command("info")
@click.option("-f", "--format", "fmt", default="", help="Format the output using the given Go template")
def info(fmt: str) -> None:
    """Display system-wide information."""
    data = api().transport.request("GET", "/info").json()
    if fmt:
        from hydock.cli.gotemplate import format_objects

        click.echo(format_objects(fmt, [data]), nl=False)
        return
    lines = [
        f"Containers: {data['Containers']}",
        f" Running: {data['ContainersRunning']}",
        f" Paused: {data['ContainersPaused']}",
        f" Stopped: {data['ContainersStopped']}",
        f"Images: {data['Images']}",
        f"Server Version: {data['ServerVersion']}",
        f"Storage Driver: {data['Driver']}",
        f"Logging Driver: {data['LoggingDriver']}",
        f"Cgroup Driver: {data['CgroupDriver']}",
        f"Cgroup Version: {data['CgroupVersion']}",
        f"Kernel Version: {data['KernelVersion']}",
        f"Operating System: {data['OperatingSystem']}",
        f"Architecture: {data['Architecture']}",
        f"CPUs: {data['NCPU']}",
        f"Total Memory: {data['MemTotal']}",
        f"Name: {data['Name']}",
        f"ID: {data['ID']}",
        f"Hydock Root Dir: {data['DockerRootDir']}",
    ]
    click.echo("\n".join(lines))


@click.command("events")
@click.option("--since", default=None, help="Show all events created since timestamp")
@click.option("--until", default=None, help="Stream events until this timestamp")
@click.option("-f", "--filter", "filters", multiple=True, help="Filter output based on conditions provided")
@click.option("--format", "fmt", default="", help="Format the output using the given Go template")
def events(since: str | None, until: str | None, filters: tuple[str, ...], fmt: str) -> None:
    """Get real time events from the daemon."""
    import msgspec

    from hydock.client.streams import json_stream

    wanted: dict[str, list[str]] = {}
    for item in filters:
        key, _, value = item.partition("=")
        wanted.setdefault(key, []).append(value)
    query: dict[str, str] = {}
    if since:
        query["since"] = since
    if until:
        query["until"] = until
    if wanted:
        query["filters"] = msgspec.json.encode(wanted).decode()
    response = api().transport.request("GET", "/events", query=query, stream=True)
    template = None
    if fmt:
        from hydock.cli.gotemplate import parse

        template = parse(fmt)
    with response:
        for event in json_stream(response.iter_lines()):
            if template is not None:
                click.echo(template.render(event))
                continue
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event["time"]))
            attributes = ", ".join(f"{k}={v}" for k, v in sorted(event["Actor"]["Attributes"].items()))
            click.echo(
                f"{stamp}.{event['timeNano'] % 1_000_000_000:09d}Z {event['Type']} {event['Action']} {event['Actor']['ID']} ({attributes})"
            )


def register(group: click.Group) -> None:
    for command in (version, info, events):
        group.add_command(command)
