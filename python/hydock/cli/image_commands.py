"""Image commands: import, images, tag, rmi, history, save, load (and image inspect, shared with `inspect`)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from hydock.cli.context import api, for_each_target
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
    from hydock.errors import InvalidArgument

    try:
        tar = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InvalidArgument(f"open {source}: {exc.strerror.lower() if exc.strerror else exc}") from None
    with tar:
        body = iter(lambda: tar.read(1 << 20), b"")
        image_id = api().import_image(body, reference, changes=list(changes), message=message)
    click.echo(image_id)


IMAGES_HEADERS = {
    "Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "Digest": "DIGEST", "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT", "Size": "SIZE", "Containers": "CONTAINERS",
}  # fmt: skip
IMAGES_TABLE = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"


@click.command("images")
@click.option("-a", "--all", "all_", is_flag=True, help="Show all images")
@click.option("-q", "--quiet", is_flag=True, help="Only show image IDs")
@click.option("--no-trunc", is_flag=True, help="Don't truncate output")
@click.option("--format", "fmt", default="", help="Format output using a custom template")
@click.argument("repository", required=False)
def images(all_: bool, quiet: bool, no_trunc: bool, fmt: str, repository: str | None) -> None:
    """List images."""
    from hydock.cli.gotemplate import format_objects
    from hydock.store.reference import parse_reference

    rows = []
    now = time.time()
    wanted = parse_reference(repository).familiar_repository if repository else None
    for summary in api().images(all=all_):
        ident = summary.id if no_trunc else short_id(summary.id)
        for name in summary.repo_tags or ["<none>:<none>"]:
            repo, _, tag = name.rpartition(":")
            if wanted and repo != wanted:
                continue
            rows.append({
                "Repository": repo,
                "Tag": tag,
                "ID": ident,
                "Digest": "<none>",
                "CreatedSince": f"{human_duration(now - summary.created)} ago",
                "CreatedAt": time.strftime("%Y-%m-%d %H:%M:%S %z %Z", time.localtime(summary.created)),
                "Size": human_size(summary.size),
                "Containers": "N/A" if summary.containers < 0 else str(summary.containers),
            })  # fmt: skip
    if quiet:
        for ident in dict.fromkeys(row["ID"] for row in rows):
            click.echo(ident)
        return
    table = fmt if fmt not in ("", "table") else IMAGES_TABLE
    click.echo(format_objects(table, rows, headers=IMAGES_HEADERS), nl=False)


@click.command("tag")
@click.argument("source")
@click.argument("target")
def tag(source: str, target: str) -> None:
    """Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE."""
    api().tag(source, target)


@click.command("rmi")
@click.option("-f", "--force", is_flag=True, help="Force removal of the image")
@click.argument("names", nargs=-1, required=True)
def rmi(force: bool, names: tuple[str, ...]) -> None:
    """Remove one or more images."""
    client = api()

    def remove_one(name: str) -> None:
        for action in client.remove_image(name, force=force):
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
    entries = api().history(name)
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


@click.command("save")
@click.option("-o", "--output", default=None, help="Write to a file, instead of STDOUT")
@click.argument("names", metavar="IMAGE...", nargs=-1, required=True)
def save(output: str | None, names: tuple[str, ...]) -> None:
    """Save one or more images to a tar archive (streamed to STDOUT by default)."""
    if output is None:
        if sys.stdout.isatty():
            click.echo("cowardly refusing to save to a terminal. Use the -o flag or redirect", err=True)
            raise click.exceptions.Exit(1)
        for chunk in api().save_images(list(names)):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return
    import os

    from hydock.store.atomic import temp_sibling

    # Like docker, the file appears only once the whole archive is in it.
    target = Path(output)
    partial = temp_sibling(target)
    try:
        with open(partial, "wb") as archive:
            for chunk in api().save_images(list(names)):
                archive.write(chunk)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


@click.command("load")
@click.option("-i", "--input", "input_", default=None, help="Read from tar archive file, instead of STDIN")
@click.option("-q", "--quiet", is_flag=True, help="Suppress the load output")
def load(input_: str | None, quiet: bool) -> None:
    """Load images from a tar archive (docker save, OCI layout) or STDIN."""
    from hydock.errors import InvalidArgument

    if input_ is None and sys.stdin.isatty():
        click.echo("requested load from stdin, but stdin is empty", err=True)
        raise click.exceptions.Exit(1)
    try:
        tar = sys.stdin.buffer if input_ is None else open(input_, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InvalidArgument(f"open {input_}: {exc.strerror.lower() if exc.strerror else exc}") from None
    with tar:
        for message in api().load_images(iter(lambda: tar.read(1 << 20), b""), quiet=quiet):
            click.echo(message.stream, nl=False)


@click.command("commit")
@click.option("-a", "--author", default="", help='Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
@click.option("-c", "--change", "changes", multiple=True, help="Apply Dockerfile instruction to the created image")
@click.option("-m", "--message", default="", help="Commit message")
@click.option("-p", "--pause/--no-pause", default=True, help="Pause container during commit")
@click.argument("container")
@click.argument("repository", required=False)
def commit(
    author: str, changes: tuple[str, ...], message: str, pause: bool, container: str, repository: str | None
) -> None:
    """Create a new image from a container's changes."""
    click.echo(api().commit(container, repository, changes=list(changes), message=message, author=author, pause=pause))


@click.group("image")
def image_group() -> None:
    """Manage images."""


@image_group.command("prune")
@click.option("-a", "--all", "all_images", is_flag=True, help="Remove all unused images, not just dangling ones")
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
def prune(all_images: bool, force: bool) -> None:
    """Remove unused images."""
    from hydock.cli.prompts import confirm
    from hydock.cli.system_commands import print_image_prune

    warning = (
        "WARNING! This will remove all images without at least one container associated to them."
        if all_images
        else "WARNING! This will remove all dangling images."
    )
    if not force and not confirm(warning):
        return
    report = api().prune_images(dangling_only=not all_images)
    print_image_prune(report.images_deleted, report.space_reclaimed)


def register(group: click.Group) -> None:
    from hydock.cli.distribution_commands import pull, push

    for command in (import_, images, tag, rmi, history, save, load, commit):
        group.add_command(command)
    # docker image ...: the same commands under their management names.
    for name, command in (("ls", images), ("rm", rmi), ("tag", tag), ("history", history), ("import", import_),
                          ("save", save), ("load", load), ("pull", pull), ("push", push)):  # fmt: skip
        image_group.add_command(command, name)
    group.add_command(image_group)
