"""Entry point of the `hydock` CLI: the command group, global options and the one error mapping."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from hydock import __version__

CONTEXT = {"help_option_names": ["--help"], "max_content_width": 120}

# Docker exits 125 when the docker command itself fails (bad flag, daemon error).
USAGE_EXIT = 125

# The module that registers each command: a command line imports only the one it runs, since every
# millisecond of import is paid by every `hydock` invocation.
COMMAND_MODULES = {
    "hydock.cli.container_commands": (
        "run", "create", "start", "attach", "exec", "ps", "logs", "stop", "kill", "restart", "pause", "unpause", "rename",
        "update", "top", "wait", "rm", "inspect", "stats", "container",
    ),
    "hydock.cli.image_commands": ("import", "images", "tag", "rmi", "history", "save", "load", "image", "commit"),
    "hydock.cli.system_commands": ("version", "info", "events", "system"),
    "hydock.cli.registry_commands": ("registry",),
    "hydock.cli.distribution_commands": ("pull", "push", "login", "logout"),
    "hydock.cli.volume_commands": ("volume",),
    "hydock.cli.file_commands": ("cp", "diff", "export"),
    "hydock.cli.network_commands": ("network", "port"),
    "hydock.cli.build_commands": ("build", "builder"),
}  # fmt: skip


class DockerStyleGroup(click.Group):
    """Maps every error to one line on stderr and Docker's exit codes, in one place."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **kwargs: Any
    ) -> Any:
        from hydock.errors import HydockError, LocalError

        try:
            result = super().main(args, prog_name, standalone_mode=False, **kwargs)
        except click.exceptions.NoSuchOption as exc:
            click.echo(f"unknown flag: {exc.option_name}\nSee '{_command_path(exc)} --help'.", err=True)
            sys.exit(USAGE_EXIT)
        except click.UsageError as exc:
            click.echo(f"{_command_path(exc)}: {exc.format_message()}\nSee '{_command_path(exc)} --help'.", err=True)
            sys.exit(USAGE_EXIT)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            sys.exit(130)
        except click.ClickException as exc:
            click.echo(f"hydock: {exc.format_message()}", err=True)
            sys.exit(USAGE_EXIT)
        except HydockError as exc:
            from hydock.client.errors import DaemonUnavailable

            # Like docker, "Cannot connect..." is the CLI's own message, not the daemon's.
            prefix = "" if isinstance(exc, DaemonUnavailable | LocalError) else "Error response from daemon: "
            click.echo(f"{prefix}{exc}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            sys.exit(141)
        # Without standalone mode, click returns the code of an Exit raised by a command.
        sys.exit(result if isinstance(result, int) else 0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for names in COMMAND_MODULES.values() for name in names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            module = next((m for m, names in COMMAND_MODULES.items() if cmd_name in names), None)
            if module is not None:
                import importlib

                importlib.import_module(module).register(self)
        return self.commands.get(cmd_name)


def _command_path(exc: click.UsageError) -> str:
    return exc.ctx.command_path if exc.ctx else "hydock"


@click.group(cls=DockerStyleGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", "-v", message="hydock version %(version)s")
@click.option("--root", envvar="HYDOCK_ROOT", default=None, help="Root of the store [default: /var/lib/hydock].")
@click.option(
    "-H",
    "--host",
    envvar="HYDOCK_HOST",
    default=None,
    help="Daemon socket to connect to (unix:///path, tcp://host:port).",
)
@click.pass_context
def cli(ctx: click.Context, root: str | None, host: str | None) -> None:
    """A Docker-compatible container engine."""
    from hydock.cli.context import Target

    ctx.obj = Target(host, root)


def main() -> NoReturn:
    """The `hydock` command. It ends with os._exit once its output is flushed: tearing the interpreter down (every
    module and object freed) would add ~14 ms to each command, and nothing is left to do by then: the CLI's threads
    are daemons and its files are closed by their `with` blocks. In-process callers use `cli.main` instead."""
    try:
        cli.main(prog_name="hydock")
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = 141
    os._exit(code)
