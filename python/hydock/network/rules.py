"""What the packet filter must do for hydock's networks, independent of the tool that does it, and the choice of
that tool: nftables (one table of our own, replaced atomically), or iptables where `nft` is absent."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from typing import Protocol

import msgspec

from hydock.errors import NetworkError

DEFAULT_ROOT_TAG = "hydock"
TAG = re.compile(r"hydock(_[0-9a-f]{8})?")
"""What `root_tag` makes: how hydock's tables, chains and comments are told from anyone else's."""


class BridgeRules(msgspec.Struct, frozen=True):
    bridge: str
    subnet: str
    internal: bool = False
    masquerade: bool = True
    icc: bool = True
    """Inter-container communication: whether containers of this network may reach each other."""


class PublishedPort(msgspec.Struct, frozen=True):
    """A host port forwarded to a container; `host_ip` empty for every address of the host."""

    container_id: str
    proto: str
    host_ip: str
    host_port: int
    container_ip: str
    container_port: int


class Ruleset(msgspec.Struct):
    bridges: list[BridgeRules] = []
    ports: list[PublishedPort] = []


class Firewall(Protocol):
    """Puts a whole Ruleset in place atomically (replacing what this root had), or takes it all away."""

    def apply(self, ruleset: Ruleset) -> None: ...

    def remove(self) -> None: ...


def root_tag(root: str, default_root: str) -> str:
    """The name of a root's rules: "hydock" for the default root, a name derived from the path for others, so
    that two daemons on two roots never replace each other's rules."""
    if root == default_root:
        return DEFAULT_ROOT_TAG
    return f"{DEFAULT_ROOT_TAG}_{hashlib.sha256(root.encode()).hexdigest()[:8]}"


def run_tool(argv: list[str], text: str | None = None, *, step: str) -> str:
    """Runs nft/iptables; a failure becomes NetworkError with the tool's own message."""
    try:
        done = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=30)
    except OSError as exc:
        raise NetworkError(f"{argv[0]}: {exc.strerror}", step) from None
    if done.returncode != 0:
        raise NetworkError(f"{' '.join(argv[:3])}: {done.stderr.strip() or done.stdout.strip()}", step)
    return done.stdout


def choose_firewall(tag: str) -> Firewall:
    from hydock.network.iptables import IptablesFirewall, has_iptables
    from hydock.network.nftables import NftFirewall

    if shutil.which("nft"):
        return NftFirewall(tag)
    if has_iptables():
        return IptablesFirewall(tag)
    raise NetworkError("neither nft nor iptables is installed: bridge networks need one of them", "firewall")
