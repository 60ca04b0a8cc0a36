"""Container commands: run, create, start, ps, logs, stop, kill, restart, pause, unpause, rename, update, top, wait,
rm, inspect, stats, container prune."""

from __future__ import annotations

import functools
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

import click
import msgspec

from hydock.cli.context import api, for_each_target
from hydock.cli.run_options import RUN_CONTEXT, container_options, create_body
from hydock.cli.table import print_table, short_id, truncate
from hydock.errors import HydockError

if TYPE_CHECKING:
    from hydock.api_types import ContainerSummary, CreateBody, UpdateBody
    from hydock.client.api import APIClient

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


class StartFailed(HydockError):
    """The daemon could not start the container's process."""


@contextmanager
def docker_run_exit_codes() -> Iterator[None]:
    """`docker run`/`create` exit 125 when the daemon refuses; a failed start 127 or 126 as its message says."""
    try:
        yield
    except StartFailed as exc:
        message = str(exc).lower()
        if "executable file not found" in message or "no such file or directory" in message:
            exc.exit_code = 127
        elif "permission denied" in message:
            exc.exit_code = 126
        else:
            exc.exit_code = 125
        raise
    except HydockError as exc:
        exc.exit_code = 125
        raise


def _create(client: APIClient, body: CreateBody, name: str | None) -> str:
    """Creates the container, pulling its image first when it is not here, as docker run and create do."""
    from hydock.errors import ImageNotFound

    try:
        return client.create_container(body, name).id
    except ImageNotFound:
        from hydock.cli.progress import display
        from hydock.registry.credentials import registry_auth_header
        from hydock.store.reference import parse_reference

        ref = parse_reference(body.image)
        if ref.digest is None:
            ref = ref.with_default_tag()
        click.echo(f"Unable to find image '{ref.familiar()}' locally", err=True)
        auth = registry_auth_header(ref.domain)
        display(client.pull(ref.repository, ref.digest or ref.tag or "", registry_auth=auth), sys.stderr)
    return client.create_container(body, name).id


def _start(client: APIClient, container: str) -> bool:
    try:
        return client.start(container)
    except HydockError as exc:
        raise StartFailed(str(exc)) from None


DETACH_KEYS_HELP = "Override the key sequence for detaching a container"


class Attach(NamedTuple):
    """How a session attaches: to a tty or not, with the user's stdin or not, and the detach keys (text and bytes)."""

    tty: bool
    stdin: bool
    keys_text: str
    keys: bytes


@click.command("run", context_settings=RUN_CONTEXT)
@click.option("-d", "--detach", is_flag=True, help="Run container in background and print container ID")
@click.option("--detach-keys", default="", help=DETACH_KEYS_HELP)
@container_options
def run(detach: bool, detach_keys: str, image: str, command: tuple[str, ...], **params: Any) -> None:
    """Create and run a new container from an image."""
    from hydock.cli.terminal import check_tty, detach_sequence

    with docker_run_exit_codes():
        body = create_body(image, command, params)
        client = api()
        if detach:
            body = msgspec.structs.replace(
                body, attach_stdin=False, attach_stdout=False, attach_stderr=False, stdin_once=False
            )
            container_id = _create(client, body, params["name"])
            _start(client, container_id)
            click.echo(container_id)
            return
        check_tty(body.attach_stdin, body.tty)
        how = Attach(body.tty, body.attach_stdin, detach_keys, detach_sequence(detach_keys))
        # On a tty, ctrl-c and the like reach the process as keys: Docker proxies no signals then.
        with SignalProxy(client.transport.base_url, enabled=not body.tty) as proxy:
            container_id = _create(client, body, params["name"])
            proxy.target(container_id)
            status = _attach_and_start(client, container_id, "removed" if params["remove"] else "next-exit", how)
    # Detached: the container runs on, and `run` ends quietly with 0, as Docker's does.
    raise click.exceptions.Exit(status or 0)


def _attach_and_start(
    client: APIClient, container_id: str, condition: str, how: Attach, *, start: bool = True
) -> int | None:
    """Docker's foreground run (and attach, with `start` False): attach, have the daemon acknowledge the wait,
    start, copy the session, exit status; None when the user detached."""
    from hydock.cli.terminal import copy_session, side_client, window_size_synced

    with client.attach(container_id, stdin=how.stdin, detach_keys=how.keys_text) as stream:
        waiting = client.wait(container_id, condition)
        try:
            if start and not _start(client, container_id):
                return 0
            side = side_client(client)
            resize = functools.partial(side.resize, container_id)
            with window_size_synced(resize, enabled=how.tty, redraw=not start):
                detached = copy_session(stream, tty_mode=how.tty, send_stdin=how.stdin, detach_keys=how.keys)
            return None if detached else waiting.result().status_code
        finally:
            waiting.close()


