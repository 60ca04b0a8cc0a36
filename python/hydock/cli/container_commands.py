"""Container commands: run, create, start, ps, logs, stop, kill, wait, rm, inspect, stats."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from hydock.cli.context import engine, for_each_target
from hydock.cli.run_options import RUN_CONTEXT, container_options, run_options
from hydock.cli.table import print_table, short_id, truncate
from hydock.errors import ContainerStartError, HydockError


@contextmanager
def docker_run_exit_codes() -> Iterator[None]:
    """`docker run`/`create` exit 125 when the daemon refuses, whatever the error's usual code."""
    try:
        yield
    except ContainerStartError:
        raise
    except HydockError as exc:
        exc.exit_code = 125
        raise


FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


@click.command("run", context_settings=RUN_CONTEXT)
@click.option("-d", "--detach", is_flag=True, help="Run container in background and print container ID")
@container_options
def run(detach: bool, image: str, command: tuple[str, ...], **params: Any) -> None:
    """Create and run a new container from an image."""
    service = engine().container_service
    with docker_run_exit_codes():
        record = service.create(image, list(command), run_options(params))
        if detach:
            service.start(record.id)
            click.echo(record.id)
            return
        sys.stdout.flush()
        with SignalProxy() as proxy:
            started = service.start(record.id, stdout_fd=sys.stdout.fileno(), stderr_fd=sys.stderr.fileno())
            assert started is not None
            proxy.target(started.pid)
            exited = service.wait_started(started)
    raise click.exceptions.Exit(exited.exit_code)


