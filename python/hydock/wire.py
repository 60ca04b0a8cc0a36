"""Field naming for records in Docker's JSON shape: PascalCase, with Docker's own exceptions."""

from __future__ import annotations

_EXCEPTIONS = {
    "oom_killed": "OOMKilled",
    "ip_address": "IPAddress",
    "repo_tags": "RepoTags",
    "ip": "IP",
    "ipam": "IPAM",
    "ipam_config": "IPAMConfig",
    "ip_range": "IPRange",
    "ip_prefix_len": "IPPrefixLen",
    "ipv4_address": "IPv4Address",
    "ipv6_address": "IPv6Address",
    "ipv6_gateway": "IPv6Gateway",
    "enable_ipv6": "EnableIPv6",
    "global_ipv6_address": "GlobalIPv6Address",
    "global_ipv6_prefix_len": "GlobalIPv6PrefixLen",
    "link_local_ipv6_address": "LinkLocalIPv6Address",
    "link_local_ipv6_prefix_len": "LinkLocalIPv6PrefixLen",
    "link_local_ips": "LinkLocalIPs",
    "secondary_ip_addresses": "SecondaryIPAddresses",
    "secondary_ipv6_addresses": "SecondaryIPv6Addresses",
    "network_id": "NetworkID",
    "endpoint_id": "EndpointID",
    "sandbox_id": "SandboxID",
}


def docker_name(field: str) -> str:
    """`nano_cpus` -> `NanoCpus`, `oom_killed` -> `OOMKilled`: the key Docker uses for a field."""
    return _EXCEPTIONS.get(field) or "".join(part[:1].upper() + part[1:] for part in field.split("_"))
