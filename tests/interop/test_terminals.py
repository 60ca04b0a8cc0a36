"""Interactive containers of hydockd through the real docker CLI (on a tmux terminal) and docker-py: run -it, exec -it,
attach, resize, detach keys, stdin, a tty's output and logs, and a tty container attached to after kill -9 of the
daemon."""

from __future__ import annotations

import shlex
import signal
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.interop.conftest import Daemon
from tests.interop.test_docker_cli import ok
from tests.tmux_terminal import TmuxTerminal, tmux_terminal

SHELL_PROMPT = r"^/ #( |$)"


@pytest.fixture
def term(tmp_path: Path) -> Iterator[TmuxTerminal]:
    with tmux_terminal(tmp_path) as terminal:
        yield terminal


def docker_line(daemon: Daemon, *args: str) -> str:
    """The docker command line to type on the terminal, aimed at the daemon under test."""
    env = [f"DOCKER_HOST={daemon.url}", f"DOCKER_CONFIG={daemon.root / '.docker'}"]
    return shlex.join(["env", *env, "docker", *args])


def test_docker_run_it_exec_it_attach_and_detach(daemon: Daemon, term: TmuxTerminal) -> None:
    term.run(docker_line(daemon, "run", "-it", "--name", "shell", "--network", "none", "busybox", "sh"))
    term.wait_for(SHELL_PROMPT)
    term.run("tty; echo $TERM; stty size")
    term.wait_for(r"^/dev/pts/0\nxterm\n30 100$")
    term.wait_for_window(20, 80)
    term.keys("C-p", "C-q")
    assert term.exit_status() == 0
    assert ok(daemon.docker("inspect", "-f", "{{.State.Status}}", "shell")) == "running\n"

    term.run(docker_line(daemon, "exec", "-it", "shell", "sh"))
    term.wait_for(SHELL_PROMPT)
    term.run("tty; stty size")
    term.wait_for(r"^/dev/pts/1\n20 80$")
    term.run("exit 3")
    assert term.exit_status() == 3

    term.run(docker_line(daemon, "attach", "--detach-keys", "ctrl-x,y", "shell"))
    term.wait_for(SHELL_PROMPT)
    term.run("echo $((40 + 2))")
    term.wait_for(r"^42$")
    term.keys("C-x", "y")
    term.wait_for(r"read escape sequence")
    assert term.exit_status() == 1

    term.run(docker_line(daemon, "attach", "shell"))
    term.wait_for(SHELL_PROMPT)
    term.run("exit 5")
    assert term.exit_status() == 5
    assert ok(daemon.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "shell")) == "exited 5\n"
    assert "42\r\n" in ok(daemon.docker("logs", "shell"))


def test_docker_stdin_and_tty_output(daemon: Daemon) -> None:
    piped = daemon.docker("run", "-i", "--rm", "--network", "none", "busybox", "cat", input=b"hi\n")
    assert (piped.returncode, piped.stdout) == (0, b"hi\n"), piped.stderr
    script = "echo out; echo err >&2; exit 2"
    tty = daemon.docker("run", "-t", "--name", "tty", "--network", "none", "busybox", "sh", "-c", script)
    assert (tty.returncode, tty.stdout, tty.stderr) == (2, b"out\r\nerr\r\n", b"")
    logs = daemon.docker("logs", "tty")
    assert (logs.stdout, logs.stderr) == (b"out\r\nerr\r\n", b"")
    ok(daemon.docker("run", "-d", "-i", "--name", "reader", "--network", "none", "busybox", "sh"))
    executed = daemon.docker("exec", "-i", "reader", "sh", "-c", "cat; echo done", input=b"a\nb\n")
    assert (executed.returncode, executed.stdout) == (0, b"a\nb\ndone\n"), executed.stderr
    attached = daemon.docker("attach", "reader", input=b"echo from attach; exit 4\n")
    assert (attached.returncode, attached.stdout) == (4, b"from attach\n"), attached.stderr


def test_docker_py_tty_output_exec_and_stdin(daemon: Daemon) -> None:
    client = docker.DockerClient(base_url=daemon.url, version="auto")
    try:
        output = client.containers.run("busybox", ["sh", "-c", "echo hi; tty"], tty=True, network_mode="none")
        assert output == b"hi\r\n/dev/pts/0\r\n"
        sleeper = client.containers.run("busybox", ["sleep", "300"], detach=True, network_mode="none")
        result = sleeper.exec_run(["sh", "-c", "echo out; echo err >&2; tty"], tty=True)
        assert (result.exit_code, result.output) == (0, b"out\r\nerr\r\n/dev/pts/0\r\n")
        assert sleeper.exec_run(["sh", "-c", "echo out; echo err >&2"], demux=True).output == (b"out\n", b"err\n")
        reader = client.containers.create("busybox", ["sh", "-c", "read line; echo got:$line"], stdin_open=True)
        with reader.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1}) as sock:
            reader.start()
            sock._sock.sendall(b"typed\n")
            assert reader.wait(timeout=20)["StatusCode"] == 0
        assert reader.logs() == b"got:typed\n"
        logged = client.containers.run("busybox", ["echo", "on a tty"], tty=True, detach=True, network_mode="none")
        assert logged.wait(timeout=20)["StatusCode"] == 0
        assert logged.logs() == b"on a tty\r\n"
    finally:
        client.close()


def test_a_tty_container_is_attached_to_after_kill_9_of_the_daemon(daemon: Daemon, term: TmuxTerminal) -> None:
    ok(daemon.docker("run", "-dit", "--name", "kept", "--network", "none", "busybox", "sh"))
    daemon.kill(signal.SIGKILL)
    daemon.start()
    term.run(docker_line(daemon, "attach", "kept"))
    term.wait_for(SHELL_PROMPT)
    term.run("echo $((40 + 2))")
    term.wait_for(r"^42$")
    term.wait_for_window(20, 80)
    term.keys("C-p", "C-q")
    term.wait_for(r"read escape sequence")
    assert term.exit_status() == 1
    assert ok(daemon.docker("inspect", "-f", "{{.State.Status}}", "kept")) == "running\n"
