"""Image commands: import, images, tag, rmi, history (and image inspect, shared with `inspect`)."""

from __future__ import annotations

import time

import click

from hydock.cli.context import engine, for_each_target
from hydock.cli.table import print_table, short_id
from hydock.timeutil import human_duration
from hydock.units import human_size


@click.command("import")
@click.option("-c", "--change", "changes", multiple=True, help="Apply Dockerfile instruction to the created image")
@click.option("-m", "--message", default="", help="Set commit message for imported image")
@click.argument("source")
@click.argument("reference", required=False)
def import_(changes: tuple[str, ...], message: str, source: str, reference: str | None) -> None:
    """Import the contents from a tarball to create a filesystem image."""
    image_id = engine().image_service.import_image(source, reference, changes=list(changes), message=message)
    click.echo(image_id)


@click.command("images")
@click.option("-a", "--all", "all_", is_flag=True, help="Show all images")
@click.option("-q", "--quiet", is_flag=True, help="Only show image IDs")
@click.option("--no-trunc", is_flag=True, help="Don't truncate output")
@click.argument("repository", required=False)
def images(all_: bool, quiet: bool, no_trunc: bool, repository: str | None) -> None:
    """List images."""
    from hydock.store.reference import parse_reference

    rows = []
    now = time.time()
    wanted = parse_reference(repository).familiar_repository if repository else None
    for summary in engine().image_service.summaries(all=all_):
        ident = summary.id if no_trunc else short_id(summary.id)
        names = summary.repo_tags or ["<none>:<none>"]
        for name in names:
            repo, _, tag = name.rpartition(":")
            if wanted and repo != wanted:
                continue
            created = f"{human_duration(now - summary.created)} ago"
            rows.append([repo, tag, ident, created, human_size(summary.size)])
    if quiet:
        for ident in dict.fromkeys(row[2] for row in rows):
            click.echo(ident)
        return
    print_table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows)


@click.command("tag")
@click.argument("source")
@click.argument("target")
def tag(source: str, target: str) -> None:
    """Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE."""
    engine().image_service.tag(source, target)


@click.command("rmi")
@click.option("-f", "--force", is_flag=True, help="Force removal of the image")
@click.argument("names", nargs=-1, required=True)
def rmi(force: bool, names: tuple[str, ...]) -> None:
    """Remove one or more images."""
    eng = engine()
    in_use = {record.image for record in eng.container_service.list_records(all=True)}

    def remove_one(name: str) -> None:
        for action in eng.image_service.remove(name, force=force, in_use=in_use):
            for key, value in action.items():
                click.echo(f"{key}: {value}")

    for_each_target(names, remove_one)


@click.command("history")
@click.option("-H", "--human", default=True, type=bool, help="Print sizes and dates in human readable format")
@click.option("-q", "--quiet", is_flag=True, help="Only show image IDs")
@click.option("--no-trunc", is_flag=True, help="Don't truncate output")
@click.argument("name")
def history(human: bool, quiet: bool, no_trunc: bool, name: str) -> None:
    """Show the history of an image."""
    now = time.time()
    entries = engine().image_service.history(name)
    if quiet:
        for entry in entries:
            click.echo(entry.id if no_trunc else short_id(entry.id))
        return
    rows = []
    for entry in entries:
        created_by = (
            entry.created_by
            if no_trunc
            else (entry.created_by[:44] + "…" if len(entry.created_by) > 45 else entry.created_by)
        )
        rows.append([
            entry.id if no_trunc or entry.id == "<missing>" else short_id(entry.id),
            f"{human_duration(now - entry.created)} ago" if human else str(entry.created),
            created_by,
            human_size(entry.size) if human else str(entry.size),
            entry.comment,
        ])  # fmt: skip
    print_table(["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"], rows)


def register(group: click.Group) -> None:
    for command in (import_, images, tag, rmi, history):
        group.add_command(command)
