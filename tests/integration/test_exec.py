"""_core.start_exec: an extra process inside a running container, under a shim in exec mode."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from hydock import Engine, _core
from hydock.errors import ContainerStartError


def write_process(path: Path, args: list[str]) -> Path:
    process = {
        "user": {"uid": 0, "gid": 0},
        "args": args,
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "cwd": "/",
    }
    path.write_text(json.dumps(process))
    return path


def read_all(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as pipe:
        return pipe.read()


def read_line(fd: int) -> bytes:
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        line = b""
        while not line.endswith(b"\n"):
            chunk = pipe.read(1)
            if not chunk:
                break
            line += chunk
    return line


def wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} still alive after {timeout}s")


def start_exec(engine: Engine, container_id: str, process: Path, exit_file: Path, **fds: int) -> _core.Started:
    record = engine.container_service.inspect(container_id)
    return _core.start_exec(
        str(engine.store.root / "bin"),
        str(engine.container_service.dir / container_id),
        record.state.pid,
        f"hydock/{container_id}",
        str(process),
        str(exit_file),
        **fds,
    )


def test_exec_runs_inside_the_containers_namespaces_and_cgroup(engine: Engine, image: str, tmp_path: Path) -> None:
    container = engine.containers.run(image, ["sleep", "30"], detach=True)
    script = "hostname; echo $$; cat /proc/1/cmdline; echo; echo ==; cat /proc/self/cgroup; echo ==; cat /proc/1/cgroup"
    process = write_process(tmp_path / "process.json", ["sh", "-c", script])
    exit_file = tmp_path / "exec.exit"
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        started = start_exec(engine, container.id, process, exit_file, stdout_fd=out_write, stderr_fd=err_write)
    finally:
        os.close(out_write)
        os.close(err_write)
    stdout, stderr = read_all(out_read), read_all(err_read)
    exit_line = read_line(started.status_fd)

    identity, own_cgroups, init_cgroups = stdout.split(b"\n==\n")
    hostname, inner_pid, init_cmdline = identity.split(b"\n")
    assert hostname.decode() == container.short_id, stderr
    assert inner_pid != b"1" and int(inner_pid) > 1
    assert init_cmdline == b"sleep\x0030\x00"
    assert own_cgroups.strip() == init_cgroups.strip(), "the exec joined its container's cgroup"
    assert all(line.endswith(f"/hydock/{container.id}") for line in own_cgroups.decode().split()), own_cgroups
    assert started.pid != container.attrs["State"]["Pid"] and started.shim_pid > 0

    exited = json.loads(exit_line)
    assert exited["exit_code"] == 0 and exited["oom_killed"] is False, exit_line
    assert json.loads(exit_file.read_bytes()) == exited
    wait_gone(started.shim_pid)
    container.reload()
    assert container.status == "running", "the exec's end leaves its container alone"


def test_exec_exit_code_reaches_the_status_pipe(engine: Engine, image: str, tmp_path: Path) -> None:
    container = engine.containers.run(image, ["sleep", "30"], detach=True)
    process = write_process(tmp_path / "process.json", ["sh", "-c", "exit 7"])
    started = start_exec(engine, container.id, process, tmp_path / "exec.exit")
    assert json.loads(read_line(started.status_fd))["exit_code"] == 7
    wait_gone(started.shim_pid)


def test_missing_binary_raises_with_exit_code_127(engine: Engine, image: str, tmp_path: Path) -> None:
    container = engine.containers.run(image, ["sleep", "30"], detach=True)
    process = write_process(tmp_path / "process.json", ["no-such-tool"])
    with pytest.raises(ContainerStartError) as failure:
        start_exec(engine, container.id, process, tmp_path / "exec.exit")
    assert failure.value.exit_code == 127
    assert failure.value.step == "exec"
    assert 'exec: "no-such-tool": executable file not found in $PATH' in str(failure.value)
    assert not (tmp_path / "exec.exit").exists()
    container.reload()
    assert container.status == "running"