def _detached_or(status: int | None) -> click.exceptions.Exit:
    """attach and exec end on the detach keys as Docker's do: with its message and 1."""
    from hydock.cli.terminal import DETACHED_MESSAGE

    if status is None:
        click.echo(DETACHED_MESSAGE, err=True)
        return click.exceptions.Exit(1)
    return click.exceptions.Exit(status)


@click.command("attach")
@click.option("--detach-keys", default="", help=DETACH_KEYS_HELP)
@click.option("--no-stdin", is_flag=True, help="Do not attach STDIN")
@click.option("--sig-proxy/--no-sig-proxy", default=True, help="Proxy all received signals to the process")
@click.argument("container")
def attach(detach_keys: str, no_stdin: bool, sig_proxy: bool, container: str) -> None:
    """Attach local standard input, output, and error streams to a running container."""
    from hydock.cli.terminal import check_tty, detach_sequence

    client = api()
    inspected = client.inspect_container(container)
    state, config = inspected["State"], inspected["Config"]
    if not state["Running"]:
        click.echo("You cannot attach to a stopped container, start it first", err=True)
        raise click.exceptions.Exit(1)
    if state["Paused"]:
        click.echo("You cannot attach to a paused container, unpause it first", err=True)
        raise click.exceptions.Exit(1)
    check_tty(not no_stdin, config["Tty"])
    how = Attach(config["Tty"], not no_stdin and config["OpenStdin"], detach_keys, detach_sequence(detach_keys))
    with SignalProxy(client.transport.base_url, enabled=sig_proxy and not how.tty) as proxy:
        proxy.target(inspected["Id"])
        status = _attach_and_start(client, inspected["Id"], "not-running", how, start=False)
    raise _detached_or(status)


@click.command("exec", context_settings=RUN_CONTEXT)
@click.option("-d", "--detach", is_flag=True, help="Detached mode: run command in the background")
@click.option("--detach-keys", default="", help=DETACH_KEYS_HELP)
@click.option("-e", "--env", multiple=True, help="Set environment variables")
@click.option("-i", "--interactive", is_flag=True, help="Keep STDIN open even if not attached")
@click.option("-t", "--tty", "tty_mode", is_flag=True, help="Allocate a pseudo-TTY")
@click.option("-u", "--user", default="", help="Username or UID (format: <name|uid>[:<group|gid>])")
@click.option("-w", "--workdir", default="", help="Working directory inside the container")
@click.argument("container")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(
    detach: bool,
    detach_keys: str,
    env: tuple[str, ...],
    interactive: bool,
    tty_mode: bool,
    user: str,
    workdir: str,
    container: str,
    command: tuple[str, ...],
) -> None:
    """Execute a command in a running container."""
    from hydock.api_types import ExecConfig
    from hydock.cli.terminal import check_tty, copy_session, detach_sequence, side_client, window_size_synced

    if not detach:
        check_tty(interactive, tty_mode)
    keys = detach_sequence(detach_keys)
    client = api()
    config = ExecConfig(
        list(command),
        env=list(env) or None,
        user=user,
        working_dir=workdir,
        attach_stdin=interactive and not detach,
        tty=tty_mode,
        detach_keys=detach_keys,
    )
    exec_id = client.create_exec(container, config)
    if detach:
        client.start_exec_detached(exec_id)
        return
    with client.start_exec(exec_id, tty=tty_mode) as stream:
        side = side_client(client)
        with window_size_synced(lambda h, w: side.resize_exec(exec_id, h, w), enabled=tty_mode):
            detached = copy_session(stream, tty_mode=tty_mode, send_stdin=interactive, detach_keys=keys)
    raise _detached_or(None if detached else client.inspect_exec(exec_id)["ExitCode"] or 0)


class SignalProxy:
    """Docker's --sig-proxy: signals to the CLI go to the container through POST /kill, including those that
    arrive before it is created (held until its id is known). Not `enabled`, it leaves signals alone."""

    def __init__(self, base_url: str, *, enabled: bool = True) -> None:
        self.base_url = base_url
        self.enabled = enabled
        self.container_id = ""
        self.pending: list[int] = []
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> SignalProxy:
        for signum in FORWARDED_SIGNALS if self.enabled else ():
            self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, _frame: object) -> None:
        if self.container_id:
            self._send(signum)
        else:
            self.pending.append(signum)

    def target(self, container_id: str) -> None:
        self.container_id = container_id
        for signum in self.pending:
            self._send(signum)
        self.pending.clear()

    def _send(self, signum: int) -> None:
        from hydock.client.api import APIClient
        from hydock.client.transport import Transport

        # A connection of its own: the handler may interrupt the main thread in the middle of a request.
        transport = Transport(self.base_url)
        try:
            APIClient(transport).kill(self.container_id, signum)
        except HydockError:
            pass  # the container is already gone or stopped: nothing left to signal
        finally:
            transport.close()


