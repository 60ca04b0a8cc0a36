"""Which address pools the hydock roots of this host have chosen, so that two roots never choose the same one.

A root's pool is in the host's routing table only once its bridge is up, which may be long after the pool was
chosen (the default bridge of an in-process Engine comes up with its first bridged container), and two roots choosing
at once both see it free. So each choice is also written down here, one file per subnet created exclusively
(`/run/hydock/pools/172.18.0.0_16`, holding the root's tag): the second root to want a subnet finds it taken. An entry
counts only while its root is alive (its network claim or its daemon's lock held, read from /proc/locks); a dead
root's entries are taken over. /run is a tmpfs: entries go with a reboot, as the bridges do.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

from hydock.network.claims import CLAIMS, current_flocks, daemon_alive, flock_held

POOLS = Path("/run/hydock/pools")


def _entry(subnet: ipaddress.IPv4Network) -> Path:
    return POOLS / str(subnet).replace("/", "_")


def _subnet(entry: Path) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(entry.name.replace("_", "/"))
    except ValueError:
        return None


def _owner(entry: Path) -> str:
    try:
        return entry.read_text()
    except FileNotFoundError:
        return ""


def _alive(tag: str, flocks: set[str]) -> bool:
    """Whether a process holds the root's network claim, or its daemon its lock."""
    if not tag:
        return False
    claim = CLAIMS / tag
    if flock_held(claim, flocks):
        return True
    try:
        root = claim.read_text()
    except OSError:
        return False
    return bool(root) and daemon_alive(root, flocks)


def taken_by_others(tag: str) -> list[ipaddress.IPv4Network]:
    """The subnets that live roots other than `tag` have chosen."""
    if not POOLS.is_dir():
        return []
    flocks = current_flocks()
    taken = []
    for entry in POOLS.iterdir():
        owner, subnet = _owner(entry), _subnet(entry)
        if subnet is not None and owner and owner != tag and _alive(owner, flocks):
            taken.append(subnet)
    return taken


def register(subnet: ipaddress.IPv4Network, tag: str) -> bool:
    """Writes the subnet down as `tag`'s; False when a live root holds it already."""
    POOLS.mkdir(parents=True, exist_ok=True)
    entry = _entry(subnet)
    # Written aside first, then linked in (which fails if the entry exists) or renamed over a dead root's entry:
    # nobody ever reads an entry without its owner.
    # Named for this call alone: threads of one process (a daemon's, a build's stages) register at once too.
    written = entry.with_name(f".{entry.name}.{secrets.token_hex(8)}")
    written.write_text(tag)
    try:
        try:
            os.link(written, entry)
            return True
        except FileExistsError:
            pass
        owner = _owner(entry)
        if owner == tag:
            return True
        if _alive(owner, current_flocks()):
            return False
        os.rename(written, entry)
        return _owner(entry) == tag
    finally:
        written.unlink(missing_ok=True)


def unregister(subnet: ipaddress.IPv4Network, tag: str) -> None:
    entry = _entry(subnet)
    if _owner(entry) == tag:
        entry.unlink(missing_ok=True)
