"""Networks leave nothing behind when their users go: an in-process Engine's process exiting (or the engine closed),
a daemon stopping, or, for a root killed before it could clean up, the next hydock reclaiming what it left; and
none of them takes down networks another process still uses."""

from __future__ import annotations

import ipaddress
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hydock import Engine
from hydock.api_network import IPAM, IPAMPool, NetworkCreateRequest
from hydock.errors import Conflict
from hydock.network import links
from hydock.network.rules import root_tag
from hydock.store import DEFAULT_ROOT
from tests.integration.conftest import BackendCli, Cli, scratch_root, stop_daemon
from tests.integration.leaks import firewall_rules, network_leftovers, network_links

# Runs one container on NETWORK with an Engine of ROOT at each line it reads: "close" closes that engine (a `with`
# block's end), "run" uses a new one; it answers each line once done, and exits at the end of its input.
ENGINE_SCRIPT = """
import sys
from hydock import Engine
root, network = sys.argv[1:]
engine = None
for line in sys.stdin:
    if line.strip() == "close" and engine is not None:
        engine.close()
    else:
        engine = Engine(root)
        engine.containers.run("busybox", ["true"], remove=True, network=network)
    print("done", flush=True)
"""


class EngineProcess:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def do(self, step: str) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{step}\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline() == "done\n"

    def exit(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0


@contextmanager
def engine_process(root: Path, network: str = "bridge") -> Iterator[EngineProcess]:
    process = subprocess.Popen(
        [sys.executable, "-c", ENGINE_SCRIPT, str(root), network],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield EngineProcess(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().strip()


def _bridges(root: Path) -> list[str]:
    return [name for name in network_links(root) if not name.startswith("veth")]


def _free_subnets(count: int) -> list[str]:
    """/24s of 10.0.0.0/8 that nothing on this host routes, picked at random so that concurrent tests differ."""
    routed = links.host_routes()
    found: list[str] = []
    while len(found) < count:
        subnet = ipaddress.IPv4Network(f"10.{random.randrange(100, 250)}.{random.randrange(256)}.0/24")
        if not any(subnet.overlaps(other) for other in routed) and str(subnet) not in found:
            found.append(str(subnet))
    return found


def test_an_engine_takes_its_networks_down_when_closed_or_when_its_process_exits(image: str, root: Path) -> None:
    with engine_process(root) as engine:
        engine.do("run")
        assert _bridges(root) == [f"hydock-{root_tag(str(root), DEFAULT_ROOT).rpartition('_')[2]}"]
        assert firewall_rules(root)
        engine.do("close")
        assert network_leftovers(root) == []
        engine.do("run")  # a new engine, never closed
        assert _bridges(root) and firewall_rules(root)
        engine.exit()
    assert network_leftovers(root) == []


def test_an_engine_and_its_roots_daemon_leave_each_other_their_networks(cli: Cli, image: str, root: Path) -> None:
    _ok(cli("network", "create", "shared"))
    bridges, rules = _bridges(root), firewall_rules(root)
    with engine_process(root, "shared") as engine:
        engine.do("run")
        engine.exit()
    assert (_bridges(root), firewall_rules(root)) == (bridges, rules)
    with engine_process(root, "shared") as engine:
        engine.do("run")
        stop_daemon(root)
        assert (_bridges(root), firewall_rules(root)) == (bridges, rules)
        engine.exit()
    assert network_leftovers(root) == []


def _kill_daemon(root: Path) -> None:
    """SIGKILL the root's daemon: it has no chance to clean up."""
    pid = int((root / "hydockd.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return  # dead, its parent (a finished CLI) left it to init to reap
        except FileNotFoundError:
            return
        time.sleep(0.02)
    pytest.fail(f"hydockd (pid {pid}) outlived SIGKILL")


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
def test_a_killed_roots_networks_are_reclaimed_and_a_live_ones_kept(
    backend: str, image: str, root: Path, tmp_path: Path
) -> None:
    with scratch_root(tmp_path / "live") as live_root, scratch_root(tmp_path / "newcomer") as newcomer_root:
        dead, live, newcomer = BackendCli(root, tmp_path / "bin", backend), Cli(live_root), Cli(newcomer_root)
        idle_subnet, busy_subnet, live_subnet = _free_subnets(3)
        _ok(dead("network", "create", "--subnet", idle_subnet, "idle"))
        _ok(dead("network", "create", "--subnet", busy_subnet, "busy"))
        _ok(dead("run", "-d", "--network", "busy", image, "sleep", "600"))
        idle_bridge, busy_bridge = (
            "hy-" + _ok(dead("network", "inspect", "-f", "{{.Id}}", name))[:12] for name in ("idle", "busy")
        )
        _ok(live("network", "create", "--subnet", live_subnet, "kept"))
        live_bridges, live_rules = _bridges(live_root), firewall_rules(live_root)
        _kill_daemon(root)
        assert firewall_rules(root) and sorted(_bridges(root)) == sorted([idle_bridge, busy_bridge])

        _ok(newcomer("network", "create", "--subnet", idle_subnet, "reused"))
        refused = newcomer("network", "create", "--subnet", live_subnet, "clash")
        assert b"Pool overlaps with other one on this address space" in refused.stderr
        # The rules and idle bridges of the killed root are gone, its running container's bridge stays.
        assert firewall_rules(root) == []
        assert _bridges(root) == [busy_bridge]
        assert (_bridges(live_root), firewall_rules(live_root)) == (live_bridges, live_rules)


def test_a_pool_chosen_by_a_live_root_is_not_chosen_again_before_its_bridge_is_up(tmp_path: Path) -> None:
    """An Engine's default bridge comes up with its first bridged container, long after its pool was chosen: a
    second root choosing meanwhile must not take the same subnet (both bridges would route it, and one loses)."""
    with scratch_root(tmp_path / "first") as first_root, scratch_root(tmp_path / "second") as second_root:
        with Engine(first_root) as first, Engine(second_root) as second:
            first.container_service.networking.service.ready()
            chosen = ipaddress.IPv4Network(first.network_service.inspect("bridge").ipam.config[0].subnet)
            assert chosen not in links.route_interfaces(), "the first root's bridge is up: nothing would be shown"
            created = second.network_service.create(NetworkCreateRequest(name="apart"))
            for network in (second.network_service.inspect("bridge"), created):
                subnet = ipaddress.IPv4Network(network.ipam.config[0].subnet)
                assert not subnet.overlaps(chosen), f"{subnet} ({network.name}) was chosen again"
            same = NetworkCreateRequest(name="same", ipam=IPAM(config=[IPAMPool(subnet=str(chosen))]))
            with pytest.raises(Conflict, match="Pool overlaps"):
                second.network_service.create(same)
            second.network_service.remove("apart")
            first.close()
            # The first root lets go of its networks: its choice is free for the next root that wants it.
            with scratch_root(tmp_path / "third") as third_root, Engine(third_root) as third:
                third.container_service.networking.service.ready()
                assert third.network_service.inspect("bridge").ipam.config[0].subnet == str(chosen)
