"""System commands: version, info, events, and the `system` group (df, prune, info, events)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from hydock import __version__
from hydock.cli.context import api

if TYPE_CHECKING:
    from hydock.api_storage import Volume
    from hydock.api_types import DiskUsage


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


@click.group("system")
def system_group() -> None:
    """Manage hydock."""


@system_group.command("df")
@click.option("-v", "--verbose", is_flag=True, help="Show detailed information on space usage")
def disk_usage(verbose: bool) -> None:
    """Show hydock disk usage."""
    from hydock.cli.table import print_table
    from hydock.units import human_size

    usage = api().disk_usage()
    in_use = [image for image in usage.images if image.containers > 0]
    used = sum(image.size - image.shared_size for image in in_use if image.shared_size >= 0)
    size_rw = sum(container.size_rw or 0 for container in usage.containers)
    idle_rw = sum(container.size_rw or 0 for container in usage.containers if container.state != "running")
    active_volumes = [volume for volume in usage.volumes if volume.usage_data and volume.usage_data.ref_count > 0]
    volumes_size = sum(_volume_size(volume) for volume in usage.volumes)
    rows = [
        ["Images", str(len(usage.images)), str(len(in_use)), human_size(usage.layers_size),
         _reclaimable(usage.layers_size - used, usage.layers_size)],
        ["Containers", str(len(usage.containers)), str(sum(c.state == "running" for c in usage.containers)),
         human_size(size_rw), _reclaimable(idle_rw, size_rw)],
        ["Local Volumes", str(len(usage.volumes)), str(len(active_volumes)), human_size(volumes_size),
         _reclaimable(volumes_size - sum(_volume_size(v) for v in active_volumes), volumes_size)],
        ["Build Cache", "0", "0", "0B", "0B"],
    ]  # fmt: skip
    if not verbose:
        print_table(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], rows)
        return
    _print_verbose_usage(usage)


def _volume_size(volume: Volume) -> int:
    return max(volume.usage_data.size, 0) if volume.usage_data else 0


def _reclaimable(reclaimable: int, total: int) -> str:
    from hydock.units import human_size

    return f"{human_size(reclaimable)} ({reclaimable * 100 // total}%)" if total > 0 else human_size(reclaimable)


def _print_verbose_usage(usage: DiskUsage) -> None:
    from hydock.cli.table import print_table, short_id
    from hydock.timeutil import human_duration
    from hydock.units import human_size

    now = time.time()
    click.echo("Images space usage:\n")
    rows = []
    for image in usage.images:
        for name in image.repo_tags or ["<none>:<none>"]:
            repo, _, tag = name.rpartition(":")
            shared = max(image.shared_size, 0)
            rows.append([repo, tag, short_id(image.id), f"{human_duration(now - image.created)} ago",
                         human_size(image.size), human_size(shared), human_size(image.size - shared),
                         str(image.containers)])  # fmt: skip
    print_table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"], rows)
    click.echo("\nContainers space usage:\n")
    rows = [
        [short_id(c.id), c.image, c.command, "0", human_size(c.size_rw or 0),
         f"{human_duration(now - c.created)} ago", c.status, ",".join(n.lstrip("/") for n in c.names)]
        for c in usage.containers
    ]  # fmt: skip
    print_table(["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"], rows)
    click.echo("\nLocal Volumes space usage:\n")
    rows = [
        [v.name, str(v.usage_data.ref_count if v.usage_data else 0), human_size(_volume_size(v))] for v in usage.volumes
    ]
    print_table(["VOLUME NAME", "LINKS", "SIZE"], rows)
    click.echo("\nBuild cache usage: 0B\n")
    print_table(["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"], [])


@system_group.command("prune")
@click.option("-a", "--all", "all_images", is_flag=True, help="Remove all unused images not just dangling ones")
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
def prune(all_images: bool, force: bool) -> None:
    """Remove unused data: stopped containers and dangling (with -a, unused) images."""
    from hydock.cli.prompts import confirm
    from hydock.cli.prune_report import print_deleted

    images = "all images without at least one container associated to them" if all_images else "all dangling images"
    if not force and not confirm(f"WARNING! This will remove:\n  - all stopped containers\n  - {images}\n"):
        return
    client = api()
    containers = client.prune_containers()
    images_report = client.prune_images(dangling_only=not all_images)
    print_deleted("Deleted Containers", containers.containers_deleted)
    print_image_prune(images_report.images_deleted, containers.space_reclaimed + images_report.space_reclaimed)


def print_image_prune(deleted: list[dict[str, str]] | None, reclaimed: int) -> None:
    """Docker's report of a prune: the untagged and deleted images, then the space reclaimed."""
    from hydock.cli.prune_report import print_reclaimed

    if deleted:
        click.echo("Deleted Images:")
        for action in deleted:
            for kind, subject in action.items():
                click.echo(f"{kind.lower()}: {subject}")
        click.echo()
    print_reclaimed(reclaimed)


def register(group: click.Group) -> None:
    for command in (version, info, events):
        group.add_command(command)
        system_group.add_command(command)
    group.add_command(system_group)
