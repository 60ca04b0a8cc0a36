"""The hydock CLI through hydockd: pause, unpause, rename, update, top, restart, container prune."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.integration.conftest import Cli

COUNTER = "i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done"


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def last_count(cli: Cli, name: str) -> int:
    return int(ok(cli("logs", "--tail", "1", name)).strip())


def test_pause_and_unpause(cli: Cli, image: str) -> None:
    ok(cli("run", "-d", "--name", "counter", image, "sh", "-c", COUNTER))
    time.sleep(0.5)
    assert ok(cli("pause", "counter")) == "counter\n"
    assert ok(cli("ps", "--format", "{{.Names}} {{.Status}}")).strip().endswith("(Paused)")
    assert ok(cli("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "counter")) == "paused true\n"
    frozen = last_count(cli, "counter")
    time.sleep(0.6)
    assert last_count(cli, "counter") == frozen
    again = cli("pause", "counter")
    assert again.returncode == 1 and b"is already paused" in again.stderr
    assert ok(cli("unpause", "counter")) == "counter\n"
    time.sleep(0.6)
    assert last_count(cli, "counter") > frozen
    ok(cli("pause", "counter"))
    assert ok(cli("stop", "-t", "1", "counter")) == "counter\n"
    assert ok(cli("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "counter")) == "exited false\n"


def test_rename(cli: Cli, image: str) -> None:
    ok(cli("create", "--name", "before", image, "true"))
    ok(cli("create", "--name", "taken", image, "true"))
    assert ok(cli("rename", "before", "after")) == ""
    assert ok(cli("inspect", "-f", "{{.Name}}", "after")) == "/after\n"
    clash = cli("rename", "after", "taken")
    assert clash.returncode == 1 and b"is already in use" in clash.stderr
    ok(cli("create", "--name", "before", image, "true"))


def test_update_restart_and_top(cli: Cli, image: str) -> None:
    container_id = ok(cli("run", "-d", "--name", "limited", image, "sh", "-c", "sleep 301 & sleep 302")).strip()
    assert ok(cli("update", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "40", "limited")) == "limited\n"
    cgroup = Path("/sys/fs/cgroup")
    assert (cgroup / f"memory/hydock/{container_id}/memory.limit_in_bytes").read_text().strip() == "67108864"
    assert (cgroup / f"cpu/hydock/{container_id}/cpu.cfs_quota_us").read_text().strip() == "50000"
    assert (cgroup / f"pids/hydock/{container_id}/pids.max").read_text().strip() == "40"
    assert ok(cli("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}", "limited")) == (
        "67108864 500000000\n"
    )
    lines = ok(cli("top", "limited")).splitlines()
    assert lines[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert {"sleep 301", "sleep 302"} <= {line.split(None, 7)[7] for line in lines[1:]}
    assert ok(cli("restart", "-t", "0", "limited")) == "limited\n"
    assert ok(cli("inspect", "-f", "{{.State.Running}} {{.RestartCount}}", "limited")).startswith("true")
    no_flags = cli("update", "limited")
    assert no_flags.returncode != 0 and b"one or more flags" in no_flags.stderr


def test_container_prune(cli: Cli, image: str) -> None:
    ok(cli("run", "-d", "--name", "alive", image, "sleep", "300"))
    done = ok(cli("run", "-d", "--name", "done", image, "true")).strip()
    ok(cli("wait", "done"))
    output = ok(cli("container", "prune", "-f"))
    assert output.startswith(f"Deleted Containers:\n{done}\n") and "Total reclaimed space:" in output
    assert ok(cli("ps", "-a", "--format", "{{.Names}}")) == "alive\n"
    ok(cli("rm", "-f", "alive"))
