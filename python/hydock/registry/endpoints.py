"""Where a registry answers: Docker Hub's real host, HTTPS with the host's own CAs (certs.d/HOST/*.crt, as
Docker reads them), and plain HTTP only for loopback or explicitly insecure registries."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

import msgspec

from hydock.store.reference import DEFAULT_DOMAIN

DOCKER_HUB_HOST = "registry-1.docker.io"
DEFAULT_CERTS_DIR = Path("/etc/docker/certs.d")


class Endpoint(msgspec.Struct, frozen=True):
    """One way to reach a registry: `url` is its base (scheme://host[:port]); TLS unverified when `insecure`."""

    url: str
    insecure: bool = False


def _host_only(domain: str) -> str:
    if domain.startswith("["):
        return domain[1 : domain.index("]")]
    return domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain


def is_insecure(domain: str, insecure_registries: list[str]) -> bool:
    """Loopback registries and those named (host[:port] or CIDR) in the daemon's --insecure-registry."""
    host = _host_only(domain)
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in insecure_registries:
        if entry in (domain, host):
            return True
        if address is not None and "/" in entry:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return address is not None and address.is_loopback


def endpoints(domain: str, insecure_registries: list[str]) -> list[Endpoint]:
    """The endpoints to try, in order."""
    host = DOCKER_HUB_HOST if domain == DEFAULT_DOMAIN else domain
    if not is_insecure(domain, insecure_registries):
        return [Endpoint(f"https://{host}")]
    return [Endpoint(f"https://{host}", insecure=True), Endpoint(f"http://{host}", insecure=True)]


def tls_context(domain: str, endpoint: Endpoint, certs_dir: Path = DEFAULT_CERTS_DIR) -> ssl.SSLContext | bool:
    """The TLS settings for `endpoint`: the system's CAs plus certs.d/DOMAIN/*.crt, and a client certificate
    from *.cert/*.key there; no verification at all for an insecure registry."""
    if endpoint.url.startswith("http://"):
        return False
    if endpoint.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context()
    directory = certs_dir / domain
    if directory.is_dir():
        for ca in sorted(directory.glob("*.crt")):
            context.load_verify_locations(cafile=str(ca))
        for cert in sorted(directory.glob("*.cert")):
            context.load_cert_chain(str(cert), str(cert.with_suffix(".key")))
    return context
