"""Exit codes are the container's; start failures exit like Docker's (127, 126); signals are forwarded."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from hydock import Engine
from hydock.errors import ContainerError, ContainerStartError


def test_exit_code_is_the_containers(engine: Engine, image: str) -> None:
    with pytest.raises(ContainerError) as info:
        engine.containers.run(image, ["sh", "-c", "echo oops >&2; exit 3"], remove=True)
    assert info.value.exit_status == 3
    assert info.value.stderr == b"oops\n"


def test_cli_exit_codes(cli, image: str) -> None:
    assert cli("run", "--rm", image, "sh", "-c", "exit 3").returncode == 3
    assert cli("run", "--rm", image, "true").returncode == 0
    missing = cli("run", "--rm", image, "no-such-binary")
    assert missing.returncode == 127
    assert b"executable file not found" in missing.stderr
    assert missing.stderr.count(b"\n") == 1
    not_exec = cli("run", "--rm", image, "/etc/passwd")
    assert not_exec.returncode == 126, not_exec.stderr


def test_stdout_and_stderr_are_separate(cli, image: str) -> None:
    result = cli("run", "--rm", image, "sh", "-c", "echo out; echo err >&2")
    assert result.stdout == b"out\n"
    assert result.stderr == b"err\n"


def test_start_failure_names_the_step(engine: Engine, image: str) -> None:
    container = engine.containers.create(image, ["/nonexistent"])
    with pytest.raises(ContainerStartError) as info:
        container.start()
    assert info.value.step == "exec"
    assert info.value.exit_code == 127
    container.reload()
    assert container.attrs["State"]["ExitCode"] == 127
    assert "no such file or directory" in container.attrs["State"]["Error"]


def test_killed_container_exits_137(engine: Engine, image: str) -> None:
    container = engine.containers.run(image, ["sleep", "60"], detach=True)
    container.kill()
    assert container.wait()["StatusCode"] == 137


def test_sigterm_forwarded_by_cli(cli, image: str) -> None:
    proc = subprocess.Popen(cli.argv("run", "--rm", "--init", image, "sh", "-c", "echo ready; exec sleep 60"),
                            stdout=subprocess.PIPE)  # fmt: skip
    try:
        assert proc.stdout.readline() == b"ready\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 143
    finally:
        proc.kill()
        proc.wait()


def test_sigint_reaches_a_trapping_shell(cli, image: str) -> None:
    script = "trap 'echo got-int; exit 7' INT; echo ready; while true; do sleep 0.1; done"
    proc = subprocess.Popen(cli.argv("run", "--rm", image, "sh", "-c", script), stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"ready\n"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 7
        assert proc.stdout.read() == b"got-int\n"
    finally:
        proc.kill()
        proc.wait()


def test_init_reaps_zombies_and_is_pid_1(engine: Engine, image: str) -> None:
    out = engine.containers.run(image, ["sh", "-c", "cat /proc/1/comm; echo $$"], remove=True, init=True).decode()
    comm, shell_pid = out.split()
    assert comm != "sh"
    assert shell_pid != "1"


def test_stop_escalates_to_kill(engine: Engine, image: str) -> None:
    container = engine.containers.run(image, ["sh", "-c", "trap '' TERM; sleep 60"], detach=True)
    started = time.monotonic()
    container.stop(timeout=1)
    assert time.monotonic() - started < 8
    assert container.wait()["StatusCode"] == 137
