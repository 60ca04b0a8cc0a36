"""Field naming for records in Docker's JSON shape: PascalCase, with Docker's own exceptions."""

from __future__ import annotations

_EXCEPTIONS = {"oom_killed": "OOMKilled", "ip_address": "IPAddress", "repo_tags": "RepoTags"}


def docker_name(field: str) -> str:
    """`nano_cpus` -> `NanoCpus`, `oom_killed` -> `OOMKilled`: the key Docker uses for a field."""
    return _EXCEPTIONS.get(field) or "".join(part[:1].upper() + part[1:] for part in field.split("_"))
