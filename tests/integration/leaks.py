"""What a container could leave behind: mounts, cgroups, shim processes, network links and firewall rules."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from hydock.network.rules import root_tag
from hydock.store import DEFAULT_ROOT


def mounts_under(root: Path) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(str(root))]


def container_cgroups(ids: set[str]) -> list[str]:
    found = []
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        parent = hierarchy / "hydock"
        if parent.is_dir():
            found += [str(p) for p in parent.iterdir() if p.name in ids]
    return found


def shim_processes(root: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"hydock-shim" in cmdline and str(root).encode() in cmdline:
                pids.append(int(proc.name))
    return pids


def network_links(root: Path) -> list[str]:
    """The bridges and veths of this root (hydock marks each with an alias naming its root), read from sysfs."""
    found = []
    for link in Path("/sys/class/net").iterdir():
        try:
            alias = (link / "ifalias").read_text().strip()
        except OSError:
            continue
        if alias == f"hydock {root}":
            found.append(link.name)
    return sorted(found)


def firewall_rules(root: Path) -> list[str]:
    """This root's nftables table and iptables rules or chains, as the tools list them."""
    tag = root_tag(str(root), DEFAULT_ROOT)
    found = []
    if shutil.which("nft"):
        tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout.split("\n")
        found += [line for line in tables if line.split()[-1:] == [tag]]
    if shutil.which("iptables"):
        for table in ("filter", "nat"):
            listing = subprocess.run(["iptables", "-w", "-t", table, "-S"], capture_output=True, text=True).stdout
            found += [line for line in listing.splitlines() if f"--comment {tag} " in line or tag.upper() in line]
    return found


def network_leftovers(root: Path, timeout: float = 10.0) -> list[str]:
    """Links and rules of this root still there once the kernel has had `timeout` to destroy released namespaces
    (their veths go with them, asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        left = network_links(root) + firewall_rules(root)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)
