"""The Ruleset as one nftables table of our own (`table inet hydock`), replaced whole and atomically by `nft -f`.

Published ports live in maps keyed by host port (and host address), so one rule per protocol forwards them all.
Where another firewall's forward hook drops by default (Docker's `iptables -P FORWARD DROP`), our accept cannot
overrule it from another table, so the bridges are also let through there (see iptables.allow_forwarding).
"""

from __future__ import annotations

from hydock.network.iptables import allow_forwarding, remove_forwarding
from hydock.network.rules import TAG, BridgeRules, PublishedPort, Ruleset, run_tool

PROTOCOLS = ("tcp", "udp", "sctp")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', "") + '"'


def _maps(ports: list[PublishedPort]) -> list[str]:
    lines = []
    for proto in PROTOCOLS:
        mine = [p for p in ports if p.proto == proto]
        any_ip = [f"{p.host_port} : {p.container_ip} . {p.container_port}" for p in mine if not p.host_ip]
        one_ip = [f"{p.host_ip} . {p.host_port} : {p.container_ip} . {p.container_port}" for p in mine if p.host_ip]
        for name, key, elements in (
            (f"{proto}_any", "inet_service", any_ip),
            (f"{proto}_ip", "ipv4_addr . inet_service", one_ip),
        ):
            body = f"type {key} : ipv4_addr . inet_service;"
            if elements:
                body += f" elements = {{ {', '.join(elements)} }};"
            lines.append(f"\tmap {name} {{ {body} }}")
    return lines


def _nat_chains(bridges: list[BridgeRules]) -> list[str]:
    published = [
        f"\t\tmeta l4proto {proto} dnat ip to ip daddr . {proto} dport map @{proto}_ip\n"
        f"\t\tmeta l4proto {proto} dnat ip to {proto} dport map @{proto}_any"
        for proto in PROTOCOLS
    ]
    postrouting = []
    for rules in bridges:
        bridge = _quoted(rules.bridge)
        postrouting.append(f"\t\toifname {bridge} ip saddr 127.0.0.0/8 masquerade")
        # A container reaching a published port of its own network: the reply must come back through us.
        postrouting.append(f"\t\toifname {bridge} ip saddr {rules.subnet} ct status dnat masquerade")
        if rules.masquerade and not rules.internal:
            postrouting.append(f"\t\tip saddr {rules.subnet} oifname != {bridge} masquerade")
    return [
        "\tchain published {",
        *published,
        "\t}",
        "\tchain prerouting {",
        "\t\ttype nat hook prerouting priority dstnat; policy accept;",
        "\t\tfib daddr type local jump published",
        "\t}",
        "\tchain output {",
        "\t\ttype nat hook output priority -100; policy accept;",
        "\t\tfib daddr type local jump published",
        "\t}",
        "\tchain postrouting {",
        "\t\ttype nat hook postrouting priority srcnat; policy accept;",
        *postrouting,
        "\t}",
    ]


def _forward_chain(bridges: list[BridgeRules]) -> list[str]:
    rules = []
    for bridge_rules in bridges:
        bridge = _quoted(bridge_rules.bridge)
        rules.append(f"\t\tiifname {bridge} oifname {bridge} {'accept' if bridge_rules.icc else 'drop'}")
    for bridge_rules in bridges:
        bridge = _quoted(bridge_rules.bridge)
        rules.append(f"\t\toifname {bridge} ct state established,related accept")
        if not bridge_rules.internal:
            rules.append(f"\t\toifname {bridge} ct status dnat accept")
        # Nothing else gets in: not other networks' containers, not the outside world.
        rules.append(f"\t\toifname {bridge} drop")
    for bridge_rules in bridges:
        bridge = _quoted(bridge_rules.bridge)
        rules.append(f"\t\tiifname {bridge} {'drop' if bridge_rules.internal else 'accept'}")
    return [
        "\tchain forward {",
        "\t\ttype filter hook forward priority filter; policy accept;",
        *rules,
        "\t}",
    ]


def render(table: str, ruleset: Ruleset) -> str:
    """The `nft -f` script that replaces the table with the ruleset (declared first, so deleting never fails)."""
    lines = [
        f"table inet {table}",
        f"delete table inet {table}",
        f"table inet {table} {{",
        *_maps(ruleset.ports),
        *_nat_chains(ruleset.bridges),
        *_forward_chain(ruleset.bridges),
        "}",
    ]
    return "\n".join(lines) + "\n"


class NftFirewall:
    def __init__(self, table: str) -> None:
        self.table = table
        self._let_through: list[str] | None = None

    def apply(self, ruleset: Ruleset) -> None:
        run_tool(["nft", "-f", "-"], render(self.table, ruleset), step="nftables")
        bridges = sorted(b.bridge for b in ruleset.bridges)
        # Port changes leave the bridges as they were: no need to ask iptables again.
        if bridges != self._let_through:
            allow_forwarding(self.table, bridges)
            self._let_through = bridges

    def remove(self) -> None:
        run_tool(["nft", "-f", "-"], f"table inet {self.table}\ndelete table inet {self.table}\n", step="nftables")
        remove_forwarding(self.table)
        self._let_through = None


def tags_in(listing: str) -> set[str]:
    """The tags of hydock's tables in `nft list tables` output."""
    fields = [line.split() for line in listing.splitlines()]
    return {f[2] for f in fields if len(f) == 3 and f[:2] == ["table", "inet"] and TAG.fullmatch(f[2])}


def tables_present() -> set[str]:
    return tags_in(run_tool(["nft", "list", "tables"], step="nftables"))
