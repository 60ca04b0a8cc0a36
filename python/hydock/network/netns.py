"""The networking domain's door to `_core`: network namespaces pinned on files, created, reached into, removed."""

from __future__ import annotations

from pathlib import Path

from hydock import _core


def create(pin: Path) -> int:
    """Pins a new network namespace at `pin`; the fd of a netlink socket inside it, the caller's to close."""
    pin.parent.mkdir(parents=True, exist_ok=True)
    return _core.create_netns(str(pin))


def route_socket(namespace: Path) -> int:
    """The fd of a netlink socket inside the namespace at `namespace` (a pin, or /proc/PID/ns/net)."""
    return _core.netns_route_socket(str(namespace))


def remove(pin: Path) -> None:
    _core.remove_netns(str(pin))