@click.command("create", context_settings=RUN_CONTEXT)
@container_options
def create(image: str, command: tuple[str, ...], **params: Any) -> None:
    """Create a new container."""
    with docker_run_exit_codes():
        container_id = _create(api(), create_body(image, command, params), params["name"])
    click.echo(container_id)


@click.command("start")
@click.option("-a", "--attach", is_flag=True, help="Attach STDOUT/STDERR and forward signals")
@click.option("--detach-keys", default="", help=DETACH_KEYS_HELP)
@click.option("-i", "--interactive", is_flag=True, help="Attach container's STDIN")
@click.argument("names", nargs=-1, required=True)
def start(attach: bool, detach_keys: str, interactive: bool, names: tuple[str, ...]) -> None:
    """Start one or more stopped containers."""
    from hydock.cli.terminal import check_tty, detach_sequence

    client = api()
    if attach or interactive:
        if len(names) != 1:
            raise click.UsageError("you cannot start and attach multiple containers at once")
        config = client.inspect_container(names[0])["Config"]
        check_tty(interactive, config["Tty"])
        how = Attach(config["Tty"], interactive and config["OpenStdin"], detach_keys, detach_sequence(detach_keys))
        with SignalProxy(client.transport.base_url, enabled=not how.tty) as proxy:
            proxy.target(names[0])
            with docker_run_exit_codes():
                status = _attach_and_start(client, names[0], "next-exit", how)
        raise click.exceptions.Exit(status or 0)

    def start_one(name: str) -> None:
        client.start(name)
        click.echo(name)

    for_each_target(names, start_one)


PS_HEADERS = {
    "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Size": "SIZE",
    "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS",
}  # fmt: skip
PS_TABLE = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"


@click.command("ps")
@click.option("-a", "--all", "all_", is_flag=True, help="Show all containers (default shows just running)")
@click.option("-q", "--quiet", is_flag=True, help="Only display container IDs")
@click.option("--no-trunc", is_flag=True, help="Don't truncate output")
@click.option("-n", "--last", type=int, default=-1, help="Show n last created containers (includes all states)")
@click.option("-l", "--latest", is_flag=True, help="Show the latest created container (includes all states)")
@click.option("-f", "--filter", "filters", multiple=True, help="Filter output based on conditions provided")
@click.option("--format", "fmt", default="", help="Format output using a custom template")
@click.option("-s", "--size", is_flag=True, help="Display total file sizes")
def ps(
    all_: bool, quiet: bool, no_trunc: bool, last: int, latest: bool, filters: tuple[str, ...], fmt: str, size: bool
) -> None:
    """List containers."""
    from hydock.cli.gotemplate import format_objects
    from hydock.cli.key_value_flags import parse_filters

    if latest:
        last = 1
    summaries = api().containers(all=all_ or last >= 0, limit=last, filters=parse_filters(filters), size=size)
    if quiet:
        for summary in summaries:
            click.echo(summary.id if no_trunc else short_id(summary.id))
        return
    now = time.time()
    rows = [_ps_row(summary, now, no_trunc) for summary in summaries]
    default = PS_TABLE + "\t{{.Size}}" if size else PS_TABLE
    click.echo(format_objects(fmt if fmt not in ("", "table") else default, rows, headers=PS_HEADERS), nl=False)


def _ps_row(summary: ContainerSummary, now: float, no_trunc: bool) -> dict[str, str]:
    """The fields docker ps --format offers, as the docker CLI renders them."""
    import json

    from hydock.cli.network_commands import display_ports
    from hydock.timeutil import human_duration
    from hydock.units import human_size

    command = summary.command if no_trunc else truncate(summary.command, 20)
    return {
        "ID": summary.id if no_trunc else short_id(summary.id),
        "Image": summary.image,
        "Command": json.dumps(command, ensure_ascii=False),
        "CreatedAt": time.strftime("%Y-%m-%d %H:%M:%S %z %Z", time.localtime(summary.created)),
        "RunningFor": f"{human_duration(now - summary.created)} ago",
        "Ports": display_ports(summary.ports),
        "State": summary.state,
        "Status": summary.status,
        "Size": ""
        if summary.size_rw is None
        else f"{human_size(summary.size_rw)} (virtual {human_size(summary.size_root_fs or 0)})",
        "Names": ",".join(name.lstrip("/") for name in summary.names),
        "Labels": ",".join(f"{k}={v}" for k, v in summary.labels.items()),
        "Mounts": ",".join(
            (point.name or point.source) if no_trunc else truncate(point.name or point.source, 15)
            for point in summary.mounts
        ),
        "Networks": ",".join(summary.network_settings.networks),
    }


