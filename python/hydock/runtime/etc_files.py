"""The /etc/hosts, /etc/hostname and /etc/resolv.conf a container sees, kept in its directory."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import msgspec

DEFAULT_HOSTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)
# Docker's fallback when the host only lists resolvers on loopback, unreachable from a container.
FALLBACK_NAMESERVERS = ("8.8.8.8", "8.8.4.4")
_LOOPBACK = re.compile(r"^(127\.|::1$)")


class Resolver(msgspec.Struct, kw_only=True):
    """What a container's resolv.conf says besides the host's: `--dns`, `--dns-search`, `--dns-option`, and the
    embedded DNS server's address on a user-defined network (which then is the only nameserver)."""

    nameservers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    embedded: str = ""


def _host_file(path: str) -> str:
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        return ""


def host_resolvers() -> tuple[list[str], list[str], list[str]]:
    """The host's nameservers, search domains and options, from /etc/resolv.conf."""
    nameservers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    for line in _host_file("/etc/resolv.conf").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] == "nameserver":
            nameservers.append(words[1])
        elif words and words[0] in ("search", "domain"):
            search = words[1:]
        elif words and words[0] == "options":
            options += words[1:]
    return nameservers, search, options


def resolv_conf(*, host_network: bool, resolver: Resolver | None = None) -> str:
    if host_network and resolver is None:
        return _host_file("/etc/resolv.conf")
    asked = resolver or Resolver()
    host_servers, host_search, host_options = host_resolvers()
    search = asked.search or host_search
    options = asked.options or host_options
    if asked.embedded:
        servers = [asked.embedded]
        if not any(option.startswith("ndots:") for option in options):
            options = [*options, "ndots:0"]
    else:
        servers = asked.nameservers or [s for s in host_servers if host_network or not _LOOPBACK.match(s)]
        servers = servers or list(FALLBACK_NAMESERVERS)
    lines = [f"search {' '.join(search)}"] if search else []
    lines += [f"nameserver {server}" for server in servers]
    if options:
        lines.append(f"options {' '.join(options)}")
    return "\n".join(lines) + "\n"


def hosts_file(
    *, hostname: str, host_network: bool, addresses: Sequence[str] = (), extra_hosts: Sequence[tuple[str, str]] = ()
) -> str:
    """Docker's /etc/hosts: the host's (host network) or the defaults, then --add-host entries, then the
    container's own addresses under its hostname."""
    text = _host_file("/etc/hosts") if host_network else DEFAULT_HOSTS
    if text and not text.endswith("\n"):
        text += "\n"
    text += "".join(f"{address}\t{name}\n" for name, address in extra_hosts)
    short = hostname.split(".", 1)[0]
    names = hostname if short == hostname else f"{hostname} {short}"
    text += "".join(f"{address}\t{names}\n" for address in addresses)
    return text


def update_host_address(container_dir: Path, name: str, address: str) -> None:
    """Points the /etc/hosts lines that begin with `name` at `address` (Docker's etchosts.Update, for a linked container
    back at a new address); in place, as the running container has the file bind-mounted."""
    path = container_dir / "hosts"
    text = path.read_text()
    updated = re.sub(rf"^\S*(\t{re.escape(name)})(?=[\s.])", lambda m: address + m.group(1), text, flags=re.M)
    if updated != text:
        path.write_text(updated)


def write_etc_files(
    container_dir: Path,
    *,
    hostname: str,
    host_network: bool,
    addresses: Sequence[str] = (),
    extra_hosts: Sequence[tuple[str, str]] = (),
    resolver: Resolver | None = None,
) -> None:
    # Written in place, not renamed: a running container has these files bind-mounted.
    hosts = hosts_file(hostname=hostname, host_network=host_network, addresses=addresses, extra_hosts=extra_hosts)
    (container_dir / "hosts").write_text(hosts)
    (container_dir / "hostname").write_text(hostname + "\n")
    (container_dir / "resolv.conf").write_text(resolv_conf(host_network=host_network, resolver=resolver))