class SignalProxy:
    """Docker's --sig-proxy: signals to the CLI go to the container, including those that
    arrive while it is still starting (held until its pid is known)."""

    def __init__(self) -> None:
        self.pid = 0
        self.pending: list[int] = []
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> SignalProxy:
        for signum in FORWARDED_SIGNALS:
            self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, _frame: object) -> None:
        if self.pid:
            self._send(signum)
        else:
            self.pending.append(signum)

    def target(self, pid: int) -> None:
        self.pid = pid
        for signum in self.pending:
            self._send(signum)
        self.pending.clear()

    def _send(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass


@click.command("create", context_settings=RUN_CONTEXT)
@container_options
def create(image: str, command: tuple[str, ...], **params: Any) -> None:
    """Create a new container."""
    with docker_run_exit_codes():
        record = engine().container_service.create(image, list(command), run_options(params))
    click.echo(record.id)


@click.command("start")
@click.option("-a", "--attach", is_flag=True, help="Attach STDOUT/STDERR and forward signals")
@click.argument("names", nargs=-1, required=True)
def start(attach: bool, names: tuple[str, ...]) -> None:
    """Start one or more stopped containers."""
    service = engine().container_service
    if attach:
        if len(names) != 1:
            raise click.UsageError("you cannot start and attach multiple containers at once")
        with SignalProxy() as proxy:
            started = service.start(names[0], stdout_fd=sys.stdout.fileno(), stderr_fd=sys.stderr.fileno())
            if started is None:
                return
            proxy.target(started.pid)
            exited = service.wait_started(started)
        raise click.exceptions.Exit(exited.exit_code)

    def start_one(name: str) -> None:
        service.start(name)
        click.echo(name)

    for_each_target(names, start_one)


@click.command("ps")
@click.option("-a", "--all", "all_", is_flag=True, help="Show all containers (default shows just running)")
@click.option("-q", "--quiet", is_flag=True, help="Only display container IDs")
@click.option("--no-trunc", is_flag=True, help="Don't truncate output")
@click.option("-n", "--last", type=int, default=-1, help="Show n last created containers (includes all states)")
@click.option("-l", "--latest", is_flag=True, help="Show the latest created container (includes all states)")
def ps(all_: bool, quiet: bool, no_trunc: bool, last: int, latest: bool) -> None:
    """List containers."""
    from hydock.engine.status import status_text
    from hydock.timeutil import human_duration, parse_rfc3339

    if latest:
        last = 1
    records = engine().container_service.list_records(all=all_ or last >= 0)
    if last >= 0:
        records = records[:last]
    if quiet:
        for record in records:
            click.echo(record.id if no_trunc else short_id(record.id))
        return
    now = time.time()
    rows = []
    for record in records:
        command = " ".join([record.path, *record.args])
        rows.append([
            record.id if no_trunc else short_id(record.id),
            record.config.image,
            json.dumps(command if no_trunc else truncate(command, 20), ensure_ascii=False),
            f"{human_duration(now - parse_rfc3339(record.created))} ago",
            status_text(record.state, now),
            "",
            record.name.lstrip("/"),
        ])  # fmt: skip
    print_table(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"], rows)


@click.command("logs")
@click.option("-f", "--follow", is_flag=True, help="Follow log output")
@click.option("-n", "--tail", default="all", help='Number of lines to show from the end of the logs (default "all")')
@click.argument("name")
def logs(follow: bool, tail: str, name: str) -> None:
    """Fetch the logs of a container."""
    lines = None if tail == "all" else int(tail)
    out, err = sys.stdout.buffer, sys.stderr.buffer
    for stream, data in engine().container_service.logs(name, follow=follow, tail=lines):
        target = out if stream == "stdout" else err
        target.write(data)
        if follow:
            target.flush()


@click.command("stop")
@click.option("-t", "--time", "timeout", type=int, default=None, help="Seconds to wait before killing the container")
@click.argument("names", nargs=-1, required=True)
def stop(timeout: int | None, names: tuple[str, ...]) -> None:
    """Stop one or more running containers."""
    service = engine().container_service

    def stop_one(name: str) -> None:
        service.stop(name, timeout)
        click.echo(name)

    for_each_target(names, stop_one)


@click.command("kill")
@click.option("-s", "--signal", "signal_name", default="KILL", help="Signal to send to the container")
@click.argument("names", nargs=-1, required=True)
def kill(signal_name: str, names: tuple[str, ...]) -> None:
    """Kill one or more running containers."""
    service = engine().container_service

    def kill_one(name: str) -> None:
        service.kill(name, signal_name)
        click.echo(name)

    for_each_target(names, kill_one)


@click.command("wait")
@click.argument("names", nargs=-1, required=True)
def wait(names: tuple[str, ...]) -> None:
    """Block until one or more containers stop, then print their exit codes."""
    service = engine().container_service
    for_each_target(names, lambda name: click.echo(service.wait(name).exit_code))


@click.command("rm")
@click.option("-f", "--force", is_flag=True, help="Force the removal of a running container (uses SIGKILL)")
@click.argument("names", nargs=-1, required=True)
def rm(force: bool, names: tuple[str, ...]) -> None:
    """Remove one or more containers."""
    service = engine().container_service

    def remove_one(name: str) -> None:
        service.remove(name, force=force)
        click.echo(name)

    for_each_target(names, remove_one)


@click.command("inspect")
@click.option(
    "--type", "kind", type=click.Choice(["container", "image"]), default=None, help="Return JSON for specified type"
)
@click.argument("names", nargs=-1, required=True)
def inspect(kind: str | None, names: tuple[str, ...]) -> None:
    """Return low-level information on containers or images."""
    import msgspec

    from hydock.errors import NotFound

    eng = engine()
    results, failed = [], False
    for name in names:
        try:
            if kind != "image":
                try:
                    results.append(msgspec.to_builtins(eng.container_service.inspect(name)))
                    continue
                except NotFound:
                    if kind == "container":
                        raise
            results.append(msgspec.to_builtins(eng.image_service.inspect(name)))
        except NotFound:
            click.echo(f"Error: No such object: {name}", err=True)
            failed = True
    click.echo(json.dumps(results, indent=4))
    if failed:
        raise click.exceptions.Exit(1)


@click.command("stats")
@click.option("--no-stream", is_flag=True, help="Disable streaming stats and only pull the first result")
@click.option("-a", "--all", "all_", is_flag=True, help="Show all containers (default shows just running)")
@click.argument("names", nargs=-1)
def stats(no_stream: bool, all_: bool, names: tuple[str, ...]) -> None:
    """Display a live stream of container(s) resource usage statistics."""
    from hydock.units import binary_size

    service = engine().container_service
    records = [service.inspect(n) for n in names] if names else service.list_records(all=all_)
    interval = 0.5
    ncpu = os.cpu_count() or 1
    while True:
        first = {r.id: service.stats(r.id) for r in records}
        time.sleep(interval)
        rows = []
        for record in records:
            now = service.stats(record.id)
            before = first.get(record.id) or {}
            if now and before:
                cpu = (now["cpu_usage_ns"] - before["cpu_usage_ns"]) / (interval * 1e9) * 100
                limit = now["memory_limit"] or _host_memory()
                usage = now["memory_usage"] - now["memory_stat"].get(
                    "total_inactive_file", now["memory_stat"].get("inactive_file", 0)
                )
                mem = f"{binary_size(usage)} / {binary_size(limit)}"
                mem_pct = f"{usage / limit * 100:.2f}%"
                pids = str(now["pids_current"])
                cpu_text = f"{min(cpu, ncpu * 100):.2f}%"
            else:
                cpu_text, mem, mem_pct, pids = "0.00%", "0B / 0B", "0.00%", "0"
            rows.append(
                [short_id(record.id), record.name.lstrip("/"), cpu_text, mem, mem_pct, "0B / 0B", "0B / 0B", pids]
            )
        print_table(
            ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"], rows
        )
        if no_stream:
            return


def _host_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def register(group: click.Group) -> None:
    for command in (run, create, start, ps, logs, stop, kill, wait, rm, inspect, stats):
        group.add_command(command)