@click.command("logs")
@click.option("-f", "--follow", is_flag=True, help="Follow log output")
@click.option("-n", "--tail", default="all", help='Number of lines to show from the end of the logs (default "all")')
@click.argument("name")
def logs(follow: bool, tail: str, name: str) -> None:
    """Fetch the logs of a container."""
    out, err = sys.stdout.buffer, sys.stderr.buffer
    client = api()
    tty = client.inspect_container(name)["Config"]["Tty"]
    for stream, data in client.logs(name, follow=follow, tail=tail, tty=tty):
        target = out if stream == "stdout" else err
        target.write(data)
        if follow:
            target.flush()


@click.command("stop")
@click.option("-t", "--time", "timeout", type=int, default=None, help="Seconds to wait before killing the container")
@click.argument("names", nargs=-1, required=True)
def stop(timeout: int | None, names: tuple[str, ...]) -> None:
    """Stop one or more running containers."""
    client = api()

    def stop_one(name: str) -> None:
        client.stop(name, timeout)
        click.echo(name)

    for_each_target(names, stop_one)


@click.command("kill")
@click.option("-s", "--signal", "signal_name", default="KILL", help="Signal to send to the container")
@click.argument("names", nargs=-1, required=True)
def kill(signal_name: str, names: tuple[str, ...]) -> None:
    """Kill one or more running containers."""
    client = api()

    def kill_one(name: str) -> None:
        client.kill(name, signal_name)
        click.echo(name)

    for_each_target(names, kill_one)


@click.command("wait")
@click.argument("names", nargs=-1, required=True)
def wait(names: tuple[str, ...]) -> None:
    """Block until one or more containers stop, then print their exit codes."""
    client = api()
    for_each_target(names, lambda name: click.echo(client.wait(name).result().status_code))


@click.command("rm")
@click.option("-f", "--force", is_flag=True, help="Force the removal of a running container (uses SIGKILL)")
@click.option("-v", "--volumes", is_flag=True, help="Remove anonymous volumes associated with the container")
@click.argument("names", nargs=-1, required=True)
def rm(force: bool, volumes: bool, names: tuple[str, ...]) -> None:
    """Remove one or more containers."""
    client = api()

    def remove_one(name: str) -> None:
        client.remove_container(name, force=force, volumes=volumes)
        click.echo(name)

    for_each_target(names, remove_one)


@click.command("inspect")
@click.option(
    "--type", "kind", type=click.Choice(["container", "image"]), default=None, help="Return JSON for specified type"
)
@click.option("-f", "--format", "fmt", default="", help="Format output using a custom template")
@click.argument("names", nargs=-1, required=True)
def inspect(kind: str | None, fmt: str, names: tuple[str, ...]) -> None:
    """Return low-level information on containers or images."""
    from hydock.cli.gotemplate import format_objects
    from hydock.errors import NotFound

    client = api()
    results, failed = [], False
    for name in names:
        try:
            if kind != "image":
                try:
                    results.append(client.inspect_container(name))
                    continue
                except NotFound:
                    if kind == "container":
                        raise
            results.append(client.inspect_image(name))
        except NotFound:
            click.echo(f"Error: No such object: {name}", err=True)
            failed = True
    if fmt:
        click.echo(format_objects(fmt, results), nl=False)
    else:
        import json

        click.echo(json.dumps(results, indent=4))
    if failed:
        raise click.exceptions.Exit(1)


@click.command("stats")
@click.option("--no-stream", is_flag=True, help="Disable streaming stats and only pull the first result")
@click.option("-a", "--all", "all_", is_flag=True, help="Show all containers (default shows just running)")
@click.argument("names", nargs=-1)
def stats(no_stream: bool, all_: bool, names: tuple[str, ...]) -> None:
    """Display a live stream of container(s) resource usage statistics."""
    from hydock.cli.stats_view import live_view, print_once

    client = api()
    if no_stream:
        print_once(client, list(names) or [summary.id for summary in client.containers(all=all_)])
    else:
        live_view(client, list(names), all_)


