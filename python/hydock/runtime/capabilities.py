"""Capability sets from Docker's flags: defaults, --cap-add, --cap-drop, --privileged."""

from __future__ import annotations

import functools

from hydock.errors import InvalidArgument
from hydock.runtime.defaults import ALL_CAPABILITIES, DEFAULT_CAPABILITIES


def normalize_capability(name: str) -> str:
    """`net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` all name CAP_NET_ADMIN; `ALL` stays ALL."""
    upper = name.strip().upper()
    if upper == "ALL":
        return upper
    full = upper if upper.startswith("CAP_") else f"CAP_{upper}"
    if full not in ALL_CAPABILITIES:
        raise InvalidArgument(f"invalid capability: {name}")
    return full


@functools.cache
def available_capabilities() -> tuple[str, ...]:
    """The capabilities this process may hand out (its bounding set), like moby's
    GetAllCapabilities: a sandboxed host may lack some, and asking for them would fail."""
    with open("/proc/self/status") as f:
        bounding = next(int(line.split()[1], 16) for line in f if line.startswith("CapBnd:"))
    return tuple(cap for bit, cap in enumerate(ALL_CAPABILITIES) if bounding >> bit & 1)


def capability_set(*, privileged: bool, cap_add: list[str], cap_drop: list[str]) -> list[str]:
    if privileged:
        return list(available_capabilities())
    adds = [normalize_capability(c) for c in cap_add]
    drops = [normalize_capability(c) for c in cap_drop]
    caps = list(available_capabilities()) if "ALL" in adds else list(DEFAULT_CAPABILITIES)
    if "ALL" in drops:
        caps = []
    caps = [c for c in caps if c not in drops]
    caps += [c for c in adds if c != "ALL" and c not in caps and c not in drops]
    return caps
