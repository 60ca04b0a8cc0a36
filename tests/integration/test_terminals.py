"""Interactive containers through the hydock CLI, on a real terminal (tmux): run -it, attach, exec -it, window sizes,
detach keys, stdin, a tty's logs, and the live stats view."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Cli
from tests.tmux_terminal import TmuxTerminal, tmux_terminal

SHELL_PROMPT = r"^/ #( |$)"


@pytest.fixture
def term(tmp_path: Path) -> Iterator[TmuxTerminal]:
    with tmux_terminal(tmp_path) as terminal:
        yield terminal


def hydock_line(cli: Cli, *args: str) -> str:
    """The command line that runs the CLI under test, to type on the terminal."""
    return shlex.join(cli.argv(*args))


def status(cli: Cli, name: str) -> str:
    return cli("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name).stdout.decode().strip()


def test_run_it_shell_resize_interrupt_detach_and_attach_again(cli: Cli, image: str, term: TmuxTerminal) -> None:
    term.run(hydock_line(cli, "run", "-it", "--name", "shell", "--network", "none", image, "sh"))
    term.wait_for(SHELL_PROMPT)
    term.run("tty; echo $TERM; stty size")
    term.wait_for(r"^/dev/pts/0\nxterm\n30 100$")
    term.wait_for_window(20, 80)
    # Raw mode on the client and a controlling terminal in the container: ctrl-c interrupts the foreground job.
    term.run("sleep 100")
    term.keys("C-c")
    term.run("echo $((40 + 2))")
    term.wait_for(r"^42$")

    term.keys("C-p", "C-q")
    assert term.exit_status() == 0
    assert status(cli, "shell") == "running 0"

    term.clear()
    term.run(hydock_line(cli, "attach", "shell"))
    # attach nudges the window size, so the shell prints its prompt again.
    term.wait_for(SHELL_PROMPT)
    term.run("echo $((40 + 3))")
    term.wait_for(r"^43$")
    term.keys("C-p", "C-q")
    term.wait_for(r"read escape sequence")
    assert term.exit_status() == 1

    term.run(hydock_line(cli, "attach", "shell"))
    term.wait_for(SHELL_PROMPT)
    term.run("exit 3")
    assert term.exit_status() == 3
    assert status(cli, "shell") == "exited 3"
    logs = cli("logs", "shell")
    assert b"42\r\n" in logs.stdout and b"43\r\n" in logs.stdout and logs.stderr == b""


def test_exec_it_with_its_own_pty_size_and_detach_keys(cli: Cli, image: str, term: TmuxTerminal) -> None:
    assert cli("run", "-d", "--name", "host", "--network", "none", image, "sleep", "300").returncode == 0
    term.run(hydock_line(cli, "exec", "-it", "--detach-keys", "ctrl-x,y", "host", "sh"))
    term.wait_for(SHELL_PROMPT)
    term.run("tty; echo $TERM; stty size")
    term.wait_for(r"^/dev/pts/0\nxterm\n30 100$")
    term.wait_for_window(25, 90)
    # The default keys are no detach sequence here: they reach the shell (C-u empties the line they leave).
    term.keys("C-p", "C-q", "C-u")
    term.run("echo $((2 + 3))")
    term.wait_for(r"^5$")
    term.keys("C-x", "y")
    term.wait_for(r"read escape sequence")
    assert term.exit_status() == 1

    term.clear()
    term.run(hydock_line(cli, "exec", "-it", "host", "sh", "-c", "read line; echo got:$line; exit 4"))
    term.run("typed")
    term.wait_for(r"^got:typed$")
    assert term.exit_status() == 4


def test_run_init_on_a_tty_gives_the_command_the_foreground(cli: Cli, image: str, term: TmuxTerminal) -> None:
    # A shell without job control (-c) stays in the process group it was started in: its own, in the foreground.
    check = "read -r _ _ _ _ group _ _ foreground _ < /proc/$$/stat; echo fg:$((group == $$ && foreground == $$))"
    term.run(hydock_line(cli, "run", "-it", "--rm", "--init", "--network", "none", image, "sh", "-c", check))
    term.wait_for(r"^fg:1$")
    assert term.exit_status() == 0
    term.run(hydock_line(cli, "run", "-it", "--rm", "--init", "--network", "none", image, "cat"))
    term.run("echoed by cat")
    term.wait_for(r"^echoed by cat$", count=2)
    term.keys("C-c")
    assert term.exit_status() == 130


def test_stdin_of_run_i_and_exec_i_ends_with_the_pipe(cli: Cli, image: str) -> None:
    piped = cli("run", "-i", "--rm", "--network", "none", image, "cat", input=b"hi\n")
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, b"hi\n", b"")
    assert cli("run", "-d", "-i", "--name", "reader", "--network", "none", image, "sh").returncode == 0
    executed = cli("exec", "-i", "reader", "sh", "-c", "cat; echo done", input=b"a\nb\n")
    assert (executed.returncode, executed.stdout) == (0, b"a\nb\ndone\n")
    # The container's own stdin stays open for whoever attaches (-d -i: no StdinOnce).
    attached = cli("attach", "reader", input=b"echo from attach; exit 5\n")
    assert (attached.returncode, attached.stdout) == (5, b"from attach\n")


def test_a_tty_without_a_terminal(cli: Cli, image: str) -> None:
    refused = cli("run", "-it", "--rm", "--network", "none", image, "true")
    assert (refused.returncode, refused.stderr) == (1, b"the input device is not a TTY\n")
    output = cli("run", "-t", "--name", "tty", "--network", "none", image, "sh", "-c", "echo out; echo err >&2; exit 2")
    assert (output.returncode, output.stdout, output.stderr) == (2, b"out\r\nerr\r\n", b"")
    logs = cli("logs", "tty")
    assert (logs.stdout, logs.stderr) == (b"out\r\nerr\r\n", b"")
    record = cli("inspect", "-f", "{{.Config.Tty}} {{.Config.OpenStdin}} {{.Config.StdinOnce}}", "tty")
    assert record.stdout == b"true false false\n"


def test_start_ai_attaches_the_terminal_again(cli: Cli, image: str, term: TmuxTerminal) -> None:
    assert cli("create", "-it", "--name", "again", "--network", "none", image, "sh").returncode == 0
    term.run(hydock_line(cli, "start", "-ai", "again"))
    term.wait_for(SHELL_PROMPT)
    term.run("exit 6")
    assert term.exit_status() == 6
    term.run(hydock_line(cli, "start", "-ai", "again"))
    term.wait_for(SHELL_PROMPT)
    term.run("exit 7")
    assert term.exit_status() == 7


def test_stats_redraws_in_place_every_second(cli: Cli, image: str, term: TmuxTerminal) -> None:
    for name in ("busy", "idle"):
        assert cli("run", "-d", "--name", name, "--network", "none", image, "sh", "-c", "sleep 300").returncode == 0
    term.run(hydock_line(cli, "stats"))
    screen = term.wait_for(r"^[0-9a-f]{12} +(busy|idle) ", count=2)
    assert screen.count("CONTAINER ID") == 1
    assert cli("rm", "-f", "idle").returncode == 0
    term.wait_until(lambda screen: "idle" not in screen and " busy " in screen, "the removed container's row to go")
    # Redrawn again and again in place: still one table.
    assert term.screen().count("CONTAINER ID") == 1
    term.keys("C-c")
    term.wait_for(r"^\$$")
    once = cli("stats", "--no-stream", "busy")
    assert once.returncode == 0 and b"\033[" not in once.stdout
    assert once.stdout.decode().splitlines()[1].split()[1] == "busy"


def test_resize_of_what_is_not_running_and_bad_sizes(cli: Cli, image: str, root: Path) -> None:
    from hydock.client.api import APIClient
    from hydock.client.transport import Transport
    from hydock.errors import Conflict

    client = APIClient(Transport(f"unix://{root / 'hydock.sock'}"))
    assert cli("create", "-t", "--name", "idle", "--network", "none", image, "sh").returncode == 0
    with pytest.raises(Conflict, match="is not running"):
        client.resize("idle", 10, 20)
    assert cli("run", "-d", "--name", "plain", "--network", "none", image, "sleep", "300").returncode == 0
    client.resize("plain", 10, 20)  # no tty: nothing to size, as with Docker
    for query, text in (({"h": "abc", "w": 1}, "abc"), ({"w": 1}, "")):
        response = client.transport.request("POST", "/containers/plain/resize", query=query)
        assert response.status == 400
        assert response.json()["message"] == f'strconv.Atoi: parsing "{text}": invalid syntax'
