"""The Ruleset in iptables chains of our own, for hosts without `nft`; and, beside nftables, the accept rules that
let our bridges through an iptables FORWARD chain that drops by default (as Docker leaves it)."""

from __future__ import annotations

import shutil
import subprocess

from hydock.network.rules import TAG, BridgeRules, PublishedPort, Ruleset, run_tool


def has_iptables() -> bool:
    return shutil.which("iptables") is not None


def _iptables(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["iptables", "-w", *args], capture_output=True, text=True, timeout=30)


def allow_forwarding(tag: str, bridges: list[str]) -> None:
    """Makes iptables' FORWARD chain accept traffic from and to `bridges` when its policy drops, and forgets the
    bridges of this tag it accepted before; our own table still decides what really passes."""
    if not has_iptables():
        return
    listing = _iptables("-S", "FORWARD")
    if listing.returncode != 0:
        return
    lines = listing.stdout.splitlines()
    marker = f"--comment {tag} "
    present = [line for line in lines if marker in line]
    if not present and "-P FORWARD DROP" not in lines:
        return
    wanted = [
        f"-A FORWARD -{flag} {bridge} -m comment --comment {tag} -j ACCEPT" for bridge in bridges for flag in "io"
    ]
    for line in present:
        if line not in wanted:
            _iptables("-D", *line.split()[1:])
    for line in wanted:
        if line not in present:
            _iptables("-I", *line.split()[1:])


def remove_forwarding(tag: str) -> None:
    allow_forwarding(tag, [])


def tags_in(listing: str) -> tuple[set[str], set[str]]:
    """From `iptables -S` of the filter table: the tags with accept rules in FORWARD (beside nftables), and the tags
    with chains of their own (the iptables ruleset)."""
    accepting, chains = set(), set()
    for line in listing.splitlines():
        fields = line.split()
        if fields[:2] == ["-A", "FORWARD"] and "--comment" in fields:
            comment = fields[fields.index("--comment") + 1 :][:1]
            accepting |= {tag for tag in comment if TAG.fullmatch(tag)}
        elif fields[:1] == ["-N"] and len(fields) == 2 and fields[1].endswith("-FWD"):
            tag = fields[1].removesuffix("-FWD").lower()
            chains |= {tag} if TAG.fullmatch(tag) else set()
    return accepting, chains


def tags_present() -> tuple[set[str], set[str]]:
    """`tags_in` of this host's filter table; nothing where iptables is absent or unusable."""
    if not has_iptables():
        return set(), set()
    listing = _iptables("-S")
    return tags_in(listing.stdout) if listing.returncode == 0 else (set(), set())


def _chain_names(tag: str) -> tuple[str, str, str]:
    base = tag.upper()
    return f"{base}-PUB", f"{base}-POST", f"{base}-FWD"


def _published_rules(chain: str, ports: list[PublishedPort]) -> list[str]:
    # Ports bound to one address come first, as the nftables maps are looked up.
    ordered = sorted(ports, key=lambda p: not p.host_ip)
    rules = []
    for port in ordered:
        match = f"-d {port.host_ip}/32 " if port.host_ip else ""
        rules.append(
            f"-A {chain} {match}-p {port.proto} -m {port.proto} --dport {port.host_port} "
            f"-j DNAT --to-destination {port.container_ip}:{port.container_port}"
        )
    return rules


def _postrouting_rules(chain: str, bridges: list[BridgeRules]) -> list[str]:
    rules = []
    for b in bridges:
        rules.append(f"-A {chain} -s 127.0.0.0/8 -o {b.bridge} -j MASQUERADE")
        rules.append(f"-A {chain} -s {b.subnet} -o {b.bridge} -m conntrack --ctstate DNAT -j MASQUERADE")
        if b.masquerade and not b.internal:
            rules.append(f"-A {chain} -s {b.subnet} ! -o {b.bridge} -j MASQUERADE")
    return rules


def _forward_rules(chain: str, bridges: list[BridgeRules]) -> list[str]:
    rules = [f"-A {chain} -i {b.bridge} -o {b.bridge} -j {'ACCEPT' if b.icc else 'DROP'}" for b in bridges]
    for b in bridges:
        rules.append(f"-A {chain} -o {b.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        if not b.internal:
            rules.append(f"-A {chain} -o {b.bridge} -m conntrack --ctstate DNAT -j ACCEPT")
        rules.append(f"-A {chain} -o {b.bridge} -j DROP")
    rules += [f"-A {chain} -i {b.bridge} -j {'DROP' if b.internal else 'ACCEPT'}" for b in bridges]
    return rules


def render(tag: str, ruleset: Ruleset) -> str:
    """The `iptables-restore --noflush` input that refills our chains (declaring a chain empties it)."""
    published, postrouting, forward = _chain_names(tag)
    return "\n".join(
        [
            "*nat",
            f":{published} - [0:0]",
            f":{postrouting} - [0:0]",
            *_published_rules(published, ruleset.ports),
            *_postrouting_rules(postrouting, ruleset.bridges),
            "COMMIT",
            "*filter",
            f":{forward} - [0:0]",
            *_forward_rules(forward, ruleset.bridges),
            "COMMIT",
            "",
        ]
    )


class IptablesFirewall:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        published, postrouting, forward = _chain_names(tag)
        self._jumps = [
            ("nat", "PREROUTING", ["-m", "addrtype", "--dst-type", "LOCAL", "-j", published]),
            ("nat", "OUTPUT", ["-m", "addrtype", "--dst-type", "LOCAL", "-j", published]),
            ("nat", "POSTROUTING", ["-j", postrouting]),
            ("filter", "FORWARD", ["-j", forward]),
        ]

    def apply(self, ruleset: Ruleset) -> None:
        run_tool(["iptables-restore", "-w", "--noflush"], render(self.tag, ruleset), step="iptables")
        for table, chain, rule in self._jumps:
            if _iptables("-t", table, "-C", chain, *rule).returncode != 0:
                run_tool(["iptables", "-w", "-t", table, "-I", chain, "1", *rule], step="iptables")

    def remove(self) -> None:
        for table, chain, rule in self._jumps:
            while _iptables("-t", table, "-D", chain, *rule).returncode == 0:
                pass
        for table, chains in (("nat", _chain_names(self.tag)[:2]), ("filter", _chain_names(self.tag)[2:])):
            for chain in chains:
                _iptables("-t", table, "-F", chain)
                _iptables("-t", table, "-X", chain)