@click.command("restart")
@click.option("-t", "--time", "timeout", type=int, default=None, help="Seconds to wait before killing the container")
@click.argument("names", nargs=-1, required=True)
def restart(timeout: int | None, names: tuple[str, ...]) -> None:
    """Restart one or more containers."""
    client = api()

    def restart_one(name: str) -> None:
        client.restart(name, timeout)
        click.echo(name)

    for_each_target(names, restart_one)


@click.command("pause")
@click.argument("names", nargs=-1, required=True)
def pause(names: tuple[str, ...]) -> None:
    """Pause all processes within one or more containers."""
    client = api()

    def pause_one(name: str) -> None:
        client.pause(name)
        click.echo(name)

    for_each_target(names, pause_one)


@click.command("unpause")
@click.argument("names", nargs=-1, required=True)
def unpause(names: tuple[str, ...]) -> None:
    """Unpause all processes within one or more containers."""
    client = api()

    def unpause_one(name: str) -> None:
        client.unpause(name)
        click.echo(name)

    for_each_target(names, unpause_one)


@click.command("rename")
@click.argument("container")
@click.argument("new_name")
def rename(container: str, new_name: str) -> None:
    """Rename a container."""
    api().rename(container, new_name.strip())


@click.command("update")
@click.option("-m", "--memory", default="", help="Memory limit")
@click.option("--memory-swap", default="", help="Swap limit equal to memory plus swap: -1 to enable unlimited swap")
@click.option("--cpus", default="", help="Number of CPUs")
@click.option("-c", "--cpu-shares", type=int, default=0, help="CPU shares (relative weight)")
@click.option("--cpu-period", type=int, default=0, help="Limit CPU CFS (Completely Fair Scheduler) period")
@click.option("--cpu-quota", type=int, default=0, help="Limit CPU CFS (Completely Fair Scheduler) quota")
@click.option("--pids-limit", type=int, default=0, help="Tune container pids limit (set -1 for unlimited)")
@click.option("--restart", default="", help="Restart policy to apply when a container exits")
@click.argument("names", nargs=-1, required=True)
def update(names: tuple[str, ...], **params: Any) -> None:
    """Update configuration of one or more containers."""
    body = _update_body(params)
    client = api()

    def update_one(name: str) -> None:
        for warning in client.update(name, body).warnings:
            click.echo(warning, err=True)
        click.echo(name)

    for_each_target(names, update_one)


def _update_body(params: dict[str, Any]) -> UpdateBody:
    from hydock.api_types import RestartPolicy, UpdateBody, restart_policy_from_text
    from hydock.cli.run_options import nano_cpus
    from hydock.errors import InvalidArgument
    from hydock.units import parse_bytes

    if not any(params.values()):
        raise InvalidArgument("you must provide one or more flags when using this command")
    swap = params["memory_swap"]
    restart = params["restart"]
    return UpdateBody(
        memory=parse_bytes(params["memory"]) if params["memory"] else 0,
        memory_swap=-1 if swap == "-1" else parse_bytes(swap) if swap else 0,
        nano_cpus=nano_cpus(params["cpus"]) if params["cpus"] else 0,
        cpu_shares=params["cpu_shares"],
        cpu_quota=params["cpu_quota"],
        cpu_period=params["cpu_period"],
        pids_limit=params["pids_limit"] or None,
        restart_policy=(RestartPolicy("no") if restart == "no" else restart_policy_from_text(restart))
        if restart
        else None,
    )


@click.command("top", context_settings={"ignore_unknown_options": True})
@click.argument("container")
@click.argument("ps_args", nargs=-1, type=click.UNPROCESSED)
def top(container: str, ps_args: tuple[str, ...]) -> None:
    """Display the running processes of a container."""
    listing = api().top(container, " ".join(ps_args))
    print_table(listing.titles, listing.processes, min_width=20)  # docker top's own tabwriter


@click.group("container")
def container_group() -> None:
    """Manage containers."""


@container_group.command("prune")
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
def prune(force: bool) -> None:
    """Remove all stopped containers."""
    from hydock.cli.prompts import confirm
    from hydock.cli.prune_report import print_deleted, print_reclaimed

    if not force and not confirm("WARNING! This will remove all stopped containers."):
        return
    report = api().prune_containers()
    print_deleted("Deleted Containers", report.containers_deleted)
    print_reclaimed(report.space_reclaimed)


def register(group: click.Group) -> None:
    for command in (
        run,
        create,
        start,
        attach,
        exec_,
        ps,
        logs,
        stop,
        kill,
        restart,
        pause,
        unpause,
        rename,
        update,
        top,
    ):
        group.add_command(command)
    for command in (wait, rm, inspect, stats, container_group):
        group.add_command(command)
