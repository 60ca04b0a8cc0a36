"""`hydock volume create|ls|inspect|rm|prune`, printed as the docker CLI prints them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from hydock.cli.context import api, exits_1_on_refusal, for_each_target, inspect_each
from hydock.cli.key_value_flags import key_values, parse_filters

if TYPE_CHECKING:
    from hydock.api_storage import Volume


VOLUME_HEADERS = {
    "Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT", "Labels": "LABELS",
    "Links": "LINKS", "Size": "SIZE", "CreatedAt": "CREATED",
}  # fmt: skip
VOLUME_TABLE = "table {{.Driver}}\t{{.Name}}"


@click.group("volume")
def volume_group() -> None:
    """Manage volumes."""


@volume_group.command("create")
@click.option("--name", default="", help="Specify volume name")
@click.option("-d", "--driver", default="local", help="Specify volume driver name")
@click.option("--label", multiple=True, help="Set metadata for a volume")
@click.option("-o", "--opt", multiple=True, help="Set driver specific options")
@click.argument("volume", required=False, default="")
def create(name: str, driver: str, label: tuple[str, ...], opt: tuple[str, ...], volume: str) -> None:
    """Create a volume."""
    from hydock.api_storage import VolumeCreateBody

    if name and volume:
        raise click.UsageError("Conflicting options: either specify --name or provide positional arg, not both")
    body = VolumeCreateBody(
        name=name or volume, driver=driver, driver_opts=key_values(opt) or None, labels=key_values(label) or None
    )
    with exits_1_on_refusal():
        click.echo(api().create_volume(body).name)


@volume_group.command("ls")
@click.option("-q", "--quiet", is_flag=True, help="Only display volume names")
@click.option("-f", "--filter", "filters", multiple=True, help='Provide filter values (e.g. "dangling=true")')
@click.option("--format", "fmt", default="", help="Format output using a custom template")
def list_volumes(quiet: bool, filters: tuple[str, ...], fmt: str) -> None:
    """List volumes."""
    from hydock.cli.gotemplate import format_objects

    with exits_1_on_refusal():
        volumes = api().volumes(parse_filters(filters)).volumes
    if quiet:
        for volume in volumes:
            click.echo(volume.name)
        return
    rows = [_row(volume) for volume in volumes]
    click.echo(
        format_objects(fmt if fmt not in ("", "table") else VOLUME_TABLE, rows, headers=VOLUME_HEADERS), nl=False
    )


def _row(volume: Volume) -> dict[str, Any]:
    """The fields `docker volume ls --format` offers, as the docker CLI renders them."""
    from hydock.units import human_size

    labels = volume.labels or {}
    usage = volume.usage_data
    return {
        "Name": volume.name,
        "Driver": volume.driver,
        "Scope": volume.scope,
        "Mountpoint": volume.mountpoint,
        "Labels": ",".join(f"{k}={v}" for k, v in labels.items()),
        "Links": "N/A" if usage is None or usage.ref_count < 0 else str(usage.ref_count),
        "Size": "N/A" if usage is None or usage.size < 0 else human_size(usage.size),
        "CreatedAt": volume.created_at,
    }


@volume_group.command("inspect")
@click.option("-f", "--format", "fmt", default="", help="Format output using a custom template")
@click.argument("names", nargs=-1, required=True)
def inspect(fmt: str, names: tuple[str, ...]) -> None:
    """Display detailed information on one or more volumes."""
    inspect_each(names, api().inspect_volume, fmt)


@volume_group.command("rm")
@click.option("-f", "--force", is_flag=True, help="Force the removal of one or more volumes")
@click.argument("names", nargs=-1, required=True)
def remove(force: bool, names: tuple[str, ...]) -> None:
    """Remove one or more volumes. You cannot remove a volume that is in use by a container."""
    client = api()

    def remove_one(name: str) -> None:
        client.remove_volume(name, force=force)
        click.echo(name)

    for_each_target(names, remove_one)


@volume_group.command("prune")
@click.option("-a", "--all", "all_", is_flag=True, help="Remove all unused volumes, not just anonymous ones")
@click.option("--filter", "filters", multiple=True, help='Provide filter values (e.g. "label=<label>")')
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
def prune(all_: bool, filters: tuple[str, ...], force: bool) -> None:
    """Remove unused local volumes (anonymous ones only, unless -a)."""
    from hydock.cli.prompts import confirm
    from hydock.cli.prune_report import print_deleted, print_reclaimed

    which = "all local volumes" if all_ else "anonymous local volumes"
    if not force and not confirm(f"WARNING! This will remove {which} not used by at least one container."):
        return
    wanted = parse_filters(filters)
    wanted.setdefault("all", [str(all_).lower()])
    with exits_1_on_refusal():
        report = api().prune_volumes(wanted)
    print_deleted("Deleted Volumes", report.volumes_deleted)
    print_reclaimed(report.space_reclaimed)


volume_group.add_command(list_volumes, "list")


def register(group: click.Group) -> None:
    group.add_command(volume_group)
