"""The CLI's side of an attached session (run, start -a, attach, exec), as Docker's CLI does it: the terminal in raw
mode while a tty takes the user's keys, those keys sent on (watched for the detach keys), the output copied back,
and the window size sent at the start and on every SIGWINCH."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import termios
import threading
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from hydock.detach_keys import DEFAULT_DETACH_KEYS, DetachScanner, parse_detach_keys
from hydock.errors import HydockError

if TYPE_CHECKING:
    from hydock.client.api import APIClient
    from hydock.client.transport import HijackedConnection

STDIN, STDOUT = 0, 1
# What the CLI handles while attached: the window size, and what --sig-proxy forwards.
HANDLED_SIGNALS = {
    signal.SIGWINCH, signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2
}  # fmt: skip
# What Docker's CLI says, and exits 1 with, when attach or exec end on the detach keys.
DETACHED_MESSAGE = "read escape sequence"


def check_tty(attach_stdin: bool, tty_mode: bool) -> None:
    """Docker's CheckTty: a tty that takes the user's input needs a terminal to take it from."""
    if attach_stdin and tty_mode and not os.isatty(STDIN):
        click.echo("the input device is not a TTY", err=True)
        raise click.exceptions.Exit(1)


def detach_sequence(keys: str) -> bytes:
    """The bytes of --detach-keys (Docker's default when empty); refused before anything is created."""
    try:
        return parse_detach_keys(keys or DEFAULT_DETACH_KEYS)
    except HydockError as exc:
        raise click.BadParameter(str(exc), param_hint="'--detach-keys'") from None


def copy_session(
    connection: HijackedConnection, *, tty_mode: bool, send_stdin: bool, detach_keys: bytes | None
) -> bool:
    """Copies stdin to the process (when `send_stdin`) and its output to stdout and stderr until the output ends;
    True when the user typed the detach keys (watched for on a tty only, as Docker does)."""
    detached = threading.Event()
    with raw_terminal(tty_mode and send_stdin):
        if send_stdin:
            keys = detach_keys if tty_mode else None
            threading.Thread(target=_send_stdin, args=(connection, keys, detached), daemon=True).start()
        _copy_output(connection, tty_mode)
    return detached.is_set()


def _send_stdin(connection: HijackedConnection, keys: bytes | None, detached: threading.Event) -> None:
    """Until stdin's end (then the write side is closed, for the process to see its EOF) or the detach keys (then
    the whole stream, which ends the session)."""
    # Signals (SIGWINCH above all) must wake the main thread, whose handlers act on them at once.
    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
    scanner = DetachScanner(keys) if keys else None
    try:
        while data := os.read(STDIN, 32 * 1024):
            if scanner is not None:
                data = scanner.feed(data)
            if data:
                connection.write(data)
            if scanner is not None and scanner.detached:
                detached.set()
                connection.shutdown()
                return
        connection.close_write()
    except (OSError, HydockError):
        return  # the session ended first


def _copy_output(connection: HijackedConnection, tty_mode: bool) -> None:
    from hydock.client.streams import demux

    out, err = sys.stdout.buffer, sys.stderr.buffer
    if tty_mode:
        # A tty's output is one raw stream, not multiplexed frames.
        for data in connection.iter_chunks():
            out.write(data)
            out.flush()
        return
    for number, data in demux(connection.iter_chunks()):
        target = out if number == STDOUT else err
        target.write(data)
        target.flush()


@contextmanager
def raw_terminal(enabled: bool) -> Iterator[None]:
    """The terminal on stdin in raw mode (keys go to the process as typed: ctrl-c is a byte, not a signal), restored
    however the session ends; SIGTERM and SIGHUP end it through the restoring path too."""
    if not enabled or not os.isatty(STDIN):
        yield
        return
    saved = termios.tcgetattr(STDIN)
    previous = {signum: signal.signal(signum, _exit_on_signal) for signum in (signal.SIGTERM, signal.SIGHUP)}
    tty.setraw(STDIN, termios.TCSANOW)
    try:
        yield
    finally:
        # A terminal that hung up (its window closed) has no mode left to restore.
        with contextlib.suppress(termios.error):
            termios.tcsetattr(STDIN, termios.TCSADRAIN, saved)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def window_size_synced(resize: Callable[[int, int], None], enabled: bool, *, redraw: bool = False) -> Iterator[None]:
    """Sends the terminal's size (of stdout, as Docker measures it) now and whenever it changes. With `redraw`, a
    size one larger goes first, as Docker's attach does: the change makes a shell that sits at its prompt (and
    printed it long ago) print it again."""
    if not enabled or not os.isatty(STDOUT):
        yield
        return

    def send(*_: object, grow: int = 0) -> None:
        columns, lines = os.get_terminal_size(STDOUT)
        if lines or columns:
            try:
                resize(lines + grow, columns + grow)
            except HydockError:
                pass  # the process is gone, or not started yet: the next change will tell it

    previous = signal.signal(signal.SIGWINCH, send)
    if redraw:
        send(grow=1)
    send()
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous)


def side_client(client: APIClient) -> APIClient:
    """A second client on the same daemon, for requests made while the first one's connection streams (and from
    signal handlers, which may interrupt it mid-request)."""
    from hydock.client.api import APIClient
    from hydock.client.transport import Transport

    transport = Transport(client.transport.base_url)
    transport.api_version = client.transport.api_version
    return APIClient(transport)
