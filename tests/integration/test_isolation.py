"""A container gets its own pid, uts, mount, ipc and network namespaces."""

from __future__ import annotations

import os

from hydock import Engine


def run(engine: Engine, image: str, script: str, **kwargs) -> str:
    return engine.containers.run(image, ["sh", "-c", script], remove=True, **kwargs).decode()


def test_first_process_is_pid_1(engine: Engine, image: str) -> None:
    assert run(engine, image, "echo $$") == "1\n"


def test_host_processes_are_invisible(engine: Engine, image: str) -> None:
    pids = run(engine, image, "ls /proc | grep -E '^[0-9]+$'").split()
    assert pids and all(int(p) < 10 for p in pids), pids
    assert str(os.getpid()) not in pids


def test_own_hostname(engine: Engine, image: str) -> None:
    container = engine.containers.run(image, ["hostname"], detach=True)
    container.wait()
    assert container.logs().decode().strip() == container.id[:12]
    container.remove()
    assert run(engine, image, "hostname", hostname="box") == "box\n"
    assert run(engine, image, "cat /etc/hostname", hostname="box") == "box\n"


def test_own_mount_table(engine: Engine, image: str) -> None:
    mounts = run(engine, image, "cat /proc/self/mountinfo")
    targets = {line.split()[4] for line in mounts.splitlines()}
    assert "/" in targets and "/proc" in targets and "/dev" in targets
    assert not any(t.startswith("/work") or t.startswith("/var/lib/hydock") for t in targets), targets
    root_line = next(line for line in mounts.splitlines() if line.split()[4] == "/")
    assert root_line.split(" - ")[1].split()[0] == "overlay"


def test_network_none_has_only_loopback(engine: Engine, image: str) -> None:
    devices = run(engine, image, "cat /proc/net/dev", network_mode="none")
    names = [line.split(":")[0].strip() for line in devices.splitlines()[2:]]
    assert names == ["lo"]
    assert "UP" in run(engine, image, "ip link show lo", network_mode="none")


def test_host_network_sees_host_interfaces(engine: Engine, image: str) -> None:
    with open("/proc/net/dev") as f:
        host = sorted(line.split(":")[0].strip() for line in f.read().splitlines()[2:])
    devices = run(engine, image, "cat /proc/net/dev", network_mode="host")
    assert sorted(line.split(":")[0].strip() for line in devices.splitlines()[2:]) == host


def test_ipc_namespace_is_private(engine: Engine, image: str) -> None:
    inside = run(engine, image, "readlink /proc/self/ns/ipc").strip()
    assert inside != os.readlink("/proc/self/ns/ipc")
