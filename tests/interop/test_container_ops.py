"""The real docker CLI against hydockd: pause, unpause, rename, update, top, container prune."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.interop.conftest import Daemon

COUNTER = "i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done"


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def last_count(daemon: Daemon, name: str) -> int:
    return int(ok(daemon.docker("logs", "--tail", "1", name)).strip())


def test_pause_freezes_and_unpause_resumes(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "counter", "busybox", "sh", "-c", COUNTER))
    time.sleep(0.5)
    assert ok(daemon.docker("pause", "counter")) == "counter\n"
    assert "(Paused)" in ok(daemon.docker("ps", "--filter", "name=counter"))
    state = json.loads(ok(daemon.docker("inspect", "-f", "{{json .State}}", "counter")))
    assert (state["Status"], state["Paused"], state["Running"]) == ("paused", True, True)
    frozen = last_count(daemon, "counter")
    time.sleep(0.6)
    assert last_count(daemon, "counter") == frozen
    again = daemon.docker("pause", "counter")
    assert again.returncode == 1 and b"is already paused" in again.stderr
    assert ok(daemon.docker("unpause", "counter")) == "counter\n"
    time.sleep(0.6)
    assert last_count(daemon, "counter") > frozen
    assert "(Paused)" not in ok(daemon.docker("ps", "--filter", "name=counter"))
    not_paused = daemon.docker("unpause", "counter")
    assert not_paused.returncode == 1 and b"is not paused" in not_paused.stderr


def test_paused_container_can_be_stopped_and_killed(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "pa", "busybox", "sleep", "300"))
    ok(daemon.docker("run", "-d", "--name", "pb", "busybox", "sleep", "300"))
    ok(daemon.docker("pause", "pa"))
    ok(daemon.docker("pause", "pb"))
    ok(daemon.docker("stop", "-t", "1", "pa"))
    ok(daemon.docker("kill", "pb"))
    assert ok(daemon.docker("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "pa", "pb")) == (
        "exited false\nexited false\n"
    )
    stopped = daemon.docker("pause", "pa")
    assert stopped.returncode == 1 and b"is not running" in stopped.stderr
    ok(daemon.docker("start", "pa"))
    assert ok(daemon.docker("inspect", "-f", "{{.State.Status}}", "pa")) == "running\n"


def test_rename(daemon: Daemon) -> None:
    ok(daemon.docker("create", "--name", "before", "busybox", "true"))
    ok(daemon.docker("create", "--name", "taken", "busybox", "true"))
    ok(daemon.docker("rename", "before", "after"))
    assert ok(daemon.docker("inspect", "-f", "{{.Name}}", "after")) == "/after\n"
    assert daemon.docker("inspect", "before").returncode == 1
    clash = daemon.docker("rename", "after", "taken")
    assert clash.returncode == 1 and b"is already in use" in clash.stderr
    ok(daemon.docker("create", "--name", "before", "busybox", "true"))  # the old name is free again


def test_update_changes_the_live_cgroup(daemon: Daemon) -> None:
    container_id = ok(daemon.docker("run", "-d", "--name", "limited", "busybox", "sleep", "300")).strip()
    ok(daemon.docker("update", "--memory", "64m", "--memory-swap", "128m", "--pids-limit", "50", "limited"))
    memory = Path(f"/sys/fs/cgroup/memory/hydock/{container_id}/memory.limit_in_bytes")
    assert memory.read_text().strip() == "67108864"
    assert Path(f"/sys/fs/cgroup/pids/hydock/{container_id}/pids.max").read_text().strip() == "50"
    host = json.loads(ok(daemon.docker("inspect", "-f", "{{json .HostConfig}}", "limited")))
    assert (host["Memory"], host["PidsLimit"]) == (67108864, 50)
    ok(daemon.docker("update", "--restart", "always", "limited"))
    assert ok(daemon.docker("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", "limited")) == "always\n"


def test_top_lists_the_container_processes(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "busy", "busybox", "sh", "-c", "sleep 301 & sleep 302"))
    time.sleep(0.3)
    lines = ok(daemon.docker("top", "busy")).splitlines()
    assert lines[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    commands = [line.split(None, 7)[7] for line in lines[1:]]
    assert "sleep 301" in commands and "sleep 302" in commands
    ok(daemon.docker("stop", "-t", "0", "busy"))
    stopped = daemon.docker("top", "busy")
    assert stopped.returncode == 1 and b"is not running" in stopped.stderr


def test_container_prune_removes_only_stopped(daemon: Daemon) -> None:
    ok(daemon.docker("run", "-d", "--name", "alive", "busybox", "sleep", "300"))
    gone = ok(daemon.docker("run", "--name", "done", "-d", "busybox", "true")).strip()
    ok(daemon.docker("wait", "done"))
    created = ok(daemon.docker("create", "--name", "fresh", "busybox", "true")).strip()
    output = ok(daemon.docker("container", "prune", "-f"))
    assert gone in output and created in output
    assert ok(daemon.docker("ps", "-a", "--format", "{{.Names}}")) == "alive\n"
