"""Each cgroup limit is enforced by the kernel and shows in the stats."""

from __future__ import annotations

import time
from pathlib import Path

from hydock import Engine

MiB = 1024 * 1024
CPU_CGROUP = Path("/sys/fs/cgroup/cpu")


def test_memory_hog_is_oom_killed(engine: Engine, image: str) -> None:
    # busybox's `head -c` into a shell variable grows the shell's heap well past the limit.
    hog = "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"
    container = engine.containers.run(image, ["sh", "-c", hog], detach=True, mem_limit="32m")
    assert container.wait(timeout=60)["StatusCode"] == 137
    container.reload()
    assert container.attrs["State"]["OOMKilled"] is True
    assert b"survived" not in container.logs()


def test_memory_within_limit_runs(engine: Engine, image: str) -> None:
    out = engine.containers.run(image, ["sh", "-c", "x=$(head -c 1000000 /dev/zero | tr '\\0' a); echo ok"],
                                remove=True, mem_limit="32m")  # fmt: skip
    assert out == b"ok\n"


def test_fork_loop_stops_at_pids_limit(engine: Engine, image: str) -> None:
    # The subshell forks until the limit refuses; `exec` then needs no new pid to keep running.
    script = "( for i in $(seq 40); do sleep 30 & done ) 2>/dev/null; echo after; exec sleep 30"
    container = engine.containers.run(image, ["sh", "-c", script], detach=True, pids_limit=10)
    try:
        deadline = time.monotonic() + 10
        while b"after" not in container.logs() and time.monotonic() < deadline:
            time.sleep(0.05)
        stats = container.stats()
        assert stats["pids_limit"] == 10
        assert 5 < stats["pids_current"] <= 10
    finally:
        container.remove(force=True)


def test_half_a_cpu_is_throttled(engine: Engine, image: str) -> None:
    container = engine.containers.run(image, ["sh", "-c", "while :; do :; done"], detach=True, nano_cpus=500_000_000)
    try:
        first = container.stats()
        time.sleep(2.0)
        second = container.stats()
        used = (second["cpu_usage_ns"] - first["cpu_usage_ns"]) / 1e9
        assert 0.6 < used < 1.4, used  # half a CPU of 2 s, with scheduling slack
        assert second["cpu_throttled_periods"] > first["cpu_throttled_periods"]
    finally:
        container.remove(force=True)


def test_memory_stats_report_usage_and_limit(engine: Engine, image: str) -> None:
    container = engine.containers.run(image, ["sleep", "30"], detach=True, mem_limit="64m")
    try:
        stats = container.stats()
        assert stats["memory_limit"] == 64 * MiB
        assert 0 < stats["memory_usage"] < 64 * MiB
    finally:
        container.remove(force=True)


def test_cpu_shares_written_to_the_cgroup(engine: Engine, image: str) -> None:
    container = engine.containers.run(image, ["sleep", "30"], detach=True, cpu_shares=512)
    try:
        assert (CPU_CGROUP / "hydock" / container.id / "cpu.shares").read_text().strip() == "512"
    finally:
        container.remove(force=True)
    assert not (CPU_CGROUP / "hydock" / container.id).exists()
