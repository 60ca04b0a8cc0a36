"""The /etc/hosts, /etc/hostname and /etc/resolv.conf a container sees, kept in its directory."""

from __future__ import annotations

import re
from pathlib import Path

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
_LOOPBACK_NAMESERVER = re.compile(r"^\s*nameserver\s+(127\.\S*|::1)\s*$", re.MULTILINE)


def _host_file(path: str) -> str:
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        return ""


def resolv_conf(*, host_network: bool) -> str:
    text = _host_file("/etc/resolv.conf")
    if host_network:
        return text
    text = _LOOPBACK_NAMESERVER.sub("", text)
    if not re.search(r"^\s*nameserver\s", text, re.MULTILINE):
        text += "".join(f"nameserver {ns}\n" for ns in FALLBACK_NAMESERVERS)
    return text


def write_etc_files(container_dir: Path, *, hostname: str, host_network: bool) -> None:
    hosts = _host_file("/etc/hosts") if host_network else DEFAULT_HOSTS
    (container_dir / "hosts").write_text(hosts)
    (container_dir / "hostname").write_text(hostname + "\n")
    (container_dir / "resolv.conf").write_text(resolv_conf(host_network=host_network))
